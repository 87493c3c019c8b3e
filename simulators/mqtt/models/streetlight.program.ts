/**
 * A lighting program stored on the node (TALQ ControlProgram): steps at a fixed local time or at sunset/sunrise ±
 * offset. The node keeps running it while the backhaul is down, so the simulator evaluates it locally too.
 */
import type { Static } from 'typebox';
import type { streetlight } from '../../../devices/streetlight/index.ts';
import { localDay, localHour } from '../local-time.ts';
import { sunTimes } from './solar.ts';

export type LightingProgram = Static<typeof streetlight.commands.setProgram.params>;
export type ProgramStep = LightingProgram['steps'][number];

/** The program a node runs from commissioning until told otherwise (DOMAIN.md §2 proposal), at Phước Long. */
export const DEFAULT_PROGRAM: LightingProgram = {
  programId: 'factory-default',
  lat: 12.22,
  lon: 109.19,
  steps: [
    { at: 'sunset', level: 100, rampS: 60 },
    { at: '22:00', level: 70, rampS: 300 },
    { at: '00:00', level: 50, rampS: 300 },
    { at: '04:30', level: 70, rampS: 300 },
    { at: 'sunrise', level: 0, rampS: 60 },
  ],
};

export interface CurrentStep {
  step: ProgramStep;
  /** Identifies this occurrence of the step (local day + index): a step is applied once, when it starts. */
  key: string;
}

function stepMinute(step: ProgramStep, day: number, program: LightingProgram): number {
  let base: number;
  if (step.at === 'sunset' || step.at === 'sunrise') {
    const sun = sunTimes(day, program.lat, program.lon);
    // Polar day/night cannot happen in Vietnam; fall back to the tropical average rather than failing.
    base = (step.at === 'sunset' ? sun.sunset : sun.sunrise) ?? (step.at === 'sunset' ? 18 * 60 : 6 * 60);
  } else {
    const [hh, mm] = step.at.split(':').map(Number);
    base = (hh ?? 0) * 60 + (mm ?? 0);
  }
  return Math.min(1439, Math.max(0, base + (step.offsetMin ?? 0)));
}

/** The step in force at epoch ms t: the latest one started today, or else the last one of yesterday. */
export function currentStep(program: LightingProgram, t: number): CurrentStep {
  const day = localDay(t);
  const minute = localHour(t) * 60;
  const today = program.steps.map((step, i) => ({ step, i, at: stepMinute(step, day, program) }));
  let best: (typeof today)[number] | undefined;
  for (const s of today) if (s.at <= minute && (!best || s.at >= best.at)) best = s;
  if (best) return { step: best.step, key: `${day}:${best.i}` };
  const yesterday = program.steps.map((step, i) => ({ step, i, at: stepMinute(step, day - 1, program) }));
  let last = yesterday[0];
  for (const s of yesterday) if (last && s.at >= last.at) last = s;
  if (!last) throw new Error('a lighting program has at least one step');
  return { step: last.step, key: `${day - 1}:${last.i}` };
}
