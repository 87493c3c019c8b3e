import { describe, expect, it } from 'vitest';
import { monthsOf, parsePeriod } from '../../services/health/indicators/periods.ts';

const tz = 'Asia/Ho_Chi_Minh';
const at = (s: string): number => Date.parse(`${s}T00:00:00+07:00`);

describe('reporting periods (ward plans: report before 30/6 and 25/12)', () => {
  it('H1 runs from 25/12 of the year before to 30/6 00:00, H2 from 30/6 to 25/12 00:00: consecutive, no gap, no overlap', () => {
    const h1 = parsePeriod('2026-H1', tz);
    const h2 = parsePeriod('2026-H2', tz);
    const nextH1 = parsePeriod('2027-H1', tz);
    expect([h1.from, h1.to]).toEqual([at('2025-12-25'), at('2026-06-30')]);
    expect([h2.from, h2.to]).toEqual([at('2026-06-30'), at('2026-12-25')]);
    expect(h1.to).toBe(h2.from);
    expect(h2.to).toBe(nextH1.from);
    expect([h1.firstDay, h1.lastDay, h2.firstDay, h2.lastDay]).toEqual(['2025-12-25', '2026-06-29', '2026-06-30', '2026-12-24']);
    expect(h1.label.vi).toBe('Sáu tháng đầu năm 2026 (25/12/2025 – 29/06/2026)');
    // 7 + 31 + 28 + 31 + 30 + 31 + 29 days; H1 + H2 cover the 365 days between two 25/12s.
    expect((h1.to - h1.from) / 86400_000).toBe(187);
    expect((nextH1.from - h1.from) / 86400_000).toBe(365);
  });

  it('months and years are calendar ones in local time', () => {
    expect([parsePeriod('2026-02', tz).from, parsePeriod('2026-02', tz).to]).toEqual([at('2026-02-01'), at('2026-03-01')]);
    expect(parsePeriod('2026-12', tz).to).toBe(at('2027-01-01'));
    expect(parsePeriod('2026', tz)).toMatchObject({ from: at('2026-01-01'), to: at('2027-01-01'), label: { vi: 'Năm 2026' } });
    expect(parsePeriod('2026-03', tz).label).toEqual({ vi: 'Tháng 3/2026', en: 'March 2026' });
  });

  it('splits a half-year into its months, clipped at the edges', () => {
    const m = monthsOf(parsePeriod('2026-H2', tz), tz);
    expect(m.map((x) => x.code)).toEqual(['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    expect(m[0]).toMatchObject({ from: at('2026-06-30'), to: at('2026-07-01') });
    expect(m[6]).toMatchObject({ from: at('2026-12-01'), to: at('2026-12-25') });
  });

  it('refuses anything else with a coded error', () => {
    for (const bad of ['2026-H3', '2026-13', '26-H1', '2026-1', '']) expect(() => parsePeriod(bad, tz), bad).toThrow(/is not YYYY-MM/);
  });
});
