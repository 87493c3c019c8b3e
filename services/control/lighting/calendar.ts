/**
 * Lighting calendars (TALQ Calendar): an ordered list of rules, each a date range with optional weekdays naming a
 * program; the first rule that matches a date wins, the default program otherwise. Dates are 'YYYY-MM-DD' (one period,
 * e.g. Tết 2027, whose dates move every year) or 'MM-DD' (every year, e.g. National Day 09-02; may wrap New Year).
 *
 * A "lighting day" runs from 12:00 to 12:00 local time: the calendar is read for the date of the evening, so the night
 * of 16–17 February runs the program of 16 February through to the next morning.
 */
import { addDays, dateKey, toWall } from '../../common/zoned-time.ts';

export interface CalendarRule {
  name?: string;
  from: string;
  to: string;
  /** ISO weekdays 1 (Monday) … 7 (Sunday); absent = every day. */
  weekdays?: number[];
  programId: string;
}

export interface Calendar {
  defaultProgramId: string;
  rules: CalendarRule[];
}

const FULL = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEARLY = /^(\d{2})-(\d{2})$/;

export interface RuleProblem {
  index: number;
  message: string;
}

function validMonthDay(m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(2024, m, 0)).getUTCDate();
}

function checkDate(s: string): 'full' | 'yearly' | null {
  const f = FULL.exec(s);
  if (f) return validMonthDay(Number(f[2]), Number(f[3])) && new Date(`${s}T00:00:00Z`).getUTCDate() === Number(f[3]) ? 'full' : null;
  const y = YEARLY.exec(s);
  if (y) return validMonthDay(Number(y[1]), Number(y[2])) ? 'yearly' : null;
  return null;
}

/** Shape problems of a rule list (program existence is checked by the service). */
export function checkRules(rules: readonly CalendarRule[]): RuleProblem | null {
  for (const [index, r] of rules.entries()) {
    const a = checkDate(r.from);
    const b = checkDate(r.to);
    if (!a || !b) return { index, message: `rule ${index + 1}: dates must be YYYY-MM-DD or MM-DD (got '${r.from}'..'${r.to}')` };
    if (a !== b) return { index, message: `rule ${index + 1}: 'from' and 'to' must both be full dates or both be MM-DD` };
    if (a === 'full' && r.from > r.to) return { index, message: `rule ${index + 1}: 'from' ${r.from} is after 'to' ${r.to}` };
    if (r.weekdays && (r.weekdays.length === 0 || r.weekdays.some((w) => !Number.isInteger(w) || w < 1 || w > 7))) {
      return { index, message: `rule ${index + 1}: weekdays are 1 (Monday) … 7 (Sunday), at least one` };
    }
  }
  return null;
}

function inRange(rule: CalendarRule, date: string): boolean {
  if (FULL.test(rule.from)) return date >= rule.from && date <= rule.to;
  const md = date.slice(5);
  // A yearly range such as 12-30..01-02 wraps the turn of the year.
  return rule.from <= rule.to ? md >= rule.from && md <= rule.to : md >= rule.from || md <= rule.to;
}

/** The program for a date: the first matching rule's, or the default; with the rule that decided. */
export function programFor(cal: Calendar, date: { y: number; m: number; d: number }): { programId: string; rule: number | null } {
  const key = dateKey(date);
  const wd = addDays(date, 0).wd;
  for (const [i, r] of cal.rules.entries()) {
    if (inRange(r, key) && (!r.weekdays || r.weekdays.includes(wd))) return { programId: r.programId, rule: i };
  }
  return { programId: cal.defaultProgramId, rule: null };
}

/** The local date whose calendar entry governs instant t (lighting days start at 12:00 local). */
export function lightingDay(t: number, tz: string): { y: number; m: number; d: number } {
  const w = toWall(t, tz);
  const date = { y: w.y, m: w.m, d: w.d };
  return w.h < 12 ? addDays(date, -1) : date;
}
