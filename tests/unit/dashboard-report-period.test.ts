import { describe, expect, it } from 'vitest';
import { currentHalfYear, halfYearOf, reportFileName, slugVi } from '../../dashboard/src/ui/report-period.ts';
import { parsePeriod } from '../../services/health/indicators/periods.ts';

const tz = 'Asia/Ho_Chi_Minh';

describe("the dashboard's reporting periods agree with the service's", () => {
  it('puts every day of two years in the half-year whose bounds the service computes', () => {
    const start = Date.UTC(2025, 11, 1);
    for (let i = 0; i < 800; i++) {
      const day = new Date(start + i * 86400_000).toISOString().slice(0, 10);
      const p = parsePeriod(halfYearOf(day), tz);
      expect(day >= p.firstDay && day <= p.lastDay, `${day} in ${p.code} (${p.firstDay}…${p.lastDay})`).toBe(true);
    }
  });

  it('takes "today" in the ward\'s time zone: 25/12 00:30 in Vietnam is already next year\'s H1', () => {
    const vnMidnightPast = Date.parse('2026-12-24T17:30:00Z'); // 25/12/2026 00:30 in UTC+7
    expect(currentHalfYear(tz, vnMidnightPast)).toBe('2027-H1');
    expect(currentHalfYear('UTC', vnMidnightPast)).toBe('2026-H2');
    expect(currentHalfYear(tz, Date.parse('2026-06-29T16:59:00Z'))).toBe('2026-H1');
    expect(currentHalfYear(tz, Date.parse('2026-06-29T17:00:00Z'))).toBe('2026-H2');
  });
});

describe('report file names', () => {
  it('are ASCII, name the ward and say the period in Vietnamese words', () => {
    expect(slugVi('Phường Đông Hải – Tổ 3')).toBe('phuong-dong-hai-to-3');
    const ward = { code: '22330', name: 'Phường Phước Long' };
    expect(reportFileName(ward, '2026-H2', 'pdf', 'vi')).toBe('bao-cao-chi-tieu-phuong-phuoc-long-6-thang-cuoi-nam-2026.pdf');
    expect(reportFileName(ward, '2026-H1', 'csv', 'vi')).toBe('bao-cao-chi-tieu-phuong-phuoc-long-6-thang-dau-nam-2026.csv');
    expect(reportFileName(ward, '2026-03', 'pdf', 'en')).toBe('bao-cao-chi-tieu-phuong-phuoc-long-thang-03-2026-en.pdf');
    expect(reportFileName({ code: '22330', name: '' }, '2026', 'csv', 'vi')).toBe('bao-cao-chi-tieu-22330-nam-2026.csv');
  });
});
