import { camera } from './camera/index.ts';
import { speaker } from './speaker/index.ts';
import { streetlight } from './streetlight/index.ts';
import type { DeviceKind } from './types.ts';
import { wifiAp } from './wifi-ap/index.ts';

export type {
  DeviceKind,
  KindUi,
  CommandUi,
  Text,
  MetricSpec,
  EventSpec,
  CommandSpec,
  HealthSpec,
  Capabilities,
  LightingCapability,
  BroadcastCapability,
  SessionCapability,
  NgsiSpec,
} from './types.ts';

/** Every device kind the backend knows. Adding a kind = one folder + one line here. */
export const DEVICE_KINDS: readonly DeviceKind[] = [streetlight, wifiAp, camera, speaker];

const byName = new Map(DEVICE_KINDS.map((k) => [k.name, k]));

export function getKind(name: string): DeviceKind | undefined {
  return byName.get(name);
}

export function kindNames(): string[] {
  return DEVICE_KINDS.map((k) => k.name);
}
