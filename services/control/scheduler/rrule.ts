/**
 * Recurrence rules: the subset of RFC 5545 §3.3.10 a ward's schedules need — FREQ (MINUTELY, HOURLY, DAILY, WEEKLY,
 * MONTHLY), INTERVAL, BYDAY (no ordinals), BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE, COUNT, UNTIL; WKST=MO.
 * Occurrences are wall-clock times in the ward's zone, expanded from DTSTART (the schedule's first time). As in common
 * libraries, DTSTART is an occurrence only when it matches the rule.
 */
import { addDays, fromWall, toWall, type WallTime } from '../../common/zoned-time.ts';

export type Freq = 'MINUTELY' | 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY';

export interface RRule {
  freq: Freq;
  interval: number;
  byDay: number[] | null;
  byMonthDay: number[] | null;
  byMonth: number[] | null;
  byHour: number[] | null;
  byMinute: number[] | null;
  count: number | null;
  /** Inclusive end (epoch ms). */
  until: number | null;
}

export class RRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RRuleError';
  }
}

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const FREQS: readonly Freq[] = ['MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'];
/** A rule that matches nothing for this many periods in a row is abandoned (e.g. BYMONTHDAY=31;BYMONTH=2). */
const MAX_EMPTY_PERIODS = 50_000;

function intList(key: string, v: string, min: number, max: number, allowNegative = false): number[] {
  const out = v.split(',').map((x) => {
    if (!/^[+-]?\d+$/.test(x)) throw new RRuleError(`${key}: '${x}' is not an integer`);
    const n = Number(x);
    const ok = allowNegative ? n !== 0 && Math.abs(n) >= min && Math.abs(n) <= max : n >= min && n <= max;
    if (!ok) throw new RRuleError(`${key}: ${n} is out of range ${allowNegative ? `±${min}..${max}` : `${min}..${max}`}`);
    return n;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

function parseUntil(v: string, tz: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(v);
  if (!m) throw new RRuleError(`UNTIL: '${v}' is not YYYYMMDD or YYYYMMDDTHHMMSS[Z]`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x)));
  const date = { y: y ?? 0, m: mo ?? 1, d: d ?? 1 };
  // A bare date includes that whole local day.
  if (h === undefined) return fromWall({ ...date, h: 23, mi: 59, s: 59 }, tz);
  if (m[7]) return Date.UTC(date.y, date.m - 1, date.d, h, mi ?? 0, s ?? 0);
  return fromWall({ ...date, h, mi: mi ?? 0, s: s ?? 0 }, tz);
}

/** Parses "FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=7;BYMINUTE=0" (an "RRULE:" prefix is accepted). */
export function parseRRule(text: string, tz: string): RRule {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!body) throw new RRuleError('the rule is empty');
  const r: RRule = { freq: 'DAILY', interval: 1, byDay: null, byMonthDay: null, byMonth: null, byHour: null, byMinute: null, count: null, until: null };
  let freq: Freq | null = null;
  const seen = new Set<string>();
  for (const part of body.split(';')) {
    const [rawKey, value] = part.split('=');
    const key = (rawKey ?? '').toUpperCase();
    if (!value) throw new RRuleError(`'${part}' has no value`);
    if (seen.has(key)) throw new RRuleError(`${key} appears twice`);
    seen.add(key);
    const v = value.toUpperCase();
    switch (key) {
      case 'FREQ':
        if (!(FREQS as readonly string[]).includes(v)) throw new RRuleError(`FREQ=${v} is not supported (use ${FREQS.join(', ')})`);
        freq = v as Freq;
        break;
      case 'INTERVAL':
        r.interval = intList(key, v, 1, 1000)[0] ?? 1;
        break;
      case 'BYDAY':
        r.byDay = [
          ...new Set(
            v.split(',').map((d) => {
              const i = DAYS.indexOf(d);
              if (i < 0) throw new RRuleError(`BYDAY: '${d}' is not one of ${DAYS.join(',')} (ordinals such as 1MO are not supported)`);
              return i + 1;
            }),
          ),
        ].sort((a, b) => a - b);
        break;
      case 'BYMONTHDAY':
        r.byMonthDay = intList(key, v, 1, 31, true);
        break;
      case 'BYMONTH':
        r.byMonth = intList(key, v, 1, 12);
        break;
      case 'BYHOUR':
        r.byHour = intList(key, v, 0, 23);
        break;
      case 'BYMINUTE':
        r.byMinute = intList(key, v, 0, 59);
        break;
      case 'COUNT':
        r.count = intList(key, v, 1, 100_000)[0] ?? 1;
        break;
      case 'UNTIL':
        r.until = parseUntil(v, tz);
        break;
      case 'WKST':
        if (v !== 'MO') throw new RRuleError('only WKST=MO is supported');
        break;
      default:
        throw new RRuleError(`${key} is not supported`);
    }
  }
  if (!freq) throw new RRuleError('FREQ is required');
  if (r.count !== null && r.until !== null) throw new RRuleError('COUNT and UNTIL cannot both be given (RFC 5545)');
  r.freq = freq;
  return r;
}

interface Start {
  t: number;
  w: WallTime;
}

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

function times(rule: RRule, s: Start): { h: number; mi: number }[] {
  const out: { h: number; mi: number }[] = [];
  for (const h of rule.byHour ?? [s.w.h]) for (const mi of rule.byMinute ?? [s.w.mi]) out.push({ h, mi });
  return out;
}

