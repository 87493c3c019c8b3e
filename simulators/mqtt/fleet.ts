/**
 * Many simulated devices at once, for integration and load tests and the fleet CLI. Connects with bounded concurrency
 * (a burst of thousands of CONNECTs would trip the broker's per-address rate limit), spreads reporting evenly over
 * the interval, and sums the devices' counters.
 */
import { settleWithLimit } from './concurrency.ts';
import { SimulatedDevice } from './simulated-device.ts';
import type { SimulatedDeviceOptions } from './simulated-device.ts';

export interface FleetDeviceSpec {
  deviceId: string;
  secret: string;
  kind: string;
  seed?: number;
}

/** Options passed to every device of the fleet. */
export type FleetDeviceOptions = Omit<SimulatedDeviceOptions, 'brokerUrl' | 'deviceId' | 'secret' | 'kind' | 'seed'>;

export interface SimulatedFleetOptions {
  brokerUrl: string;
  devices: readonly FleetDeviceSpec[];
  /** Connects (and disconnects) in flight at once; default 20. */
  concurrency?: number;
  device?: FleetDeviceOptions;
}

export interface FleetStartResult {
  connected: number;
  failed: { deviceId: string; error: string }[];
}

export interface FleetSummary {
  devices: number;
  connected: number;
  /** PUBLISH packets sent by all devices. */
  published: number;
  /** Of those, acknowledged by the broker (PUBACK). */
  acknowledged: number;
  /** Acknowledged publishes by channel (telemetry, event, status, ack, other): what each table should hold. */
  ackedByChannel: Record<string, number>;
  /** Publishes that failed (connection lost, no PUBACK in time), plus devices that failed to connect. */
  failed: number;
  connectFailures: number;
  commandsReceived: number;
  acksSent: number;
  reconnects: number;
}

export class SimulatedFleet {
  readonly devices: readonly SimulatedDevice[];
  private readonly concurrency: number;
  private readonly byId: Map<string, SimulatedDevice>;
  private connectFailures = 0;

  constructor(opts: SimulatedFleetOptions) {
    this.concurrency = opts.concurrency ?? 20;
    this.devices = opts.devices.map(
      (d) => new SimulatedDevice({ ...opts.device, brokerUrl: opts.brokerUrl, deviceId: d.deviceId, secret: d.secret, kind: d.kind, seed: d.seed }),
    );
    this.byId = new Map(this.devices.map((d) => [d.deviceId, d]));
    if (this.byId.size !== this.devices.length) throw new Error('device ids in a fleet must be unique');
  }

  get(deviceId: string): SimulatedDevice | undefined {
    return this.byId.get(deviceId);
  }

  /** Connects every device; a device that fails is reported, not thrown, so one bad secret does not stop the fleet. */
  async start(): Promise<FleetStartResult> {
    const results = await settleWithLimit(this.devices, this.concurrency, (d) => d.connect());
    const failed: FleetStartResult['failed'] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') failed.push({ deviceId: this.devices[i]?.deviceId ?? '?', error: String((r.reason as Error).message ?? r.reason) });
    });
    this.connectFailures += failed.length;
    return { connected: this.devices.length - failed.length, failed };
  }

  /** Each device reports every intervalMs; first reports are spread over one interval so the load is steady. */
  startReporting(intervalMs: number): void {
    const n = this.devices.length;
    this.devices.forEach((d, i) => d.startReporting(intervalMs, Math.floor((i * intervalMs) / Math.max(1, n))));
  }

  stopReporting(): void {
    for (const d of this.devices) d.stopReporting();
  }

  /** Stops every device: 'disconnect' cleanly (announcing offline), or 'kill' so the broker publishes every will. */
  async stop(how: 'disconnect' | 'kill' = 'disconnect'): Promise<void> {
    this.stopReporting();
    await settleWithLimit(this.devices, this.concurrency, (d) => (how === 'kill' ? d.kill() : d.disconnect()));
  }

  private ackedByChannel(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.devices) for (const [ch, n] of Object.entries(d.ackedByChannel)) out[ch] = (out[ch] ?? 0) + n;
    return out;
  }

  summary(): FleetSummary {
    const sum = (f: (d: SimulatedDevice) => number): number => this.devices.reduce((acc, d) => acc + f(d), 0);
    return {
      devices: this.devices.length,
      connected: sum((d) => (d.connected ? 1 : 0)),
      published: sum((d) => d.publishedCount),
      acknowledged: sum((d) => d.ackedCount),
      ackedByChannel: this.ackedByChannel(),
      failed: sum((d) => d.failedCount) + this.connectFailures,
      connectFailures: this.connectFailures,
      commandsReceived: sum((d) => d.commandsReceived),
      acksSent: sum((d) => d.acksSent),
      reconnects: sum((d) => d.reconnects),
    };
  }
}
