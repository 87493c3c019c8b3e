/**
 * Streetlight node (TALQ LampActuator + ElectricalMeter): level with ramps, overrides with expiry, a local lighting
 * program, and metering derived from the level. DOMAIN.md §2: power = rated W × curve(level) ± 2 % noise,
 * current = P / (V × pf), V ≈ 220 V ± 10 % over the day, energy and burning hours integrate.
 */
import type { Static } from 'typebox';
import type { streetlight } from '../../../devices/streetlight/index.ts';
import { HOUR_MS, localHour } from '../local-time.ts';
import { clamp, noise, round, unit } from '../noise.ts';
import { isoTime, rejected, timeSteps } from './model.ts';
import type { BaseState, CommandOutcome, DeviceModel, Metrics, ModelStep } from './model.ts';
import { DEFAULT_PROGRAM, currentStep } from './streetlight.program.ts';
import type { LightingProgram } from './streetlight.program.ts';

type SetLevel = Static<typeof streetlight.commands.setLevel.params>;
type Reason = NonNullable<SetLevel['reason']>;

interface Ramp {
  from: number;
  to: number;
  start: number;
  end: number;
}

export interface StreetlightState extends BaseState {
  readonly ratedW: number;
  /** Applied level at the start of `ramp`, or the settled level when there is none. */
  readonly level: number;
  readonly ramp: Ramp | null;
  readonly targetLevel: number;
  readonly reason: Reason;
  /** End of the current override (epoch ms); null = held until clearOverride. */
  readonly overrideUntil: number | null;
  /** Level without program or override. */
  readonly defaultLevel: number;
  readonly program: LightingProgram | null;
  /** Occurrence key of the program step applied last, so each step is applied once and manual levels stick. */
  readonly programStep: string | null;
  readonly energyKWh: number;
  readonly operatingHours: number;
  readonly switchCount: number;
}

const RATINGS_W = [40, 60, 80, 100, 120, 150] as const;
/** Controller electronics draw a little even with the lamp off. */
const STANDBY_W = 0.4;
/** Integration step: short enough to follow ramps and schedule changes, long enough to jump days quickly. */
const STEP_MS = 60_000;
const SALT = { rated: 1, power: 2, voltage: 3, temp: 4, rssi: 5, rssiBase: 6 } as const;

/** The luminaire's rated power, fixed by the seed: what its nameplate (and the device's asset record) says. */
export const ratedPowerW = (seed: number): number => RATINGS_W[Math.floor(unit(seed, SALT.rated) * RATINGS_W.length)] ?? 100;

/** LED drivers are less efficient when dimmed: ~10 % of rated power at the lowest level. */
export const dimCurve = (level: number): number => (level <= 0 ? 0 : 0.1 + 0.9 * (clamp(level, 0, 100) / 100));

export function levelAt(s: StreetlightState, t: number): number {
  const r = s.ramp;
  if (!r) return s.level;
  if (t >= r.end) return r.to;
  if (t <= r.start) return r.from;
  return r.from + ((r.to - r.from) * (t - r.start)) / (r.end - r.start);
}

/** Day burner (TALQ lampUnexpectedOn): the relay is stuck closed, so the lamp burns at full output when told off. */
const burningLevel = (s: StreetlightState, level: number): number => (level <= 0 && s.faults.lampUnexpectedOn ? 100 : level);

const lit = (s: StreetlightState, level: number): boolean => burningLevel(s, level) > 0 && !s.faults.lampFailure && !s.faults.supplyLoss;

export function expectedPowerW(s: StreetlightState, level: number): number {
  if (s.faults.supplyLoss) return 0;
  return lit(s, level) ? s.ratedW * dimCurve(burningLevel(s, level)) : STANDBY_W;
}

/** Supply sags at the evening peak (19:00) and is highest in the early morning: 220 V × (1 ∓ 6 %). */
export const nominalVoltage = (hour: number): number => 220 * (1 - 0.06 * Math.cos((2 * Math.PI * (hour - 19)) / 24));

function startRamp(s: StreetlightState, to: number, rampS: number, t: number): StreetlightState {
  const from = levelAt(s, t);
  // A lamp that was off switches on as soon as the ramp starts: that is when the switch-on counter counts.
  const switchCount = from <= 0 && to > 0 ? s.switchCount + 1 : s.switchCount;
  const ramp = rampS > 0 && from !== to ? { from, to, start: t, end: t + rampS * 1000 } : null;
  return { ...s, level: ramp ? from : to, ramp, targetLevel: to, switchCount };
}

/** Program or default level, used at boot and when an override ends. */
function resume(s: StreetlightState, t: number): StreetlightState {
  if (!s.program) return { ...startRamp(s, s.defaultLevel, 0, t), reason: 'default', overrideUntil: null, programStep: null };
  const cur = currentStep(s.program, t);
  const next = startRamp(s, cur.step.level, cur.step.rampS ?? 0, t);
  return { ...next, reason: 'program', overrideUntil: null, programStep: cur.key };
}

function applySchedule(s: StreetlightState, t: number): StreetlightState {
  if (s.reason === 'override') return s.overrideUntil !== null && t >= s.overrideUntil ? resume(s, t) : s;
  if (!s.program) return s;
  const cur = currentStep(s.program, t);
  if (cur.key === s.programStep) return s;
  return { ...startRamp(s, cur.step.level, cur.step.rampS ?? 0, t), reason: 'program', programStep: cur.key };
}