function dayMatches(rule: RRule, date: { y: number; m: number; d: number; wd: number }): boolean {
  if (rule.byMonth && !rule.byMonth.includes(date.m)) return false;
  if (rule.byDay && !rule.byDay.includes(date.wd)) return false;
  if (rule.byMonthDay) {
    const dim = daysInMonth(date.y, date.m);
    if (!rule.byMonthDay.some((x) => (x > 0 ? x : dim + 1 + x) === date.d)) return false;
  }
  return true;
}

function onDates(rule: RRule, s: Start, tz: string, dates: { y: number; m: number; d: number }[]): number[] {
  const out: number[] = [];
  for (const date of dates) for (const t of times(rule, s)) out.push(fromWall({ ...date, h: t.h, mi: t.mi, s: s.w.s }, tz));
  return out.sort((a, b) => a - b);
}

/** Candidate instants of period k (sorted). */
function period(rule: RRule, s: Start, tz: string, k: number): number[] {
  const step = k * rule.interval;
  const w = s.w;
  switch (rule.freq) {
    case 'DAILY': {
      const date = addDays(w, step);
      return dayMatches(rule, date) ? onDates(rule, s, tz, [date]) : [];
    }
    case 'WEEKLY': {
      const monday = addDays(w, -(w.wd - 1) + 7 * step);
      const wds = rule.byDay ?? [w.wd];
      const dates = wds.map((wd) => addDays(monday, wd - 1)).filter((d) => dayMatches({ ...rule, byDay: null }, d));
      return onDates(rule, s, tz, dates);
    }
    case 'MONTHLY': {
      const idx = w.y * 12 + (w.m - 1) + step;
      const y = Math.floor(idx / 12);
      const m = (idx % 12) + 1;
      const dim = daysInMonth(y, m);
      const dates: { y: number; m: number; d: number }[] = [];
      const defaultDay = !rule.byMonthDay && !rule.byDay;
      for (let d = 1; d <= dim; d++) {
        const date = addDays({ y, m, d }, 0);
        if (defaultDay ? d === w.d && dayMatches(rule, date) : dayMatches(rule, date)) dates.push(date);
      }
      return onDates(rule, s, tz, dates);
    }
    case 'HOURLY': {
      const base = Math.floor(s.t / 3_600_000) * 3_600_000 + step * 3_600_000;
      const hw = toWall(base, tz);
      if (rule.byHour && !rule.byHour.includes(hw.h)) return [];
      if (!dayMatches(rule, hw)) return [];
      return (rule.byMinute ?? [w.mi]).map((mi) => base + mi * 60_000 + w.s * 1000);
    }
    case 'MINUTELY': {
      const t = Math.floor(s.t / 60_000) * 60_000 + step * 60_000 + w.s * 1000;
      const mw = toWall(t, tz);
      if (rule.byHour && !rule.byHour.includes(mw.h)) return [];
      if (rule.byMinute && !rule.byMinute.includes(mw.mi)) return [];
      return dayMatches(rule, mw) ? [t] : [];
    }
  }
}

/** A period index at or before the one holding `from`, so long-running rules need not be walked from DTSTART. */
function firstPeriodNear(rule: RRule, s: Start, tz: string, from: number): number {
  if (rule.count !== null || from <= s.t) return 0;
  const f = toWall(from, tz);
  const days = Math.round((Date.UTC(f.y, f.m - 1, f.d) - Date.UTC(s.w.y, s.w.m - 1, s.w.d)) / 86_400_000);
  let k: number;
  switch (rule.freq) {
    case 'DAILY':
      k = Math.floor(days / rule.interval);
      break;
    case 'WEEKLY':
      k = Math.floor(days / (7 * rule.interval));
      break;
    case 'MONTHLY':
      k = Math.floor((f.y * 12 + f.m - (s.w.y * 12 + s.w.m)) / rule.interval);
      break;
    case 'HOURLY':
      k = Math.floor((from - s.t) / (3_600_000 * rule.interval));
      break;
    case 'MINUTELY':
      k = Math.floor((from - s.t) / (60_000 * rule.interval));
      break;
  }
  return Math.max(0, k - 1);
}

/** Occurrences in [fromMs, toMs), at most `limit`, ascending. */
export function occurrencesBetween(rule: RRule, dtstart: number, tz: string, fromMs: number, toMs: number, limit = 1000): number[] {
  const s: Start = { t: dtstart, w: toWall(dtstart, tz) };
  const out: number[] = [];
  let n = 0;
  let empty = 0;
  for (let k = firstPeriodNear(rule, s, tz, fromMs); empty < MAX_EMPTY_PERIODS; k++) {
    const cands = period(rule, s, tz, k).filter((t) => t >= dtstart);
    empty = cands.length ? 0 : empty + 1;
    for (const t of cands) {
      if (rule.until !== null && t > rule.until) return out;
      if (t >= toMs) return out;
      n++;
      if (rule.count !== null && n > rule.count) return out;
      if (t >= fromMs) {
        out.push(t);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

/** The first occurrence strictly after afterMs, or null when the rule has ended. */
export function nextOccurrence(rule: RRule, dtstart: number, tz: string, afterMs: number): number | null {
  return occurrencesBetween(rule, dtstart, tz, afterMs + 1, Number.POSITIVE_INFINITY, 1)[0] ?? null;
}
