/**
 * The one module for wall-clock time in an IANA zone (the ward's SW_TIMEZONE): schedules, reporting days and periods,
 * uptime days, and the dashboard's forms all convert through it. Asia/Ho_Chi_Minh has a fixed UTC+7 offset, but the zone
 * is configuration, so every conversion goes through Intl and stays right where daylight saving exists
 * (tests/unit/zoned-time.test.ts checks Berlin, New York, Santiago and Lord Howe transitions).
 *
 * Pure functions of (instant, zone): no Node API, so the dashboard bundles the same code.
 * Instants are epoch milliseconds; calendar days are 'YYYY-MM-DD' strings or {y, m, d} records.
 */
export interface WallTime {
  y: number;
  /** 1–12 */
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  wd: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws a RangeError for a zone name Intl does not know. */
export function checkZone(tz: string): void {
  formatter(tz);
}

/** True when Intl knows the zone name (config validation). */
export function isValidZone(tz: string): boolean {
  try {
    checkZone(tz);
    return true;
  } catch {
    return false;
  }
}

export function toWall(epochMs: number, tz: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(epochMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const y = parts.year ?? 1970;
  const m = parts.month ?? 1;
  const d = parts.day ?? 1;
  const wd = ((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1;
  return { y, m, d, h: parts.hour ?? 0, mi: parts.minute ?? 0, s: parts.second ?? 0, wd };
}

/** Offset of the zone from UTC at that instant, in ms (UTC+7 → 25 200 000). */
export function zoneOffsetMs(epochMs: number, tz: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  const w = toWall(whole, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - whole;
}

/**
 * The instant a wall-clock time names. A time that exists once maps to that instant; an ambiguous one (clocks set back)
 * to its first occurrence; a time skipped by a jump forward to the instant the jump lands on (02:30 on a spring-forward
 * night at 02:00 → 03:00 local), so that a day starting in a gap still starts at its first real instant.
 */
export function fromWall(w: { y: number; m: number; d: number; h?: number; mi?: number; s?: number }, tz: string): number {
  const naive = Date.UTC(w.y, w.m - 1, w.d, w.h ?? 0, w.mi ?? 0, w.s ?? 0);
  // The offsets in force a day either side bound every offset the zone could use at that wall time.
  const candidates = new Set([zoneOffsetMs(naive - 86_400_000, tz), zoneOffsetMs(naive, tz), zoneOffsetMs(naive + 86_400_000, tz)]);
  const exact = [...candidates].map((off) => naive - off).filter((t) => naive - zoneOffsetMs(t, tz) === t);
  if (exact.length) return Math.min(...exact);
  // In a gap: the jump happens between the two readings; find its instant by bisection (to the second).
  let lo = naive - Math.max(...candidates);
  let hi = naive - Math.min(...candidates);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (mid + zoneOffsetMs(mid, tz) < naive) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The local calendar date 'YYYY-MM-DD'. */
export function localDate(epochMs: number, tz: string): string {
  const w = toWall(epochMs, tz);
  return `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** The local calendar day an instant falls on, 'YYYY-MM-DD' (same as localDate). */
export const localDay = localDate;

/** The instant a local day starts: its first real instant (local midnight, or the end of a gap at midnight). */
export function dayStart(day: string, tz: string): number {
  return fromWall(parseDate(day), tz);
}

/** Adds calendar days to a 'YYYY-MM-DD' day. */
export function addDaysIso(day: string, n: number): string {
  return dateKey(addDays(parseDate(day), n));
}

/** Local days [fromDay, toDay) as strings. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const out: string[] = [];
  for (let d = fromDay; d < toDay; d = addDaysIso(d, 1)) out.push(d);
  return out;
}

/** Start of the local day `instant` falls on. */
export function floorDay(instant: number, tz: string): number {
  return dayStart(localDay(instant, tz), tz);
}

/** Start of the first local day that starts at or after `instant`. */
export function ceilDay(instant: number, tz: string): number {
  const start = floorDay(instant, tz);
  return start === instant ? start : dayStart(addDaysIso(localDay(instant, tz), 1), tz);
}

/** Adds calendar days to a date (no zone involved: dates are labels). */
export function addDays(date: { y: number; m: number; d: number }, days: number): { y: number; m: number; d: number; wd: number } {
  const t = new Date(Date.UTC(date.y, date.m - 1, date.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), wd: ((t.getUTCDay() + 6) % 7) + 1 };
}

export function parseDate(s: string): { y: number; m: number; d: number } {
  const [y, m, d] = s.split('-').map(Number);
  return { y: y ?? 1970, m: m ?? 1, d: d ?? 1 };
}

export const dateKey = (x: { y: number; m: number; d: number }): string => `${x.y}-${String(x.m).padStart(2, '0')}-${String(x.d).padStart(2, '0')}`;
