/**
 * Which behaviour model simulates which device kind. Adding an MQTT kind = one model file + one line in MODELS.
 * Cameras are absent on purpose: they speak ONVIF, not MQTT (see simulators/onvif).
 */
import type { BaseState, DeviceModel, InitOptions, InjectableFault, Metrics, ModelEvent, ProgramInfo } from './model.ts';
import { withFault } from './model.ts';
import { speakerModel } from './speaker.model.ts';
import { streetlightModel } from './streetlight.model.ts';
import { wifiApModel } from './wifi-ap.model.ts';

export type RunnerCommandOutcome =
  { ok: true; result: Record<string, unknown>; events: ModelEvent[] } | { ok: false; status: 'rejected' | 'error'; error: string };

/** A model bound to its own state: what a SimulatedDevice drives. The state type stays inside. */
export interface ModelRunner {
  readonly kind: string;
  readonly faults: readonly string[];
  readonly injectable: Readonly<Partial<Record<InjectableFault, string>>>;
  /** Brings the state to `now`; returns the events time produced (e.g. a bulletin ended). */
  advance(now: number): ModelEvent[];
  metrics(): Metrics;
  command(name: string, params: Record<string, unknown>, now: number): RunnerCommandOutcome;
  replace(now: number): void;
  setFault(fault: string, active: boolean): void;
  /** The stored program's current step and level, for kinds that run one; null otherwise. */
  programInfo(): ProgramInfo | null;
  /** A copy of the internal state, for tests and debugging. */
  snapshot(): Readonly<BaseState>;
}

export type ModelFactory = (opts: InitOptions) => ModelRunner;

export function bindModel<S extends BaseState>(model: DeviceModel<S>): ModelFactory {
  return (opts) => {
    let state = model.init(opts);
    return {
      kind: model.kind,
      faults: model.faults,
      injectable: model.injectable,
      advance(now) {
        const step = model.advance(state, now);
        state = step.state;
        return step.events;
      },
      metrics: () => model.metrics(state),
      command(name, params, now) {
        const r = model.command(state, name, params, now);
        if (!r.ok) return r;
        state = r.state;
        return { ok: true, result: r.result, events: r.events };
      },
      replace(now) {
        state = model.replace(state, now);
      },
      setFault(fault, active) {
        state = withFault(state, fault, active);
      },
      snapshot: () => structuredClone(state),
      programInfo: () => (model.programInfo ? model.programInfo(state) : null),
    };
  };
}

const RAW: Readonly<Record<string, DeviceModel<BaseState>>> = { streetlight: streetlightModel, 'wifi-ap': wifiApModel, speaker: speakerModel };
const MODELS: Readonly<Record<string, ModelFactory>> = Object.fromEntries(Object.entries(RAW).map(([k, m]) => [k, bindModel(m)]));

export function modelFor(kind: string): ModelFactory | undefined {
  return Object.hasOwn(MODELS, kind) ? MODELS[kind] : undefined;
}

/** Nameplate asset facts of a simulated device of this kind and seed (empty when the model has none). */
export function nameplateFor(kind: string, seed: number): Record<string, unknown> {
  return (Object.hasOwn(RAW, kind) ? RAW[kind]?.nameplate?.(seed) : undefined) ?? {};
}

export const simulatedKinds = (): string[] => Object.keys(MODELS);