function integrate(s: StreetlightState, a: number, b: number): StreetlightState {
  const level = levelAt(s, (a + b) / 2);
  const hours = (b - a) / HOUR_MS;
  let next: StreetlightState = {
    ...s,
    energyKWh: s.energyKWh + (expectedPowerW(s, level) * hours) / 1000,
    operatingHours: s.operatingHours + (lit(s, level) ? hours : 0),
  };
  if (next.ramp && b >= next.ramp.end) next = { ...next, level: next.ramp.to, ramp: null };
  return next;
}

function setLevel(s: StreetlightState, p: SetLevel, now: number): CommandOutcome<StreetlightState> {
  const reason = p.reason ?? 'override';
  const expiresAt = p.expiresAt === undefined ? null : Date.parse(p.expiresAt);
  if (expiresAt !== null && expiresAt <= now) return rejected(`expiresAt ${p.expiresAt ?? ''} is already past`);
  const next: StreetlightState = {
    ...startRamp(s, p.level, p.rampS ?? 0, now),
    reason,
    overrideUntil: reason === 'override' ? expiresAt : null,
  };
  const result = { targetLevel: p.level, rampS: p.rampS ?? 0, reason, expiresAt: expiresAt === null ? null : isoTime(expiresAt) };
  return { ok: true, state: next, result, events: [] };
}

function metrics(s: StreetlightState): Metrics {
  const { seed, t } = s;
  const hour = localHour(t);
  const level = levelAt(s, t);
  const pExpected = expectedPowerW(s, level);
  const voltage = s.faults.supplyLoss ? 0 : round(nominalVoltage(hour) * (1 + 0.01 * noise(seed, t, SALT.voltage)), 1);
  const power = round(Math.max(0, pExpected * (1 + 0.02 * noise(seed, t, SALT.power))), 1);
  // Drivers' power factor falls with load; the idle controller's is poor.
  const powerFactor = lit(s, level) ? round(0.7 + 0.25 * (burningLevel(s, level) / 100), 2) : 0.5;
  const ambient = 27 + 4 * Math.cos((2 * Math.PI * (hour - 14)) / 24);
  return {
    level: Math.round(level),
    targetLevel: s.targetLevel,
    voltage,
    current: voltage > 0 ? round(power / (voltage * powerFactor), 3) : 0,
    power,
    powerFactor,
    energy: round(s.energyKWh, 4),
    operatingHours: round(s.operatingHours, 3),
    switchCount: s.switchCount,
    temperature: round(ambient + (20 * pExpected) / s.ratedW + 0.3 * noise(seed, t, SALT.temp), 1),
    rssi: Math.round(-63 - 27 * unit(seed, SALT.rssiBase) + 2 * noise(seed, t, SALT.rssi)),
    reason: s.reason,
  };
}

export const streetlightModel: DeviceModel<StreetlightState> = {
  kind: 'streetlight',
  faults: ['lampFailure', 'supplyLoss', 'lampUnexpectedOn'],
  injectable: { 'lamp-failure': 'lampFailure', 'day-burner': 'lampUnexpectedOn', 'supply-loss': 'supplyLoss' },
  // Registered as asset.ratedPowerW, so the service's energy-anomaly rule judges each lamp against its own rating.
  nameplate: (seed) => ({ ratedPowerW: ratedPowerW(seed) }),
  programInfo: (s) => ({ programId: s.program?.programId ?? null, step: s.reason === 'program' ? s.programStep : null, level: Math.round(levelAt(s, s.t)) }),

  init({ seed, now, firmware }) {
    const ratedW = ratedPowerW(seed);
    const base: StreetlightState = {
      seed,
      t: now,
      firmware,
      faults: {},
      ratedW,
      level: 0,
      ramp: null,
      targetLevel: 0,
      reason: 'default',
      overrideUntil: null,
      defaultLevel: 0,
      program: DEFAULT_PROGRAM,
      programStep: null,
      energyKWh: 0,
      operatingHours: 0,
      switchCount: 0,
    };
    // Boot straight into the program's current level, without a ramp and without counting a switch-on.
    const booted = resume(base, now);
    return { ...booted, level: booted.targetLevel, ramp: null, switchCount: 0 };
  },

  advance(s, now): ModelStep<StreetlightState> {
    let next = s;
    for (const [a, b] of timeSteps(s.t, now, STEP_MS)) next = applySchedule(integrate(next, a, b), b);
    return { state: now > s.t ? { ...next, t: now } : s, events: [] };
  },

  metrics,

  command(s, name, params, now) {
    switch (name) {
      case 'setLevel':
        return setLevel(s, params as SetLevel, now);
      case 'clearOverride': {
        if (s.reason !== 'override') return { ok: true, state: s, result: { resumed: false }, events: [] };
        const next = resume(s, now);
        return { ok: true, state: next, result: { resumed: true, reason: next.reason, targetLevel: next.targetLevel }, events: [] };
      }
      case 'setProgram': {
        const stored: StreetlightState = { ...s, program: params as LightingProgram, programStep: null };
        // An override in force keeps priority; otherwise the new program's current step applies at once.
        const next = applySchedule(stored, now);
        return { ok: true, state: next, result: { programId: stored.program?.programId, targetLevel: next.targetLevel }, events: [] };
      }
      default:
        return rejected(`command '${name}' is not simulated for streetlights`);
    }
  },

  replace: (s) => ({ ...s, energyKWh: 0, operatingHours: 0, switchCount: 0 }),
};
