/** What the radio page reads from the radio API, and the week view's airing times (pure). */
import { fmtNum } from '../../dom.ts';
import { t } from '../../i18n.ts';
import { wall } from '../../ui/zoned.ts';
import './words.ts';

export interface Audio {
  id: string;
  title: string;
  format: string;
  sizeBytes: number;
  durationS: number;
  uploadedBy: string;
  createdAt: string;
}
export interface Broadcast {
  id: string;
  title: string;
  priority: 'normal' | 'priority' | 'emergency';
  source: 'file' | 'live';
  audioId: string | null;
  zoneIds: string[];
  clusterIds: string[];
  startsAt: string;
  rrule: string | null;
  durationS: number | null;
  status: 'scheduled' | 'done' | 'cancelled';
  createdBy: string;
  requestedAt: string;
}
export interface Clash {
  otherId: string;
  otherTitle?: string;
  firstAt: string | number;
  clusters: string[];
  kind: string;
}
export interface CheckResult {
  conflicts: Clash[];
  willPreempt: Clash[];
  blockedBy: Clash[];
  clusters: string[];
}
export interface Conflict {
  id: number;
  broadcastId: string;
  otherBroadcastId: string;
  firstClashAt: string;
  message: { vi: string; en: string };
}
export interface Report {
  broadcast: Broadcast;
  summary: { clusters: number; acknowledged: number; airedFully: number; preempted: number; failed: number; airtimeS: number };
  clusters: {
    clusterId: string;
    airings: { occurrenceAt: string; state: string | null; error: string | null }[];
    playLogs: { start: string | null; end: string | null; result: string | null; reason: unknown }[];
    airtimeS: number;
  }[];
}

export const DAY_MS = 86_400_000;
export const WEEKDAYS_VI = ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'];
export const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const BYDAY = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

export const dur = (s: number | null): string =>
  s === null ? '—' : s >= 60 ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : `${fmtNum(s, 1)} ${t('seconds')}`;

/**
 * Occurrence starts of a broadcast inside [from, to), for the week view: one-off items, and the common recurrences
 * (DAILY, WEEKLY with BYDAY, with BYHOUR/BYMINUTE and UNTIL) expanded here; other rules show on their first day, marked.
 */
export function occurrences(b: Broadcast, from: number, to: number, tz: string): { at: number; approx: boolean }[] {
  const start = Date.parse(b.startsAt);
  if (!b.rrule) return start >= from && start < to ? [{ at: start, approx: false }] : [];
  const rule = Object.fromEntries(
    b.rrule
      .replace(/^RRULE:/, '')
      .split(';')
      .map((kv) => kv.split('=') as [string, string]),
  );
  const freq = rule.FREQ;
  const interval = Number(rule.INTERVAL ?? 1) || 1;
  const until = rule.UNTIL
    ? Date.parse(
        rule.UNTIL.replace(
          /^(\d{4})(\d{2})(\d{2})(T(\d{2})(\d{2})(\d{2})Z?)?$/,
          (_m, y: string, mo: string, d: string, tpart?: string, hh?: string, mi?: string, ss?: string) =>
            tpart ? `${y}-${mo}-${d}T${hh}:${mi}:${ss}Z` : `${y}-${mo}-${d}T23:59:59Z`,
        ),
      )
    : Number.POSITIVE_INFINITY;
  if (freq !== 'DAILY' && freq !== 'WEEKLY') return start < to ? [{ at: Math.max(start, from), approx: true }] : [];
  const s = wall(start, tz);
  const hours = rule.BYHOUR ? rule.BYHOUR.split(',').map(Number) : [s.h];
  const minutes = rule.BYMINUTE ? rule.BYMINUTE.split(',').map(Number) : [s.mi];
  const days = rule.BYDAY ? rule.BYDAY.split(',').map((d) => BYDAY.indexOf(d) + 1) : freq === 'WEEKLY' ? [s.weekday] : null;
  const out: { at: number; approx: boolean }[] = [];
  for (let day = wall(from, tz).dayStart; day < to; day += DAY_MS) {
    const w = wall(day + 12 * 3_600_000, tz);
    const daysFromStart = Math.round((w.dayStart - s.dayStart) / DAY_MS);
    if (daysFromStart < 0) continue;
    if (days && !days.includes(w.weekday)) continue;
    if (freq === 'DAILY' && daysFromStart % interval !== 0) continue;
    if (freq === 'WEEKLY' && Math.floor((daysFromStart + s.weekday - 1) / 7) % interval !== 0) continue;
    for (const hh of hours)
      for (const mi of minutes) {
        const at = w.dayStart + hh * 3_600_000 + mi * 60_000;
        if (at >= start && at <= until && at >= from && at < to) out.push({ at, approx: false });
      }
  }
  return out;
}
