/**
 * Local calendar days in the ward's time zone (SW_TIMEZONE; Asia/Ho_Chi_Minh has no daylight saving, but the
 * arithmetic below does not assume that). Days are 'YYYY-MM-DD' strings; instants are epoch milliseconds.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in ms (UTC+7 → 25 200 000). */
export function tzOffsetMs(instant: number, tz: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The local calendar day an instant falls on. */
export function localDay(instant: number, tz: string): string {
  return new Date(instant + tzOffsetMs(instant, tz)).toISOString().slice(0, 10);
}

/** The instant a local day starts (its local midnight). */
export function dayStart(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when midnight is near an offset change.
  let t = guess - tzOffsetMs(guess, tz);
  t = guess - tzOffsetMs(t, tz);
  return t;
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Local days [fromDay, toDay) as strings. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const out: string[] = [];
  for (let d = fromDay; d < toDay; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Start of the first local day that starts at or after `instant`. */
export function ceilDay(instant: number, tz: string): number {
  const start = dayStart(localDay(instant, tz), tz);
  return start === instant ? start : dayStart(addDays(localDay(instant, tz), 1), tz);
}

/** Start of the local day `instant` falls on. */
export function floorDay(instant: number, tz: string): number {
  return dayStart(localDay(instant, tz), tz);
}
