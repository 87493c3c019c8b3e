import { describe, expect, it } from 'vitest';
import { formatBytes, formatDate, formatDateTime, formatDuration, formatNumber, formatQuantity } from '../../dashboard/src/format.ts';
import { rruleText } from '../../dashboard/src/ui/rrule-text.ts';
import { parseCsv } from '../../dashboard/src/ui/csv.ts';

describe('dashboard formats', () => {
  const at = '2026-03-05T11:30:07Z'; // 18:30:07 in Phước Long (UTC+7)
  it('writes dates day first with a 24 h clock on the ward clock, in both languages', () => {
    expect(formatDateTime(at)).toBe('05/03/2026 18:30');
    expect(formatDateTime(at, { seconds: true })).toBe('05/03/2026 18:30:07');
    expect(formatDate(at)).toBe('05/03/2026');
    expect(formatDate('2026-12-25')).toBe('25/12/2026');
    expect(formatDateTime(null)).toBe('—');
  });
  it('uses a decimal comma in Vietnamese and a decimal point in English', () => {
    expect(formatNumber(99.891, 'vi', 2)).toBe('99,89');
    expect(formatNumber(99.891, 'en', 2)).toBe('99.89');
    expect(formatQuantity(99.891, '%', 'en', 2)).toBe('99.89 %');
    expect(formatNumber(12345.5, 'vi', 1)).toBe('12.345,5');
    expect(formatNumber(12345.5, 'en', 1)).toBe('12,345.5');
    expect(formatBytes(1536, 'vi')).toBe('1,5 KiB');
  });
  it('writes durations in words', () => {
    expect(formatDuration(200 * 60_000, 'vi')).toBe('3 giờ 20 phút');
    expect(formatDuration(200 * 60_000, 'en')).toBe('3 h 20 min');
    expect(formatDuration(3 * 86_400_000, 'vi')).toBe('3 ngày');
  });
});

describe('RRULE in words', () => {
  it('says daily and weekly rules the way an operator would', () => {
    expect(rruleText('FREQ=DAILY;BYHOUR=6;BYMINUTE=30', 'vi')).toBe('Hằng ngày lúc 06:30');
    expect(rruleText('FREQ=DAILY;BYHOUR=6;BYMINUTE=30', 'en')).toBe('Daily at 06:30');
    expect(rruleText('FREQ=DAILY;BYHOUR=6,17;BYMINUTE=0', 'vi')).toBe('Hằng ngày lúc 06:00 và 17:00');
    expect(rruleText('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=0', 'vi')).toBe('Thứ Hai – Thứ Sáu, hằng tuần lúc 07:00');
    expect(rruleText('FREQ=WEEKLY;BYDAY=MO,WE', 'en', { h: 18, mi: 5 })).toBe('Monday, Wednesday, every week at 18:05');
    expect(rruleText('FREQ=DAILY;INTERVAL=2;UNTIL=20261231T235959Z', 'vi', { h: 6, mi: 0 })).toBe('2 ngày một lần lúc 06:00, đến 31/12/2026');
    expect(rruleText('FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0', 'vi')).toBe('Ngày 1 hằng tháng lúc 08:00');
  });
  it('shows a rule it cannot word as it is', () => {
    expect(rruleText('FREQ=YEARLY;BYMONTH=1', 'vi')).toBe('FREQ=YEARLY;BYMONTH=1');
    expect(rruleText('FREQ=WEEKLY;BYDAY=1MO', 'en')).toBe('FREQ=WEEKLY;BYDAY=1MO');
  });
});

describe('CSV for bulk device import', () => {
  it('reads comma, semicolon (Excel with Vietnamese settings) and quoted fields, with a BOM', () => {
    expect(parseCsv('\uFEFFid,name\nsl-1,"Đèn 1, cổng"\n')).toEqual([
      ['id', 'name'],
      ['sl-1', 'Đèn 1, cổng'],
    ]);
    expect(parseCsv('id;name;lat\r\nsl-1;Đèn 1;12,22\r\n')).toEqual([
      ['id', 'name', 'lat'],
      ['sl-1', 'Đèn 1', '12,22'],
    ]);
    expect(parseCsv('a,b\n"say ""hi""",\n\n')).toEqual([
      ['a', 'b'],
      ['say "hi"', ''],
    ]);
  });
});

describe('bulk device import rows', async () => {
  const { importRows } = await import('../../dashboard/src/pages/manage/device-import.ts');
  const zones = new Map([
    ['tdp-1', 'tdp-1'],
    ['tổ dân phố 1', 'tdp-1'],
  ]);
  const ctx = {
    kinds: ['streetlight', 'wifi-ap'],
    zoneIdOf: (x: string) => zones.get(x.toLowerCase()) ?? null,
    words: {
      missing: (c: string) => `missing ${c}`,
      unknownKind: (k: string) => `kind ${k}`,
      unknownZone: (z: string) => `zone ${z}`,
      badNumber: (c: string) => `number ${c}`,
      badDate: 'date',
      noHeader: 'header',
    },
  };
  it('maps Vietnamese headers, group names, decimal commas and day-first dates; says what is wrong per row', () => {
    const csv =
      'Mã;Loại;Tên;Tổ dân phố;Vĩ độ;Kinh độ;Ngày lắp đặt;Công suất\nsl-1;streetlight;Đèn 1;Tổ dân phố 1;12,2201;109,19;25/12/2025;120\nsl-2;toaster;Đèn 2;;;;;\nsl-3;streetlight;Đèn 3;tdp-9;;;;\nsl-4;streetlight;Đèn 4;;abc;;;\n';
    const rows = importRows(csv, ctx);
    expect(rows[0]).toEqual({
      line: 2,
      body: {
        id: 'sl-1',
        kind: 'streetlight',
        name: 'Đèn 1',
        groupId: 'tdp-1',
        lat: 12.2201,
        lon: 109.19,
        installedAt: '2025-12-24T17:00:00.000Z',
        asset: { ratedPowerW: 120 },
      },
    });
    expect(rows.slice(1)).toEqual([
      { line: 3, error: 'kind toaster' },
      { line: 4, error: 'zone tdp-9' },
      { line: 5, error: 'number lat' },
    ]);
    expect(importRows('foo,bar\n1,2', ctx)).toEqual([{ line: 1, error: 'header' }]);
  });
});
