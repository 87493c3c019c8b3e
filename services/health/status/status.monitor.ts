import type { Batch, StatusRow } from '../../ingest/batch.ts';
import type { IngestRepository } from '../../ingest/ingest.repository.ts';
import type { Logger } from '../../common/logger.ts';
import type { ModuleEvents } from '../../modules/module.ts';
import { FlapDetector, type FlapOptions } from './flapping.ts';
import { effectiveHealth, type EffectiveHealth } from './kind-health.ts';
import type { StatusRepository } from './status.repository.ts';

/** Declared once, with the other bus events (services/modules/events.ts). */
export type { DeviceStatusEvent } from '../../modules/events.ts';
import type { DeviceStatusEvent } from '../../modules/events.ts';

export interface StatusMonitorOptions {
  repo: StatusRepository;
  writer: IngestRepository;
  events: ModuleEvents;
  log: Logger;
  flap: FlapOptions;
  /** Longest pause between sweeps; shorter when a kind's threshold is short (a quarter of the shortest). */
  sweepMaxMs: number;
  clock?: () => number;
  /** After each sweep (offline alarms are judged here) and on each real transition / flapping change. */
  onSweep?: (now: number) => Promise<void>;
  onTransition?: (deviceId: string, online: boolean, at: number) => void;
  onFlapping?: (deviceId: string, started: boolean, at: number) => void;
  /** Cluster: whether this process runs the job now (a lease, services/cluster); absent = always. */
  owns?: () => boolean;
}

export const MISSED_REPORTS = 'missed-reports';
export const REPORT_RESUMED = 'report-resumed';

/**
 * Online/offline beyond what MQTT tells: a sweep marks devices offline whose silence exceeds their kind's threshold
 * (missedReportsOffline × maxReportIntervalS), backdated to the last sign of life; the next message from such a
 * device marks it online again. Both go through ingest's recordStatus, so status_events holds one history for every
 * source (MQTT connect/disconnect, birth, last-will, camera probes, missed reports). Flapping is tracked here.
 */
