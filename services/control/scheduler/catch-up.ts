/**
 * Which occurrences of a schedule to fire now (pure; unit-tested with fake time). The catch-up rule
 * (docs/control.md § Scheduler): an occurrence whose fire time has come fires once; if the service was down or busy
 * and the fire time is more than `catchUpMs` in the past, the occurrence is skipped and recorded as skipped (a bulletin
 * aired hours late, or a dimming step for a night that is over, does more harm than good).
 */
import { nextOccurrence, occurrencesBetween, type RRule } from './rrule.ts';

export interface PlanInput {
  dtstart: number;
  rule: RRule | null;
  /** The next occurrence not yet handled (epoch ms). */
  nextAt: number;
  leadMs: number;
  catchUpMs: number;
}

export interface Plan {
  /** Occurrences to fire now, oldest first. */
  fire: number[];
  /** Occurrences too old to fire: recorded as skipped. */
  skip: number[];
  /** The next occurrence after these, or null when the schedule is finished. */
  next: number | null;
}

/** Most occurrences handled in one pass; a longer backlog continues in the next pass. */
export const MAX_PER_PASS = 500;

export function planOccurrences(s: PlanInput, tz: string, now: number, max = MAX_PER_PASS): Plan {
  const due: number[] = [];
  if (s.nextAt - s.leadMs <= now) due.push(s.nextAt);
  let next: number | null = s.nextAt;
  if (due.length) {
    if (s.rule) {
      const more = occurrencesBetween(s.rule, s.dtstart, tz, s.nextAt + 1, now + s.leadMs + 1, max - 1);
      due.push(...more);
      next = nextOccurrence(s.rule, s.dtstart, tz, due[due.length - 1] as number);
    } else {
      next = null;
    }
  }
  const fire: number[] = [];
  const skip: number[] = [];
  for (const occ of due) (now - (occ - s.leadMs) > s.catchUpMs ? skip : fire).push(occ);
  return { fire, skip, next };
}

/** The first occurrence of a new schedule: a one-off fires at its time; a recurring one from now on, never backwards. */
export function firstOccurrence(dtstart: number, rule: RRule | null, tz: string, now: number): number | null {
  if (!rule) return dtstart;
  return nextOccurrence(rule, dtstart, tz, Math.max(dtstart, now) - 1);
}
