import { describe, expect, it } from 'vitest';
import { firstOccurrence, planOccurrences } from '../../services/control/scheduler/catch-up.ts';
import { parseRRule } from '../../services/control/scheduler/rrule.ts';
import { fromWall } from '../../services/common/zoned-time.ts';

const TZ = 'Asia/Ho_Chi_Minh';
const MIN = 60_000;
const at = (d: number, h: number, mi = 0, s = 0): number => fromWall({ y: 2026, m: 11, d, h, mi, s }, TZ);
const hourly = parseRRule('FREQ=HOURLY', TZ);

describe('scheduler catch-up rule (fake time)', () => {
  const base = { dtstart: at(20, 0), rule: hourly, leadMs: 0, catchUpMs: 10 * MIN };

  it('fires an occurrence at its time, once, and moves on to the next', () => {
    const p = planOccurrences({ ...base, nextAt: at(20, 6) }, TZ, at(20, 6, 0, 0.2));
    expect(p).toEqual({ fire: [at(20, 6)], skip: [], next: at(20, 7) });
    // Not due yet: nothing happens and the schedule keeps its next occurrence.
    expect(planOccurrences({ ...base, nextAt: at(20, 7) }, TZ, at(20, 6, 59, 59))).toEqual({ fire: [], skip: [], next: at(20, 7) });
  });

  it('after a restart: missed occurrences younger than the window fire once each, older ones are skipped', () => {
    // Down from 02:30 to 06:05 with a 2-hour window: 03:00 is too old, 04:00–06:00 still fire.
    const p = planOccurrences({ ...base, catchUpMs: 2 * 60 * MIN + 5 * MIN, nextAt: at(20, 3) }, TZ, at(20, 6, 5));
    expect(p.skip).toEqual([at(20, 3)]);
    expect(p.fire).toEqual([at(20, 4), at(20, 5), at(20, 6)]);
    expect(p.next).toBe(at(20, 7));
  });

  it('a one-off missed by more than the window is skipped and the schedule ends', () => {
    expect(planOccurrences({ ...base, rule: null, nextAt: at(20, 6) }, TZ, at(20, 6, 11))).toEqual({ fire: [], skip: [at(20, 6)], next: null });
    expect(planOccurrences({ ...base, rule: null, nextAt: at(20, 6) }, TZ, at(20, 6, 9))).toEqual({ fire: [at(20, 6)], skip: [], next: null });
  });

  it('with a lead, an occurrence is due lead early and its age counts from then', () => {
    const lead = { ...base, leadMs: 5 * MIN, catchUpMs: 15 * MIN };
    expect(planOccurrences({ ...lead, nextAt: at(20, 6) }, TZ, at(20, 5, 55)).fire).toEqual([at(20, 6)]);
    expect(planOccurrences({ ...lead, nextAt: at(20, 6) }, TZ, at(20, 5, 54)).fire).toEqual([]);
    expect(planOccurrences({ ...lead, nextAt: at(20, 6) }, TZ, at(20, 6, 11)).skip).toEqual([at(20, 6)]);
  });

  it('a long backlog is handled in bounded passes, continuing where the last one stopped', () => {
    const minutely = { ...base, rule: parseRRule('FREQ=MINUTELY', TZ), catchUpMs: 24 * 60 * MIN };
    const p1 = planOccurrences({ ...minutely, nextAt: at(20, 0) }, TZ, at(20, 12), 100);
    expect(p1.fire.length).toBe(100);
    expect(p1.next).toBe(at(20, 1, 40));
    const p2 = planOccurrences({ ...minutely, nextAt: p1.next ?? 0 }, TZ, at(20, 12), 100);
    expect(p2.fire[0]).toBe(at(20, 1, 40));
  });

  it('a new recurring schedule starts from now, never backwards; a one-off keeps its time', () => {
    expect(firstOccurrence(at(1, 6), hourly, TZ, at(20, 6, 30))).toBe(at(20, 7));
    expect(firstOccurrence(at(25, 6), hourly, TZ, at(20, 6, 30))).toBe(at(25, 6));
    expect(firstOccurrence(at(20, 6), null, TZ, at(20, 6, 30))).toBe(at(20, 6));
  });
});
