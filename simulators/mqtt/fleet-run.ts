/**
 * A running fleet as the CLI, the demo and the whole-ward soak use it: connect, report on an interval, inject and clear
 * faults (by flag or at runtime), show progress, and sum everything up at the end.
 */
import { settleWithLimit } from './concurrency.ts';
import { canSuffer, isDeviceFault, minuteProgram, pickDevices } from './faults.ts';
import type { FaultAmount, FleetFault } from './faults.ts';
import { SimulatedFleet } from './fleet.ts';
import type { FleetDeviceOptions, FleetDeviceSpec, FleetStartResult } from './fleet.ts';
import { LatencyHistogram } from './latency.ts';
import { progressLine, rate } from './progress.ts';
import type { FlapStats, RunSnapshot } from './progress.ts';
import type { SimulatedDevice } from './simulated-device.ts';

export interface FleetRunOptions {
  brokerUrl: string;
  devices: readonly FleetDeviceSpec[];
  /** Each device reports telemetry this often. */
  intervalMs: number;
  /** Connects in flight at once (default 50). */
  concurrency?: number;
  /** A flapping device drops its connection about this often (±50 %), default 60 s … */
  flapEveryMs?: number;
  /** … and stays away this long, default 15 s. */
  flapOfflineMs?: number;
  /** A garbage-sending device sends one payload this often, default 30 s. */
  garbageEveryMs?: number;
  /** Clock skew given to clock-skew devices, default +10 min (beyond the service's 5-minute future limit). */
  skewMs?: number;
  /** Give flapping lights a test program that steps every minute, so the outage visibly spans program steps (default true). */
  flapProgram?: boolean;
  /** Where notable moments are written (a light back from an outage on a later program step). */
  log?: (line: string) => void;
  device?: FleetDeviceOptions;
}

export interface Injection {
  fault: FleetFault;
  devices: string[];
  failed: { deviceId: string; error: string }[];
}

const FLAP_LINES_SHOWN = 5;

