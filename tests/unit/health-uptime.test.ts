import { describe, expect, it } from 'vitest';
import { addDaysIso as addDays, ceilDay, dayStart, floorDay, localDay } from '../../services/common/zoned-time.ts';
import { availability, mergeSpans, tally, tallySlices, type DeviceTimeline } from '../../services/health/uptime/uptime-math.ts';

// Fake time: a fixed origin, everything in minutes from it. No clock is read anywhere.
const T0 = Date.parse('2026-03-01T00:00:00+07:00');
const min = (m: number): number => T0 + m * 60_000;
const H = 3600;
const timeline = (t: Partial<DeviceTimeline>): DeviceTimeline => ({ initial: null, changes: [], installedAt: null, maintenance: [], ...t });

describe('uptime arithmetic', () => {
  it('counts up and down between status changes, and gaps carry the last state', () => {
    // Up at 0, down at 60 (no event for the next 90 minutes: still down), up again at 150, window ends at 240.
    const t = timeline({
      initial: null,
      changes: [
        { at: min(0), online: true },
        { at: min(60), online: false },
        { at: min(150), online: true },
      ],
    });
    const r = tally({ from: min(0), to: min(240) }, min(10_000), t);
    expect(r).toEqual({ upS: 150 * 60, downS: 90 * 60, unknownS: 0, maintenanceS: 0, changes: 3 });
    expect(availability(r)).toBeCloseTo(150 / 240, 10);
  });

  it('does not count unknown (no data yet, before installation, after now) as down', () => {
    const t = timeline({
      initial: null,
      changes: [
        { at: min(30), online: false },
        { at: min(90), online: true },
      ],
    });
    // Nothing known before minute 30; "now" is minute 120 so the last hour of the window is the future.
    const r = tally({ from: min(0), to: min(180) }, min(120), t);
    expect(r.unknownS).toBe(30 * 60 + 60 * 60);
    expect(r.downS).toBe(60 * 60);
    expect(r.upS).toBe(30 * 60);
    // Installed at minute 60: the first half hour of "down" was before installation, so it is unknown too.
    const installed = tally({ from: min(0), to: min(180) }, min(120), { ...t, installedAt: min(60) });
    expect(installed).toMatchObject({ upS: 30 * 60, downS: 30 * 60, unknownS: 120 * 60 });
    expect(availability(installed)).toBe(0.5);
    // A device that never reported has no availability at all, not 0 %.
    expect(availability(tally({ from: min(0), to: min(60) }, min(60), timeline({})))).toBeNull();
  });

  it('excludes planned maintenance from both up and down, and unknown wins over maintenance', () => {
    const t = timeline({
      initial: true,
      changes: [
        { at: min(60), online: false },
        { at: min(120), online: true },
      ],
      // Overlapping windows 50–90 and 80–100 merge into 50–100; a window before installation stays unknown.
      maintenance: [
        { from: min(50), to: min(90) },
        { from: min(80), to: min(100) },
        { from: min(-30), to: min(-10) },
      ],
      installedAt: min(-20),
    });
    const r = tally({ from: min(-60), to: min(180) }, min(1000), t);
    expect(r.maintenanceS).toBe(10 * 60 + 50 * 60);
    expect(r.downS).toBe(20 * 60);
    expect(r.upS).toBe((10 + 50) * 60 + 60 * 60);
    expect(r.unknownS).toBe(40 * 60);
    expect(r.upS + r.downS + r.unknownS + r.maintenanceS).toBe(240 * 60);
  });

  it('clips at the window edges: the state at the start comes from before it, changes outside are ignored', () => {
    const t = timeline({
      initial: false,
      changes: [
        { at: min(-5), online: true },
        { at: min(30), online: true },
        { at: min(45), online: false },
        { at: min(200), online: true },
      ],
    });
    const r = tally({ from: min(0), to: min(60) }, min(1000), t);
    // initial=false holds until minute 30 (the change at -5 is outside the window and already folded into `initial`).
    expect(r).toEqual({ upS: 15 * 60, downS: 45 * 60, unknownS: 0, maintenanceS: 0, changes: 2 });
    const empty = tally({ from: min(10), to: min(10) }, min(1000), t);
    expect(empty.upS + empty.downS + empty.unknownS).toBe(0);
  });

  it('splits a timeline into local days that add up to the whole', () => {
    const t = timeline({
      initial: true,
      changes: [
        { at: min(23 * 60), online: false },
        { at: min(26 * 60), online: true },
      ],
      maintenance: [{ from: min(47 * 60), to: min(49 * 60) }],
    });
    const bounds = [min(0), min(24 * 60), min(48 * 60), min(72 * 60)];
    const days = tallySlices(bounds, min(100 * 60), t);
    expect(days.map((d) => [d.upS / H, d.downS / H, d.maintenanceS / H, d.changes])).toEqual([
      [23, 1, 0, 1],
      // The maintenance window 47 h–49 h straddles midnight: one hour on each day.
      [21, 2, 1, 1],
      [23, 0, 1, 0],
    ]);
    const whole = tally({ from: min(0), to: min(72 * 60) }, min(100 * 60), t);
    expect(days.reduce((s, d) => s + d.upS, 0)).toBe(whole.upS);
    expect(days.reduce((s, d) => s + d.maintenanceS, 0)).toBe(whole.maintenanceS);
  });

  it('merges overlapping spans and drops empty ones', () => {
    expect(
      mergeSpans([
        { from: 5, to: 8 },
        { from: 1, to: 3 },
        { from: 2, to: 4 },
        { from: 9, to: 9 },
        { from: 8, to: 10 },
      ]),
    ).toEqual([
      { from: 1, to: 4 },
      { from: 5, to: 10 },
    ]);
  });
});

describe('local days in the ward time zone', () => {
  const tz = 'Asia/Ho_Chi_Minh';
  it('puts midnight at 17:00 UTC the day before and rounds instants to days', () => {
    expect(new Date(dayStart('2026-06-30', tz)).toISOString()).toBe('2026-06-29T17:00:00.000Z');
    expect(localDay(Date.parse('2026-06-29T17:00:00Z'), tz)).toBe('2026-06-30');
    expect(localDay(Date.parse('2026-06-29T16:59:59Z'), tz)).toBe('2026-06-29');
    const noon = Date.parse('2026-06-30T05:00:00Z');
    expect(new Date(floorDay(noon, tz)).toISOString()).toBe('2026-06-29T17:00:00.000Z');
    expect(new Date(ceilDay(noon, tz)).toISOString()).toBe('2026-06-30T17:00:00.000Z');
    expect(ceilDay(dayStart('2026-06-30', tz), tz)).toBe(dayStart('2026-06-30', tz));
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
  it('handles a zone with daylight saving (23-hour day)', () => {
    const berlin = 'Europe/Berlin';
    expect(dayStart('2026-03-30', berlin) - dayStart('2026-03-29', berlin)).toBe(23 * 3600_000);
  });
});