export class StatusMonitor {
  private readonly o: StatusMonitorOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly flaps: FlapDetector;
  /** Last online flag announced per device (device_state at start, then every device.status): what a transition is judged against. */
  private readonly announced = new Map<string, boolean>();
  /** Offline devices and since when, to spot "a message from a device we believe offline". */
  private readonly offlineSince = new Map<string, number>();
  private health: EffectiveHealth[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = true;
  private readonly onBatchFn = (b: Batch): void => this.onBatch(b);
  private readonly onStatusFn = (s: DeviceStatusEvent): void => this.onStatus(s);

  constructor(o: StatusMonitorOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'health.status' });
    this.clock = o.clock ?? Date.now;
    this.flaps = new FlapDetector(o.flap);
  }

  get rules(): EffectiveHealth[] {
    return this.health;
  }

  configureFlapping(o: FlapOptions): void {
    this.flaps.configure(o);
  }

  isFlapping(deviceId: string): boolean {
    return this.flaps.isFlapping(deviceId);
  }

  flapping(): string[] {
    return this.flaps.flappingDevices();
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.reloadRules();
    for (const [id, online] of await this.o.repo.onlineFlags()) {
      this.announced.set(id, online);
      if (!online) this.offlineSince.set(id, 0);
    }
    for (const c of await this.o.repo.changesSince(this.clock() - this.o.flap.windowMs)) this.flaps.record(c.deviceId, c.at);
    this.o.events.on('ingest.batch', this.onBatchFn);
    this.o.events.on('device.status', this.onStatusFn);
    this.schedule();
  }

  async reloadRules(): Promise<void> {
    this.health = effectiveHealth(await this.o.repo.kindOverrides());
    if (!this.stopped) this.schedule();
  }

  /** Sweep cadence: a quarter of the shortest threshold, so detection lags a threshold by at most 25 %. */
  sweepIntervalMs(extraThresholdsS: number[] = []): number {
    const shortest = Math.min(...this.health.map((h) => h.offlineAfterS), ...extraThresholdsS);
    return Math.max(250, Math.min(this.o.sweepMaxMs, (shortest * 1000) / 4));
  }

  private extra: number[] = [];
  /** Other thresholds that need the sweep (offline alarms' afterS). */
  setExtraThresholds(seconds: number[]): void {
    this.extra = seconds;
    if (!this.stopped) this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.sweep(), this.sweepIntervalMs(this.extra));
    this.timer.unref();
  }

  /** One sweep; never throws (a failed sweep is logged and the next one tries again). */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    if (this.o.owns && !this.o.owns()) return;
    const now = this.clock();
    try {
      const stale = await this.o.repo.staleOnline(
        now,
        this.health.map((h) => ({ kind: h.kind, seconds: h.offlineAfterS })),
      );
      if (stale.length) {
        await this.write(stale.map((s) => ({ time: new Date(s.lastEvidence).toISOString(), deviceId: s.deviceId, online: false, reason: MISSED_REPORTS })));
      }
      for (const id of this.flaps.settle(now)) {
        this.log.info({ deviceId: id }, 'device stopped flapping');
        this.o.onFlapping?.(id, false, now);
      }
      await this.o.onSweep?.(now);
    } catch (err) {
      this.log.warn({ err }, 'status sweep failed');
    }
  }

  /** Writes status rows through ingest's idempotent recordStatus, then announces those that took effect. */
  private async write(rows: StatusRow[]): Promise<void> {
    await this.o.writer.writeBatch({ statuses: rows, telemetry: [], states: [], events: [], deadLetters: [] });
    const now = await this.o.repo.onlineOf(rows.map((r) => r.deviceId));
    for (const r of rows) {
      const s = now.get(r.deviceId);
      if (s?.online !== r.online || s.changedAt !== Date.parse(r.time)) continue;
      this.o.events.emit('device.status', { deviceId: r.deviceId, online: r.online, reason: r.reason, at: new Date(r.time) } satisfies DeviceStatusEvent);
    }
  }

  private onBatch(b: Batch): void {
    // Statuses in this batch come first (device.status follows ingest.batch for the same batch).
    for (const s of b.statuses) this.note(s.deviceId, s.online, Date.parse(s.time));
    const revive = new Map<string, number>();
    for (const st of b.states) {
      const since = this.offlineSince.get(st.deviceId);
      if (since === undefined) continue;
      const seen = Date.parse(st.lastSeen);
      if (seen > since) revive.set(st.deviceId, Math.max(seen, revive.get(st.deviceId) ?? 0));
    }
    if (!revive.size) return;
    const rows = [...revive].map(([deviceId, at]) => ({ time: new Date(at).toISOString(), deviceId, online: true, reason: REPORT_RESUMED }));
    this.write(rows).catch((err: Error) => this.log.warn({ err }, 'could not mark devices online again'));
  }

  private note(deviceId: string, online: boolean, at: number): void {
    if (online) this.offlineSince.delete(deviceId);
    else this.offlineSince.set(deviceId, Math.max(at, this.offlineSince.get(deviceId) ?? 0));
  }

  private onStatus(s: DeviceStatusEvent): void {
    const at = s.at.getTime();
    this.note(s.deviceId, s.online, at);
    // Repeats (birth right after connect, a will after a missed-report offline) are not transitions.
    if (this.announced.get(s.deviceId) === s.online) return;
    this.announced.set(s.deviceId, s.online);
    const started = this.flaps.record(s.deviceId, at);
    if (started) {
      this.log.warn({ deviceId: s.deviceId }, 'device is flapping: further status changes are not logged until it settles');
      this.o.onFlapping?.(s.deviceId, true, at);
    } else if (!this.flaps.isFlapping(s.deviceId)) {
      this.log.info({ deviceId: s.deviceId, online: s.online, reason: s.reason }, 'device status changed');
    }
    this.o.onTransition?.(s.deviceId, s.online, at);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.o.events.off('ingest.batch', this.onBatchFn);
    this.o.events.off('device.status', this.onStatusFn);
    await this.sweeping;
  }
}
