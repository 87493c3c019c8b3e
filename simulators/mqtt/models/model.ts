/**
 * The contract every per-kind behaviour model follows. A model is a set of pure functions of (state, time): no I/O,
 * no clock, no hidden randomness (noise comes from the seed, see ../noise.ts). The MQTT layer owns the state and the
 * clock; the models can therefore be unit-tested by stepping time by hand, hours in microseconds.
 */

/** One telemetry value, typed as the kind's declaration allows (number/integer, boolean, enum, string). */
export type MetricValue = number | boolean | string;
export type Metrics = Record<string, MetricValue>;

/** Something the device reports on its event topic because of a command or of time passing (e.g. a play log). */
export interface ModelEvent {
  event: string;
  active?: boolean;
  data?: Record<string, unknown>;
  /** When it happened (epoch ms); the publish time when absent. */
  at?: number;
}

/** State every model carries: who it is, up to when it has been advanced, and the faults injected into it. */
export interface BaseState {
  readonly seed: number;
  /** Epoch ms the state has been advanced to. */
  readonly t: number;
  readonly firmware: string;
  readonly faults: Readonly<Record<string, boolean>>;
}

export interface ModelStep<S> {
  state: S;
  events: ModelEvent[];
}

export type CommandOutcome<S> =
  { ok: true; state: S; result: Record<string, unknown>; events: ModelEvent[] } | { ok: false; status: 'rejected' | 'error'; error: string };

export interface InitOptions {
  seed: number;
  now: number;
  firmware: string;
}

/** What a node's stored lighting program is doing now (shown when a device comes back from an outage). */
export interface ProgramInfo {
  programId: string | null;
  /** Occurrence key of the step in force (local day + index), or null when no program step applies. */
  step: string | null;
  level: number;
}

/** Fault families a fleet run can inject by one name across kinds (the kind's own fault names differ). */
export type InjectableFault = 'lamp-failure' | 'day-burner' | 'supply-loss';

export interface DeviceModel<S extends BaseState> {
  /** The device kind's name in devices/ (also the registry key). */
  readonly kind: string;
  /** Fault names (from the kind's events) whose effect on the readings this model simulates. */
  readonly faults: readonly string[];
  /** Which of this kind's faults a fleet-wide fault name means (e.g. supply-loss = supplyLoss or mainsLost). */
  readonly injectable: Readonly<Partial<Record<InjectableFault, string>>>;
  /** Asset facts on the device's nameplate (registered with it, e.g. rated power), fixed by its seed. */
  nameplate?(seed: number): Record<string, unknown>;
  /** For kinds that run a stored program: what it is doing at state.t. */
  programInfo?(state: S): ProgramInfo;
  init(opts: InitOptions): S;
  /** Integrates counters and runs time-driven behaviour (ramps, schedules, playback ends) up to `now`. */
  advance(state: S, now: number): ModelStep<S>;
  /** The readings at state.t. Call advance first. */
  metrics(state: S): Metrics;
  /** Applies a command whose params already passed the kind's schema. */
  command(state: S, name: string, params: Record<string, unknown>, now: number): CommandOutcome<S>;
  /** The node was swapped for a new unit: its counters start again at zero. */
  replace(state: S, now: number): S;
}

export const rejected = <S>(error: string): CommandOutcome<S> => ({ ok: false, status: 'rejected', error });

export function withFault<S extends BaseState>(state: S, fault: string, active: boolean): S {
  return { ...state, faults: { ...state.faults, [fault]: active } };
}

/** Splits (from, to] into steps of at most maxStepMs, so integrators follow ramps and schedule changes. */
export function* timeSteps(from: number, to: number, maxStepMs: number): Generator<[number, number]> {
  let t = from;
  while (t < to) {
    const next = Math.min(to, t + maxStepMs);
    yield [t, next];
    t = next;
  }
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** Parses an ISO 8601 date-time or epoch ms (the two forms the contract allows for times); NaN when neither. */
export function parseTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number.NaN;
}
