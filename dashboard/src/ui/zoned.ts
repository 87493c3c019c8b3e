/**
 * Wall-clock time in the ward's time zone, whatever zone the browser runs in: forms take times as the ward lives them
 * (a bulletin at 06:00 is 06:00 in Phước Long, even on a laptop set to another zone).
 */

/** The zone's offset from UTC (ms) at an instant. */
export function offsetMs(at: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at));
  const g = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('minute'), g('second')) - Math.floor(at / 1000) * 1000;
}

/** 'YYYY-MM-DDTHH:MM' (a datetime-local input's value) read as the zone's wall clock. */
export function zonedToDate(local: string, tz: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return new Date(Number.NaN);
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const first = asUtc - offsetMs(asUtc, tz);
  return new Date(asUtc - offsetMs(first, tz));
}

/** An instant as the zone's wall clock, in the form a datetime-local input takes. */
export function dateToZoned(d: Date, tz: string): string {
  return new Date(d.getTime() + offsetMs(d.getTime(), tz)).toISOString().slice(0, 16);
}

/** The zone's calendar fields at an instant (weekday 1 = Monday … 7 = Sunday). */
export function wall(at: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; weekday: number; dayStart: number } {
  const off = offsetMs(at, tz);
  const w = new Date(at + off);
  const dayStart = Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate()) - off;
  return { y: w.getUTCFullYear(), m: w.getUTCMonth() + 1, d: w.getUTCDate(), h: w.getUTCHours(), mi: w.getUTCMinutes(), weekday: ((w.getUTCDay() + 6) % 7) + 1, dayStart };
}
