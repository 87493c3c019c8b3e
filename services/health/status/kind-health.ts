import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { HealthSpec } from '../../../devices/types.ts';
import type { KindOverride } from './status.repository.ts';

export interface EffectiveHealth extends HealthSpec {
  kind: string;
  /** missedReportsOffline × maxReportIntervalS: silence longer than this marks the device offline. */
  offlineAfterS: number;
  overridden: boolean;
  defaults: HealthSpec;
}

/** Every kind's health rule (devices/<kind>/index.ts `health`) with the operators' overrides applied. */
export function effectiveHealth(overrides: readonly KindOverride[]): EffectiveHealth[] {
  const byKind = new Map(overrides.map((o) => [o.kind, o]));
  return DEVICE_KINDS.map((k) => {
    const o = byKind.get(k.name);
    const h: HealthSpec = {
      reportIntervalS: o?.reportIntervalS ?? k.health.reportIntervalS,
      maxReportIntervalS: o?.maxReportIntervalS ?? k.health.maxReportIntervalS,
      missedReportsOffline: o?.missedReportsOffline ?? k.health.missedReportsOffline,
    };
    return { kind: k.name, ...h, offlineAfterS: h.missedReportsOffline * h.maxReportIntervalS, overridden: o !== undefined, defaults: k.health };
  });
}