export class FleetRun {
  readonly fleet: SimulatedFleet;
  /** Every PUBACK latency since the start. */
  readonly latency = new LatencyHistogram();
  /** PUBACK latencies since the last progress tick. */
  private readonly window = new LatencyHistogram();
  private readonly o: FleetRunOptions;
  private readonly affected = new Map<FleetFault, Set<string>>();
  private readonly injected: Record<string, number> = {};
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly flaps: FlapStats = { drops: 0, offline: 0, programStepsWhileOffline: 0 };
  private startedAt = Date.now();
  private last = { at: 0, published: 0, acked: 0 };
  private rates = { published: 0, acked: 0 };
  private progressTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: FleetRunOptions) {
    this.o = opts;
    const both = { record: (ms: number) => (this.latency.record(ms), this.window.record(ms)) };
    this.fleet = new SimulatedFleet({
      brokerUrl: opts.brokerUrl,
      devices: opts.devices,
      concurrency: opts.concurrency ?? 50,
      device: { ...opts.device, latency: both },
    });
  }

  /** Connects every device (failures are reported, not thrown) and starts reporting. */
  async start(): Promise<FleetStartResult> {
    this.startedAt = Date.now();
    this.last = { at: this.startedAt, published: 0, acked: 0 };
    const r = await this.fleet.start();
    this.fleet.startReporting(this.o.intervalMs);
    return r;
  }

  /** Prints a progress line every `everyMs`. */
  startProgress(everyMs: number, print: (line: string) => void): void {
    this.progressTimer = setInterval(() => print(progressLine(this.tick())), everyMs);
    this.progressTimer.unref();
  }

  /** Closes the current progress window: rates and latency over it. */
  tick(): RunSnapshot {
    const now = Date.now();
    const m = this.fleet.summary();
    this.rates = { published: rate(this.last.published, m.published, now - this.last.at), acked: rate(this.last.acked, m.acknowledged, now - this.last.at) };
    this.last = { at: now, published: m.published, acked: m.acknowledged };
    const snap = this.snapshotOf(m, this.window);
    this.window.reset();
    return snap;
  }

  /** Counters and whole-run latency, without closing the progress window. */
  snapshot(): RunSnapshot {
    return this.snapshotOf(this.fleet.summary(), this.latency);
  }

  /** Devices per injected fault, by device id. */
  affectedBy(fault: FleetFault): readonly string[] {
    return [...(this.affected.get(fault) ?? [])];
  }

  /** Gives `amount` more devices the fault; devices that cannot have it (kind, offline, silent) are never chosen. */
  async inject(fault: FleetFault, amount: FaultAmount): Promise<Injection> {
    const set = this.setOf(fault);
    const speaking = this.fleet.devices.filter((d) => d.connected && !d.isSilent);
    // A flapping device reconnects with a fresh session, which would undo a silent death: keep the two apart.
    const other = fault === 'silent-death' ? this.setOf('flapping') : new Set<string>();
    const chosen = pickDevices(speaking, fault, amount, new Set([...set, ...other]));
    const failed: Injection['failed'] = [];
    await settleWithLimit(chosen, 50, async (d) => {
      try {
        await this.applyOne(d, fault);
        set.add(d.deviceId);
        this.injected[fault] = (this.injected[fault] ?? 0) + 1;
      } catch (err) {
        failed.push({ deviceId: d.deviceId, error: (err as Error).message });
      }
    });
    return { fault, devices: chosen.map((d) => d.deviceId).filter((id) => set.has(id)), failed };
  }

  /** Ends a fault on every device that has it; returns how many were cleared. */
  async clear(fault: FleetFault): Promise<number> {
    const set = this.setOf(fault);
    const devices = this.fleet.devices.filter((d) => set.has(d.deviceId));
    await settleWithLimit(devices, 50, async (d) => {
      this.stopTimer(`${fault}:${d.deviceId}`);
      await this.clearOne(d, fault).catch(() => undefined);
      set.delete(d.deviceId);
    });
    return devices.length;
  }

  /** Stops faults, reporting and every connection (clean DISCONNECT, offline announced); returns the final numbers. */
  async stop(): Promise<RunSnapshot> {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.progressTimer);
      for (const t of this.timers.values()) clearTimeout(t);
      this.timers.clear();
      this.fleet.stopReporting();
      // Outstanding publishes settle (PUBACK or timeout) before the sockets close, so the final counts are exact.
      await this.fleet.stop('disconnect');
    }
    return this.snapshot();
  }

  private snapshotOf(m: ReturnType<SimulatedFleet['summary']>, h: LatencyHistogram): RunSnapshot {
    const faults: Record<string, number> = {};
    for (const [f, set] of this.affected) faults[f] = set.size;
    return {
      elapsedMs: Date.now() - this.startedAt,
      summary: m,
      publishedPerS: this.rates.published,
      ackedPerS: this.rates.acked,
      latency: { p50: h.percentile(0.5), p99: h.percentile(0.99), max: h.max, samples: h.count },
      faults,
      injected: { ...this.injected },
      flaps: { ...this.flaps },
    };
  }

  private setOf(fault: FleetFault): Set<string> {
    let s = this.affected.get(fault);
    if (!s) this.affected.set(fault, (s = new Set()));
    return s;
  }

  private async applyOne(d: SimulatedDevice, fault: FleetFault): Promise<void> {
    if (isDeviceFault(fault)) {
      const name = d.faultFor(fault);
      if (!name || !canSuffer(d, fault)) throw new Error(`${d.kind.name} has no ${fault} fault`);
      await d.setFault(name, true);
      return;
    }
    switch (fault) {
      case 'flapping':
        if (this.o.flapProgram !== false && d.kind.commands.setProgram) d.applyLocally('setProgram', minuteProgram(Date.now()));
        this.scheduleFlap(d);
        return;
      case 'silent-death':
        d.silentDeath();
        return;
      case 'clock-skew':
        d.setClockSkew(this.o.skewMs ?? 600_000);
        return;
      case 'garbage':
        await d.publishGarbage();
        this.repeat(`garbage:${d.deviceId}`, this.o.garbageEveryMs ?? 30_000, () => {
          if (d.connected && !d.isSilent) d.publishGarbage().catch(() => undefined);
        });
        return;
      default:
        throw new Error(`${fault} is not a transport fault`);
    }
  }

  private async clearOne(d: SimulatedDevice, fault: FleetFault): Promise<void> {
    if (isDeviceFault(fault)) {
      const name = d.faultFor(fault);
      if (name && d.connected && !d.isSilent) await d.setFault(name, false);
      return;
    }
    switch (fault) {
      case 'silent-death':
        // Only a power cycle revives a hung node: drop, reconnect, and report again.
        await d.flap(1000);
        d.once('connected', () => d.startReporting(this.o.intervalMs, Math.random() * this.o.intervalMs));
        return;
      case 'clock-skew':
        d.setClockSkew(0);
        return;
      case 'flapping':
      case 'garbage':
        return;
      default:
        throw new Error(`${fault} is not a transport fault`);
    }
  }

  private repeat(key: string, everyMs: number, fn: () => void): void {
    const t = setInterval(fn, everyMs);
    t.unref();
    this.timers.set(key, t);
  }

  private stopTimer(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** One drop after a jittered delay; the next one is scheduled once the device is back. */
  private scheduleFlap(d: SimulatedDevice): void {
    const every = this.o.flapEveryMs ?? 60_000;
    const offlineMs = this.o.flapOfflineMs ?? 15_000;
    const key = `flapping:${d.deviceId}`;
    const t = setTimeout(
      () => {
        this.timers.delete(key);
        if (this.stopped || !d.connected) return;
        const before = d.programInfo();
        this.flaps.drops++;
        this.flaps.offline++;
        d.once('connected', () => {
          this.flaps.offline--;
          this.noteReturn(d, before, offlineMs);
          if (!this.stopped && this.setOf('flapping').has(d.deviceId)) this.scheduleFlap(d);
        });
        d.flap(offlineMs).catch(() => undefined);
      },
      every * (0.5 + Math.random()),
    );
    t.unref();
    this.timers.set(key, t);
  }

  private noteReturn(d: SimulatedDevice, before: ReturnType<SimulatedDevice['programInfo']>, offlineMs: number): void {
    const after = d.programInfo();
    if (!before || !after || before.step === after.step) return;
    const n = ++this.flaps.programStepsWhileOffline;
    if (n <= FLAP_LINES_SHOWN) {
      this.o.log?.(
        `[flap] ${d.deviceId} back after ~${Math.round(offlineMs / 1000)} s offline: program '${after.programId ?? '-'}' moved on while it was away, level ${before.level} → ${after.level}`,
      );
    }
  }
}
