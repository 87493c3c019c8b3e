/**
 * Wall-clock time in the ward's time zone, whatever zone the browser runs in: forms take times as the ward lives them
 * (a bulletin at 06:00 is 06:00 in Phước Long, even on a laptop set to another zone). The conversions are the service's
 * own (services/common/zoned-time.ts), bundled, so the dashboard and the scheduler never disagree about an instant.
 */
import { floorDay, fromWall, toWall, zoneOffsetMs } from '../../../services/common/zoned-time.ts';

const pad = (n: number): string => String(n).padStart(2, '0');

/** The zone's offset from UTC (ms) at an instant. */
export const offsetMs = zoneOffsetMs;

/** 'YYYY-MM-DDTHH:MM' (a datetime-local input's value) read as the zone's wall clock. */
export function zonedToDate(local: string, tz: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return new Date(Number.NaN);
  return new Date(fromWall({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]), h: Number(m[4]), mi: Number(m[5]) }, tz));
}

/** An instant as the zone's wall clock, in the form a datetime-local input takes. */
export function dateToZoned(d: Date, tz: string): string {
  const w = toWall(d.getTime(), tz);
  return `${w.y}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/** The zone's calendar fields at an instant (weekday 1 = Monday … 7 = Sunday) and the instant its day starts. */
export function wall(at: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; weekday: number; dayStart: number } {
  const w = toWall(at, tz);
  return { y: w.y, m: w.m, d: w.d, h: w.h, mi: w.mi, weekday: w.wd, dayStart: floorDay(at, tz) };
}
