import { describe, expect, it } from 'vitest';
import { periodOf } from '../../dashboard/src/pages/wifi/model.ts';

const TZ = 'Asia/Ho_Chi_Minh';
const at = (iso: string): number => Date.parse(iso);

/** The WiFi page's periods: rolling windows, and the report's month and half-year on the ward's calendar. */
describe('WiFi page periods', () => {
  it('rolling windows end a minute after now and name no report period', () => {
    const now = at('2026-03-10T05:00:00Z');
    const p = periodOf('7d', now, TZ);
    expect(p.code).toBeNull();
    expect(p.to.getTime()).toBe(now + 60_000);
    expect(p.from.getTime()).toBe(now - 7 * 86_400_000);
  });
  it('this month starts at local midnight of the 1st', () => {
    // 31 Mar 20:00 UTC is already 1 Apr 03:00 in the ward.
    const p = periodOf('month', at('2026-03-31T20:00:00Z'), TZ);
    expect(p.code).toBe('2026-04');
    expect(p.from.toISOString()).toBe('2026-03-31T17:00:00.000Z');
  });
  it('the half-year runs from 25/12 (H1) or 30/06 (H2), local time', () => {
    expect(periodOf('half', at('2026-05-01T00:00:00Z'), TZ)).toMatchObject({ code: '2026-H1' });
    expect(periodOf('half', at('2026-05-01T00:00:00Z'), TZ).from.toISOString()).toBe('2025-12-24T17:00:00.000Z');
    expect(periodOf('half', at('2026-07-15T00:00:00Z'), TZ).from.toISOString()).toBe('2026-06-29T17:00:00.000Z');
    // 26 December already belongs to next year's H1.
    const late = periodOf('half', at('2026-12-26T00:00:00Z'), TZ);
    expect(late.code).toBe('2027-H1');
    expect(late.from.toISOString()).toBe('2026-12-24T17:00:00.000Z');
  });
});
