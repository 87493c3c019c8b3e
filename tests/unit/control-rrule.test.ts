import { describe, expect, it } from 'vitest';
import { nextOccurrence, occurrencesBetween, parseRRule, RRuleError } from '../../services/control/scheduler/rrule.ts';
import { fromWall } from '../../services/common/zoned-time.ts';

const TZ = 'Asia/Ho_Chi_Minh';
const at = (y: number, m: number, d: number, h = 0, mi = 0): number => fromWall({ y, m, d, h, mi }, TZ);
const show = (ts: number[]): string[] => ts.map((t) => new Date(t + 7 * 3_600_000).toISOString().slice(0, 16).replace('T', ' '));
const expand = (rule: string, start: number, from: number, to: number, limit = 100): string[] =>
  show(occurrencesBetween(parseRRule(rule, TZ), start, TZ, from, to, limit));

describe('RRULE expansion (RFC 5545 subset)', () => {
  it('DAILY with BYHOUR/BYMINUTE: the morning and evening bulletins in local time', () => {
    const start = at(2026, 11, 20, 0);
    expect(expand('FREQ=DAILY;BYHOUR=6,17;BYMINUTE=0,30', start, start, at(2026, 11, 21, 12))).toEqual([
      '2026-11-20 06:00',
      '2026-11-20 06:30',
      '2026-11-20 17:00',
      '2026-11-20 17:30',
      '2026-11-21 06:00',
      '2026-11-21 06:30',
    ]);
  });

  it('WEEKLY with BYDAY and COUNT counts from DTSTART', () => {
    const start = at(2026, 11, 20, 7, 30); // a Friday
    expect(expand('RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5', start, start, at(2027, 1, 1))).toEqual([
      '2026-11-20 07:30',
      '2026-11-23 07:30',
      '2026-11-25 07:30',
      '2026-11-27 07:30',
      '2026-11-30 07:30',
    ]);
    // A window that starts later still respects COUNT: only the 5th occurrence lies after 28 Nov.
    expect(expand('FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5', start, at(2026, 11, 28), at(2027, 1, 1))).toEqual(['2026-11-30 07:30']);
  });

  it('WEEKLY with INTERVAL=2 skips every other week (weeks start on Monday)', () => {
    const start = at(2026, 11, 16, 19); // Monday
    expect(expand('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU', start, start, at(2026, 12, 31))).toEqual([
      '2026-11-16 19:00',
      '2026-11-22 19:00',
      '2026-11-30 19:00',
      '2026-12-06 19:00',
      '2026-12-14 19:00',
      '2026-12-20 19:00',
      '2026-12-28 19:00',
    ]);
  });

  it('MONTHLY on the last day of the month, and on a day some months lack (skipped, not moved)', () => {
    const start = at(2026, 1, 1, 8);
    expect(expand('FREQ=MONTHLY;BYMONTHDAY=-1', start, start, at(2026, 5, 1))).toEqual([
      '2026-01-31 08:00',
      '2026-02-28 08:00',
      '2026-03-31 08:00',
      '2026-04-30 08:00',
    ]);
    expect(expand('FREQ=MONTHLY;BYMONTHDAY=31', start, start, at(2026, 7, 1))).toEqual(['2026-01-31 08:00', '2026-03-31 08:00', '2026-05-31 08:00']);
  });

  it('UNTIL is inclusive; a bare date includes that whole local day', () => {
    const start = at(2026, 11, 20, 18);
    expect(expand('FREQ=DAILY;UNTIL=20261122', start, start, at(2027, 1, 1))).toEqual(['2026-11-20 18:00', '2026-11-21 18:00', '2026-11-22 18:00']);
    expect(expand('FREQ=DAILY;UNTIL=20261121T110000Z', start, start, at(2027, 1, 1))).toEqual(['2026-11-20 18:00', '2026-11-21 18:00']);
  });

  it('DTSTART is an occurrence only when it matches the rule', () => {
    const start = at(2026, 11, 20, 9); // Friday
    expect(expand('FREQ=WEEKLY;BYDAY=MO', start, start, at(2026, 12, 1))).toEqual(['2026-11-23 09:00', '2026-11-30 09:00']);
  });

  it('HOURLY and MINUTELY with filters', () => {
    const start = at(2026, 11, 20, 5, 15);
    expect(expand('FREQ=HOURLY;INTERVAL=6', start, start, at(2026, 11, 21, 0))).toEqual([
      '2026-11-20 05:15',
      '2026-11-20 11:15',
      '2026-11-20 17:15',
      '2026-11-20 23:15',
    ]);
    expect(expand('FREQ=MINUTELY;INTERVAL=20;BYHOUR=6', start, start, at(2026, 11, 20, 8))).toEqual([
      '2026-11-20 06:15',
      '2026-11-20 06:35',
      '2026-11-20 06:55',
    ]);
  });

  it('finds the next occurrence years after DTSTART without walking every period', () => {
    const start = at(2020, 1, 1, 22);
    const t0 = performance.now();
    const next = nextOccurrence(parseRRule('FREQ=MINUTELY;INTERVAL=15', TZ), start, TZ, at(2030, 6, 1, 10, 7));
    expect(show([next ?? 0])).toEqual(['2030-06-01 10:15']);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(nextOccurrence(parseRRule('FREQ=DAILY;COUNT=2', TZ), start, TZ, at(2020, 1, 3))).toBeNull();
  });

  it('refuses what it does not support, with a reason', () => {
    const bad = [
      'FREQ=YEARLY',
      'BYDAY=MO',
      'FREQ=WEEKLY;BYDAY=1MO',
      'FREQ=DAILY;COUNT=3;UNTIL=20270101',
      'FREQ=DAILY;BYSETPOS=1',
      'FREQ=DAILY;BYHOUR=24',
      'FREQ=DAILY;INTERVAL=0',
      '',
    ];
    for (const r of bad) expect(() => parseRRule(r, TZ), r).toThrow(RRuleError);
    expect(() => parseRRule('FREQ=WEEKLY;BYDAY=1MO', TZ)).toThrow(/ordinals/);
  });
});
