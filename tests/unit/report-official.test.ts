import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../services/config/config.ts';
import { officialDate } from '../../services/health/indicators/official-layout.ts';
import { cutoffDay, parsePeriod } from '../../services/health/indicators/periods.ts';
import { seedsFor } from '../../services/health/indicators/plan-seeds.ts';
import { reportCsv } from '../../services/health/indicators/report-render.ts';
import type { IndicatorReport } from '../../services/health/indicators/indicators.service.ts';
import { knownIndicators, meets, withTargets } from '../../services/health/indicators/targets.ts';
import type { PlanTarget } from '../../services/health/indicators/targets.repository.ts';

const TZ = 'Asia/Ho_Chi_Minh';

describe('official date (Decree 30/2020, Appendix I 4.b)', () => {
  it("writes days below 10 and January/February with a leading zero, in the ward's time zone", () => {
    expect(officialDate('2026-02-04T20:00:00Z', TZ, 'vi')).toBe('ngày 05 tháng 02 năm 2026');
    expect(officialDate('2026-03-15T01:00:00Z', TZ, 'vi')).toBe('ngày 15 tháng 3 năm 2026');
    expect(officialDate('2026-12-02T18:00:00Z', TZ, 'vi')).toBe('ngày 03 tháng 12 năm 2026');
    expect(officialDate('2026-12-02T18:00:00Z', TZ, 'en')).toBe('3 December 2026');
  });
});

describe('half-year cut-off', () => {
  const h1 = parsePeriod('2026-H1', TZ);
  it("uses the period's last day, the configured cut-off for half-years, or the day asked for", () => {
    expect(cutoffDay(h1, {})).toBe('2026-06-29');
    expect(cutoffDay(h1, { halfYear: { h1: '06-20', h2: '12-15' } })).toBe('2026-06-20');
    expect(cutoffDay(parsePeriod('2026-H2', TZ), { halfYear: { h1: '06-20', h2: '12-15' } })).toBe('2026-12-15');
    expect(cutoffDay(h1, { asOf: '2026-01-10', halfYear: { h1: '06-20', h2: '12-15' } })).toBe('2026-01-10');
    // A month is not cut by the half-year setting.
    expect(cutoffDay(parsePeriod('2026-06', TZ), { halfYear: { h1: '06-20', h2: '12-15' } })).toBe('2026-06-30');
  });
  it('refuses a day outside the period or not a date, with a coded 400', () => {
    expect(() => cutoffDay(h1, { asOf: '2026-06-30' })).toThrow(expect.objectContaining({ code: 'BAD_AS_OF', statusCode: 400 }));
    expect(() => cutoffDay(h1, { asOf: '2025-12-24' })).toThrow(expect.objectContaining({ code: 'BAD_AS_OF' }));
    expect(() => cutoffDay(h1, { asOf: '2026-13-45' })).toThrow(expect.objectContaining({ code: 'BAD_AS_OF' }));
    expect(() => cutoffDay(h1, { asOf: '2026-02-30' })).toThrow(expect.objectContaining({ code: 'BAD_AS_OF' }));
  });
});

describe('SW_REPORT_HALF_YEAR_CUTOFF', () => {
  it('takes a day inside each half-year and refuses one past its deadline at start', () => {
    expect(loadConfig({}, { SW_REPORT_HALF_YEAR_CUTOFF: '06-20,12-15' }).reports.halfYearCutoff).toEqual({ h1: '06-20', h2: '12-15' });
    for (const bad of ['06-30,12-15', '06-20,12-25', '12-20,06-20', '6-20,12-15']) {
      expect(() => loadConfig({}, { SW_REPORT_HALF_YEAR_CUTOFF: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe('plan targets', () => {
  const t = (indicator: string, period: string, target: number): PlanTarget => ({
    wardCode: '22330',
    indicator,
    period,
    comparator: '>=',
    target,
    source: 's',
    basis: 'plan',
    updatedBy: 'a',
    updatedAt: '',
  });
  const f = (id: string, value: number | null) => ({ id, system: null, label: { vi: id, en: id }, value, unit: '%', method: { vi: 'm', en: 'm' } });

  it('compares with each comparator and says nothing without a value', () => {
    expect([meets(95, '>=', 95), meets(95, '>', 95), meets(5, '<=', 5), meets(5, '<', 5), meets(null, '>=', 1)]).toEqual([true, false, true, false, null]);
  });
  it("takes the period's own target first, then the year's", () => {
    const out = withTargets([f('a', 90), f('b', 99), f('c', 1)], [t('a', '2026', 95), t('b', '2026', 95), t('b', '2026-H1', 99.5)], '2026-H1');
    expect(out[0]?.target).toMatchObject({ period: '2026', met: false });
    expect(out[1]?.target).toMatchObject({ period: '2026-H1', value: 99.5, met: false });
    expect(out[2]?.target).toBeUndefined();
  });
  it("seeds only indicators the report has, for both plans, by the ward's name", () => {
    const known = knownIndicators();
    for (const ward of ['Phường Phước Long', 'Phường Ba Ngòi']) {
      const seeds = seedsFor(ward);
      expect(seeds.length, ward).toBeGreaterThan(0);
      for (const s of seeds) expect(known, `${ward}: ${s.indicator}`).toContain(s.indicator);
    }
    expect(seedsFor('Phường Khác')).toEqual([]);
  });
});

describe('CSV dialects', () => {
  const report = {
    period: { code: '2026-H1' },
    cutoffDay: '2026-06-20',
    ward: { code: '22330', name: 'Phường; "Phước" Long' },
    figures: [
      {
        id: 'x.a',
        system: 'x',
        label: { vi: 'Độ sẵn sàng', en: 'Availability' },
        value: 98.25,
        unit: '%',
        method: { vi: 'cách tính', en: 'method' },
        target: { period: '2026', comparator: '>=', value: 95.5, source: 'KH', basis: 'plan', met: true },
      },
    ],
    groups: [
      {
        id: 'g',
        name: '=HYPERLINK("x")',
        figures: [{ id: 'x.b', system: null, label: { vi: 'b', en: 'b' }, value: -1.5, unit: '', method: { vi: 'm', en: 'm' } }],
      },
    ],
  } as unknown as IndicatorReport;

  it('excel-vi: BOM, semicolons, decimal commas, quoted separators, formula-looking text defused', () => {
    const csv = reportCsv(report, 'excel-vi');
    expect(csv.startsWith('\uFEFFperiod;cutoff_day;')).toBe(true);
    const [, ward, group] = csv.slice(1).trim().split('\r\n');
    expect(ward).toContain('"Phường; ""Phước"" Long"');
    expect(ward).toContain(';98,25;%;>=;95,5;2026;1;KH;');
    expect(group).toContain(`;"'=HYPERLINK(""x"")";`);
    expect(group).toContain(';-1,5;');
  });
  it('rfc4180: commas and decimal points for scripts', () => {
    const csv = reportCsv(report, 'rfc4180');
    expect(csv.startsWith('\uFEFFperiod,cutoff_day,')).toBe(true);
    expect(csv).toContain(',98.25,%,>=,95.5,2026,1,KH,');
  });
});
