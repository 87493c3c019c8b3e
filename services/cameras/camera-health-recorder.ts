/**
 * Writes what the camera health poller learns into the same tables as MQTT devices, through IngestRepository.writeBatch
 * (idempotent, one transaction per batch): status changes (status_events + device_state.online), probe results as
 * telemetry and latest state, and faults as device_events raised/cleared only when they change. Rows from all cameras
 * are gathered for a short moment and written together; events for other modules (`ingest.batch`, `device.status`,
 * `camera.probe`) are emitted only after their rows are committed, like ingest does for MQTT devices, so alarm rules
 * on camera faults and metrics work exactly as for MQTT devices.
 */
import { emitEvent, type CameraProbeEvent, type DeviceStatusEvent, type ModuleEvents } from '../modules/events.ts';
import type { Logger } from '../common/logger.ts';
import { batchSize, emptyBatch } from '../ingest/batch.ts';
import type { Batch, StateRow } from '../ingest/batch.ts';
import type { IngestRepository } from '../ingest/ingest.repository.ts';

export interface RecorderDeps {
  ingest: Pick<IngestRepository, 'writeBatch'>;
  events: ModuleEvents;
  /** Severity of a fault event, from the device kind; undefined = the kind does not declare it (not written). */
  severity: (event: string) => string | undefined;
  log: Logger;
  flushDelayMs?: number;
  retryDelayMs?: number;
}

/** Retries of rows that happen once (statuses, faults) before they are dropped: ~10 minutes at the default delay. */
const MAX_RETRIES = 300;

type Notice = { name: 'device.status'; payload: DeviceStatusEvent } | { name: 'camera.probe'; payload: CameraProbeEvent };

export class CameraHealthRecorder {
  private batch: Batch = emptyBatch();
  private notices: Notice[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Telemetry is unique on (device, time): keep each camera's row times strictly increasing. */
  private readonly lastMs = new Map<string, number>();
  private readonly active = new Map<string, Set<string>>();
  private closed = false;
  private failures = 0;

  constructor(private readonly d: RecorderDeps) {}

  /** Faults that are active in the database (after a restart), so they are cleared rather than raised again. */
  knownFaults(list: { deviceId: string; event: string }[]): void {
    for (const f of list) this.faultsOf(f.deviceId).add(f.event);
  }

  status(deviceId: string, online: boolean, reason: string, at: Date): void {
    const time = at.toISOString();
    this.batch.statuses.push({ time, deviceId, online, reason });
    this.notices.push({ name: 'device.status', payload: { deviceId, online, reason, at } });
    this.soon();
  }

  /** Numeric metrics go to the series; `state` (booleans as booleans) to the latest state when lastSeen is known. */
  reading(deviceId: string, at: Date, data: Record<string, number>, state: Record<string, unknown>, lastSeen: Date | undefined): void {
    const ms = Math.max(at.getTime(), (this.lastMs.get(deviceId) ?? 0) + 1);
    this.lastMs.set(deviceId, ms);
    const time = new Date(ms).toISOString();
    if (Object.keys(data).length) this.batch.telemetry.push({ time, deviceId, data });
    if (lastSeen && Object.keys(state).length) this.mergeState({ deviceId, state, stateAt: time, lastSeen: lastSeen.toISOString() });
    this.soon();
  }

  /** Raises or clears a fault; writes only a change. */
  fault(deviceId: string, event: string, active: boolean, at: Date, data: Record<string, unknown> = {}): void {
    const severity = this.d.severity(event);
    if (severity === undefined) return;
    const set = this.faultsOf(deviceId);
    if (set.has(event) === active) return;
    if (active) set.add(event);
    else set.delete(event);
    this.batch.events.push({ time: at.toISOString(), deviceId, event, active, severity, data });
    this.soon();
  }

  isActive(deviceId: string, event: string): boolean {
    return this.active.get(deviceId)?.has(event) ?? false;
  }

  probe(payload: CameraProbeEvent): void {
    this.notices.push({ name: 'camera.probe', payload });
    this.soon();
  }

  forget(deviceId: string): void {
    this.lastMs.delete(deviceId);
    this.active.delete(deviceId);
  }

  /** Writes everything gathered so far; resolves when it is committed (or the failure was logged). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const b = this.batch;
    const notes = this.notices;
    this.batch = emptyBatch();
    this.notices = [];
    if (batchSize(b) === 0 && notes.length === 0) return this.chain;
    this.chain = this.chain.then(() => this.write(b, notes));
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One state row per device and batch: the upsert cannot touch a row twice in one statement. */
  private mergeState(row: StateRow): void {
    const prev = this.batch.states.find((s) => s.deviceId === row.deviceId);
    if (!prev) {
      this.batch.states.push(row);
      return;
    }
    // Rows of one camera arrive in time order (strictly increasing times above), so the newer values win.
    prev.state = { ...prev.state, ...row.state };
    prev.stateAt = row.stateAt;
    if (row.lastSeen > prev.lastSeen) prev.lastSeen = row.lastSeen;
  }

  private faultsOf(deviceId: string): Set<string> {
    let s = this.active.get(deviceId);
    if (!s) {
      s = new Set();
      this.active.set(deviceId, s);
    }
    return s;
  }

  private soon(delay = this.d.flushDelayMs ?? 50): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  private async write(b: Batch, notes: Notice[]): Promise<void> {
    if (batchSize(b) > 0) {
      try {
        await this.d.ingest.writeBatch(b);
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        const retry = this.failures <= MAX_RETRIES;
        this.d.log.error(
          { err, statuses: b.statuses.length, events: b.events.length, attempt: this.failures },
          retry ? 'camera health rows could not be written; retrying' : 'camera health rows could not be written; dropped',
        );
        if (!retry) {
          this.failures = 0;
          return;
        }
        // Status changes and faults happen once and are not repeated by the poller: keep them for the next attempt.
        // Readings are repeated every interval, so they are dropped rather than piling up during an outage.
        this.batch.statuses.unshift(...b.statuses);
        this.batch.events.unshift(...b.events);
        this.notices.unshift(...notes.filter((n) => n.name === 'device.status'));
        this.soon(this.d.retryDelayMs ?? 2000);
        return;
      }
    }
    // Same order as MQTT ingest: the durable batch first (alarm rules and the status monitor read it), then statuses.
    const all: (Notice | { name: 'ingest.batch'; payload: Batch })[] = batchSize(b) > 0 ? [{ name: 'ingest.batch', payload: b }, ...notes] : notes;
    for (const n of all) {
      try {
        emitEvent(this.d.events, n.name, n.payload);
      } catch (err) {
        this.d.log.error({ err, event: n.name }, 'a listener of a camera event threw');
      }
    }
  }
}
