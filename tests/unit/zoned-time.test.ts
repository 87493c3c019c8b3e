import { describe, expect, it } from 'vitest';
import {
  addDaysIso,
  ceilDay,
  dayStart,
  daysBetween,
  floorDay,
  fromWall,
  isValidZone,
  localDay,
  toWall,
  zoneOffsetMs,
} from '../../services/common/zoned-time.ts';
import { dateToZoned, wall, zonedToDate } from '../../dashboard/src/ui/zoned.ts';
import { ConfigError, loadConfig } from '../../services/config/config.ts';

const iso = (t: number): string => new Date(t).toISOString();
const H = 3_600_000;

describe('zoned time: one module for schedules, reporting days and the dashboard', () => {
  it('Asia/Ho_Chi_Minh is UTC+7 all year', () => {
    expect(zoneOffsetMs(Date.UTC(2026, 0, 1), 'Asia/Ho_Chi_Minh')).toBe(7 * H);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 1), 'Asia/Ho_Chi_Minh')).toBe(7 * H);
    expect(iso(dayStart('2026-06-30', 'Asia/Ho_Chi_Minh'))).toBe('2026-06-29T17:00:00.000Z');
    expect(localDay(Date.UTC(2026, 5, 29, 17), 'Asia/Ho_Chi_Minh')).toBe('2026-06-30');
    expect(localDay(Date.UTC(2026, 5, 29, 16, 59, 59), 'Asia/Ho_Chi_Minh')).toBe('2026-06-29');
  });

  it('a wall time skipped by spring-forward maps to the instant the jump lands on (Berlin, 29/03/2026 02:30)', () => {
    // Clocks go 02:00 CET → 03:00 CEST at 01:00 UTC.
    expect(iso(fromWall({ y: 2026, m: 3, d: 29, h: 2, mi: 30 }, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(fromWall({ y: 2026, m: 3, d: 29, h: 3, mi: 0 }, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(fromWall({ y: 2026, m: 3, d: 29, h: 1, mi: 59 }, 'Europe/Berlin'))).toBe('2026-03-29T00:59:00.000Z');
  });

  it('an ambiguous wall time (fall-back) maps to its first occurrence (New York, 01/11/2026 01:30)', () => {
    expect(iso(fromWall({ y: 2026, m: 11, d: 1, h: 1, mi: 30 }, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
    expect(toWall(Date.parse('2026-11-01T06:30:00Z'), 'America/New_York')).toMatchObject({ h: 1, mi: 30 });
  });

  it('a day whose midnight does not exist starts at its first real instant (Santiago, 06/09/2026)', () => {
    // Chile moves 00:00 → 01:00 on the first Sunday of September: the day starts at 01:00 local = 04:00 UTC.
    const start = dayStart('2026-09-06', 'America/Santiago');
    expect(iso(start)).toBe('2026-09-06T04:00:00.000Z');
    expect(localDay(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDay(start - 1000, 'America/Santiago')).toBe('2026-09-05');
    expect(floorDay(start + 5 * H, 'America/Santiago')).toBe(start);
  });

  it('days are 23, 24 or 25 hours long where DST exists, and consecutive days tile time', () => {
    const len = (d: string, tz: string): number => (dayStart(addDaysIso(d, 1), tz) - dayStart(d, tz)) / H;
    expect(len('2026-03-29', 'Europe/Berlin')).toBe(23);
    expect(len('2026-10-25', 'Europe/Berlin')).toBe(25);
    expect(len('2026-10-26', 'Europe/Berlin')).toBe(24);
    expect(len('2026-10-04', 'Australia/Lord_Howe')).toBeCloseTo(23.5); // a half-hour DST shift
    for (const tz of ['Europe/Berlin', 'America/Santiago', 'Asia/Ho_Chi_Minh', 'Australia/Lord_Howe']) {
      for (const d of daysBetween('2026-01-01', '2027-01-01')) {
        const s = dayStart(d, tz);
        expect(localDay(s, tz)).toBe(d);
        expect(localDay(s - 1, tz)).toBe(addDaysIso(d, -1));
        expect(ceilDay(s, tz)).toBe(s);
        expect(ceilDay(s + 1, tz)).toBe(dayStart(addDaysIso(d, 1), tz));
      }
    }
  });

  it('the dashboard converts form times with the same rules as the scheduler', () => {
    expect(zonedToDate('2026-03-29T02:30', 'Europe/Berlin').toISOString()).toBe(iso(fromWall({ y: 2026, m: 3, d: 29, h: 2, mi: 30 }, 'Europe/Berlin')));
    expect(zonedToDate('2026-11-01T01:30', 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(dateToZoned(new Date('2026-06-29T23:30:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-06-30T06:30');
    // The day a late-evening instant belongs to, on the short day of Berlin's spring-forward.
    const w = wall(Date.parse('2026-03-29T21:00:00Z'), 'Europe/Berlin');
    expect(w).toMatchObject({ y: 2026, m: 3, d: 29, h: 23, weekday: 7 });
    expect(iso(w.dayStart)).toBe('2026-03-28T23:00:00.000Z');
  });

  it('SW_TIMEZONE is checked when the configuration loads', () => {
    expect(isValidZone('Asia/Ho_Chi_Minh')).toBe(true);
    expect(isValidZone('Asia/Hanoi_City')).toBe(false);
    expect(loadConfig({ SW_TIMEZONE: 'Asia/Bangkok' }).ward.timezone).toBe('Asia/Bangkok');
    expect(() => loadConfig({ SW_TIMEZONE: 'GMT+7 Hanoi' })).toThrow(ConfigError);
    expect(() => loadConfig({ SW_TIMEZONE: 'GMT+7 Hanoi' })).toThrow(/SW_TIMEZONE: expected an IANA time zone/);
  });
});
