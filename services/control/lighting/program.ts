/**
 * Lighting programs (TALQ ControlProgram): a daily list of steps, each at a fixed local time or at sunset/sunrise ±
 * minutes, setting a level with an optional ramp. The service evaluates a program the way a node does
 * (simulators/mqtt/models/streetlight.program.ts): the step in force is the latest one started today, else the last
 * one of yesterday. Programs are checked for overlap over a whole year at the ward's coordinates before they are stored.
 */
import { addDays, dateKey, fromWall, toWall } from '../../common/zoned-time.ts';
import { sunTimes } from './solar.ts';

export interface ProgramStep {
  at: string;
  offsetMin?: number;
  level: number;
  rampS?: number;
}

export interface Site {
  lat: number;
  lon: number;
  tz: string;
}

export interface StepProblem {
  code: 'OVERLAPPING_STEPS' | 'STEP_OUTSIDE_DAY' | 'BAD_STEP';
  message: string;
  details: Record<string, unknown>;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE = 60_000;

/** Minutes after local midnight at which the step starts on that local date (may fall outside 0–1439). */
export function stepMinute(step: ProgramStep, date: { y: number; m: number; d: number }, site: Site): number {
  let base: number;
  if (step.at === 'sunset' || step.at === 'sunrise') {
    const sun = sunTimes(date, site.lat, site.lon);
    const t = step.at === 'sunset' ? sun.sunset : sun.sunrise;
    // Polar day/night cannot happen in Vietnam; 18:00 / 06:00 keeps a program usable anywhere rather than failing.
    if (t === null) base = step.at === 'sunset' ? 18 * 60 : 6 * 60;
    else base = (t - fromWall({ ...date, h: 0, mi: 0 }, site.tz)) / MINUTE;
  } else {
    const m = HHMM.exec(step.at);
    base = m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  }
  return base + (step.offsetMin ?? 0);
}

/** Epoch ms of the step on that local date; clamped into the day like the nodes do. */
export function stepInstant(step: ProgramStep, date: { y: number; m: number; d: number }, site: Site): number {
  const minute = Math.min(1439, Math.max(0, Math.round(stepMinute(step, date, site))));
  return fromWall({ ...date, h: Math.floor(minute / 60), mi: minute % 60 }, site.tz);
}

export interface StepInForce {
  index: number;
  step: ProgramStep;
  /** When it started (epoch ms). */
  startedAt: number;
  /** Level of the step before it (what the ramp started from). */
  previousLevel: number;
}

function latestOn(steps: readonly ProgramStep[], date: { y: number; m: number; d: number }, site: Site, upTo: number): { i: number; at: number } | null {
  let best: { i: number; at: number } | null = null;
  steps.forEach((s, i) => {
    const at = stepInstant(s, date, site);
    if (at <= upTo && (!best || at >= best.at)) best = { i, at };
  });
  return best;
}

/** The step in force at epoch ms t. */
export function stepAt(steps: readonly ProgramStep[], t: number, site: Site): StepInForce {
  if (steps.length === 0) throw new Error('a lighting program has at least one step');
  const w = toWall(t, site.tz);
  const today = { y: w.y, m: w.m, d: w.d };
  const yesterday = addDays(today, -1);
  const cur = latestOn(steps, today, site, t) ?? latestOn(steps, yesterday, site, Number.POSITIVE_INFINITY);
  if (!cur) throw new Error('unreachable: yesterday always has a last step');
  const prev =
    latestOn(steps, today, site, cur.at - 1) ??
    latestOn(steps, yesterday, site, cur.at - 1) ??
    latestOn(steps, addDays(today, -2), site, Number.POSITIVE_INFINITY);
  const step = steps[cur.i] as ProgramStep;
  return { index: cur.i, step, startedAt: cur.at, previousLevel: prev ? (steps[prev.i] as ProgramStep).level : step.level };
}

/** Level the program drives at t, following the ramp of the step in force. */
export function levelAt(steps: readonly ProgramStep[], t: number, site: Site): { level: number; inRamp: boolean; step: StepInForce } {
  const s = stepAt(steps, t, site);
  const rampMs = (s.step.rampS ?? 0) * 1000;
  if (rampMs > 0 && t < s.startedAt + rampMs) {
    const f = (t - s.startedAt) / rampMs;
    return { level: Math.round(s.previousLevel + (s.step.level - s.previousLevel) * f), inRamp: true, step: s };
  }
  return { level: s.step.level, inRamp: false, step: s };
}

const hhmm = (minute: number): string => {
  const m = ((Math.round(minute) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

function checkShape(steps: readonly ProgramStep[]): StepProblem | null {
  for (const [i, s] of steps.entries()) {
    if (s.at !== 'sunset' && s.at !== 'sunrise' && !HHMM.test(s.at)) {
      return { code: 'BAD_STEP', message: `step ${i + 1}: 'at' must be HH:MM, 'sunset' or 'sunrise'`, details: { step: i } };
    }
  }
  return null;
}

/**
 * Refuses a program whose steps collide on any day of the year at the site: two steps at the same minute, steps that
 * swap order as sunset moves (e.g. 'sunset+60' against '19:00'), a step whose ramp runs into the next step, or a step
 * pushed outside its day by its offset. Step order is taken on the first day and must hold every day.
 */
export function checkProgram(steps: readonly ProgramStep[], site: Site, year = 2026): StepProblem | null {
  const shape = checkShape(steps);
  if (shape) return shape;
  let order: number[] | null = null;
  for (let k = 0; k < 366; k++) {
    const date = addDays({ y: year, m: 1, d: 1 }, k);
    const mins = steps.map((s) => stepMinute(s, date, site));
    const bad = mins.findIndex((m) => m < 0 || m >= 1440);
    if (bad >= 0) {
      return {
        code: 'STEP_OUTSIDE_DAY',
        message: `step ${bad + 1} falls outside its day on ${dateKey(date)} (offset too large)`,
        details: { step: bad, date: dateKey(date) },
      };
    }
    const sorted = mins.map((m, i) => ({ m, i })).sort((a, b) => a.m - b.m || a.i - b.i);
    const seq = sorted.map((x) => x.i);
    if (order && seq.join() !== order.join()) {
      const j = seq.findIndex((x, n) => x !== order?.[n]);
      const a = order[j] as number;
      const b = seq[j] as number;
      return {
        code: 'OVERLAPPING_STEPS',
        message: `steps ${a + 1} and ${b + 1} change order during the year (on ${dateKey(date)} they are at ${hhmm(mins[a] ?? 0)} and ${hhmm(mins[b] ?? 0)})`,
        details: { steps: [a, b], date: dateKey(date) },
      };
    }
    order = seq;
    for (let n = 0; n < sorted.length && sorted.length > 1; n++) {
      const cur = sorted[n] as { m: number; i: number };
      const next = sorted[(n + 1) % sorted.length] as { m: number; i: number };
      const gap = n + 1 < sorted.length ? next.m - cur.m : next.m + 1440 - cur.m;
      const need = Math.max(1, Math.ceil((steps[cur.i]?.rampS ?? 0) / 60));
      if (gap < need) {
        return {
          code: 'OVERLAPPING_STEPS',
          message:
            gap < 1
              ? `steps ${cur.i + 1} and ${next.i + 1} start within a minute of each other (${hhmm(cur.m)}) on ${dateKey(date)}`
              : `step ${cur.i + 1} (${hhmm(cur.m)}) ramps for ${steps[cur.i]?.rampS ?? 0} s and runs into step ${next.i + 1} (${hhmm(next.m)}) on ${dateKey(date)}`,
          details: { steps: [cur.i, next.i], date: dateKey(date) },
        };
      }
    }
  }
  return null;
}
