/**
 * The faults a fleet run can inject, by flag or at runtime, and how many devices each one hits. Device faults map to
 * each kind's own fault event through the model registry (models/*: `injectable`), so nothing here knows kind names.
 */
import { hashString } from './noise.ts';
import { VN_OFFSET_MS } from './local-time.ts';
import type { InjectableFault } from './models/model.ts';
import type { LightingProgram } from './models/streetlight.program.ts';
import type { SimulatedDevice } from './simulated-device.ts';

/** Device faults (reported as the kind's fault event) first, then transport faults every kind can suffer. */
export const FLEET_FAULTS = ['lamp-failure', 'day-burner', 'supply-loss', 'flapping', 'silent-death', 'clock-skew', 'garbage'] as const;
export type FleetFault = (typeof FLEET_FAULTS)[number];

const DEVICE_FAULTS: readonly string[] = ['lamp-failure', 'day-burner', 'supply-loss'] satisfies InjectableFault[];

export const isFleetFault = (s: string): s is FleetFault => (FLEET_FAULTS as readonly string[]).includes(s);
export const isDeviceFault = (f: FleetFault): f is FleetFault & InjectableFault => DEVICE_FAULTS.includes(f);

/** How many devices a fault hits: an exact count, or a fraction of the devices that can have it. */
export type FaultAmount = { count: number } | { fraction: number };

/** "12" = 12 devices; "5%" or "0.05" = 5 % of the eligible ones. Throws with a message a person can act on. */
export function parseAmount(raw: string): FaultAmount {
  const s = raw.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (pct) return fraction(Number(pct[1]) / 100, raw);
  if (/^\d+$/.test(s)) return { count: Number(s) };
  if (/^0?\.\d+$|^1(\.0+)?$/.test(s)) return fraction(Number(s), raw);
  throw new Error(`'${raw}' is not an amount: give a count (12), a percentage (5%) or a fraction (0.05)`);
}

function fraction(f: number, raw: string): FaultAmount {
  if (!(f >= 0 && f <= 1)) throw new Error(`'${raw}': a fraction must be between 0 and 1 (0 % … 100 %)`);
  return { fraction: f };
}

/** NAME=AMOUNT, as in `--fault lamp-failure=1%`. */
export function parseFaultSpec(spec: string): { fault: FleetFault; amount: FaultAmount } {
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  if (!isFleetFault(name)) throw new Error(`unknown fault '${name}': one of ${FLEET_FAULTS.join(', ')}`);
  if (eq < 0) throw new Error(`fault '${name}' needs an amount: ${name}=5% or ${name}=10`);
  return { fault: name, amount: parseAmount(spec.slice(eq + 1)) };
}

export function canSuffer(d: SimulatedDevice, fault: FleetFault): boolean {
  return isDeviceFault(fault) ? d.faultFor(fault) !== undefined : true;
}

/**
 * Chooses which devices get a fault: the eligible ones not already affected, in an order fixed by (device id, fault),
 * so a repeated run with the same flags hits the same devices.
 */
export function pickDevices(devices: readonly SimulatedDevice[], fault: FleetFault, amount: FaultAmount, exclude: ReadonlySet<string>): SimulatedDevice[] {
  const eligible = devices.filter((d) => canSuffer(d, fault));
  const want = 'count' in amount ? amount.count : Math.round(amount.fraction * eligible.length);
  return eligible
    .filter((d) => !exclude.has(d.deviceId))
    .map((d) => ({ d, k: hashString(`${fault}:${d.deviceId}`) }))
    .sort((a, b) => a.k - b.k || a.d.deviceId.localeCompare(b.d.deviceId))
    .slice(0, Math.max(0, want))
    .map((x) => x.d);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * A test lighting program whose level changes every `stepMinutes`, starting at the next local minute, so a short run
 * shows a light that is offline still following its stored program (DOMAIN.md §2: nodes hold their program locally).
 */
export function minuteProgram(now: number, stepMinutes = 1, lat = 12.22, lon = 109.19): LightingProgram {
  const levels = [100, 70, 50, 30];
  const firstMinute = Math.floor((now + VN_OFFSET_MS) / 60_000) + 1;
  const steps = Array.from({ length: 24 }, (_, i) => {
    const minuteOfDay = (firstMinute + i * stepMinutes) % (24 * 60);
    return { at: `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`, level: levels[i % levels.length] ?? 50 };
  });
  return { programId: 'flap-demo', lat, lon, steps };
}
