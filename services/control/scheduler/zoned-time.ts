/**
 * Wall-clock time in an IANA zone (the ward's SW_TIMEZONE), for schedules and reporting days. Asia/Ho_Chi_Minh has a
 * fixed UTC+7 offset, but the zone is configuration, so conversions go through Intl and stay right where DST exists.
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
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws a RangeError for a zone name Intl does not know. */
export function checkZone(tz: string): void {
  formatter(tz);
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
  const w = toWall(Math.floor(epochMs / 1000) * 1000, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant a wall-clock time names. Two passes settle the offset; a time skipped by a DST jump maps to the instant
 * after the jump, an ambiguous one to its first occurrence.
 */
export function fromWall(w: { y: number; m: number; d: number; h?: number; mi?: number; s?: number }, tz: string): number {
  const naive = Date.UTC(w.y, w.m - 1, w.d, w.h ?? 0, w.mi ?? 0, w.s ?? 0);
  const first = naive - zoneOffsetMs(naive, tz);
  const second = naive - zoneOffsetMs(first, tz);
  return Math.min(first, second);
}

/** The local calendar date 'YYYY-MM-DD'. */
export function localDate(epochMs: number, tz: string): string {
  const w = toWall(epochMs, tz);
  return `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
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

export const dateKey = (x: { y: number; m: number; d: number }): string =>
  `${x.y}-${String(x.m).padStart(2, '0')}-${String(x.d).padStart(2, '0')}`;
