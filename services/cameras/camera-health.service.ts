/**
 * Runs CameraHealthPoller over every registered camera and turns what it reports into device history: status changes
 * ('probe-ok: …' / 'probe-failed: CAMERA_TIMEOUT'), readings (rttMs, clockOffsetMs, snapshotOk, snapshotBytes),
 * faults (unreachable while offline, authFailed, snapshotFailed) and scheduled snapshots from the snapshot probe.
 * The set of cameras is re-read on every registration change and periodically (devices deleted through /devices).
 */
import type { ModuleEvents } from '../modules/events.ts';
import type { DeviceKind } from '../../devices/index.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { IngestRepository } from '../ingest/ingest.repository.ts';
import type { CameraDriver } from './camera-driver.ts';
import { CameraErrorCode, isCameraError } from './camera-errors.ts';
import { CameraHealthRecorder } from './camera-health-recorder.ts';
import type { CameraSettings } from './camera-settings.ts';
import type { CameraSnapshotService } from './camera-snapshot.service.ts';
import type { CameraRepository } from './camera.repository.ts';
import { CameraHealthPoller } from './health-poller.ts';
import type { CameraCheckReport, CameraHealth, CameraStatusChange, PolledCamera } from './health-poller.ts';

/** Fault events this service raises; each is written only if the camera kind declares it. */
export const CAMERA_FAULTS = { unreachable: 'unreachable', authFailed: 'authFailed', snapshotFailed: 'snapshotFailed' } as const;

export interface HealthDeps {
  driver: CameraDriver;
  ingest: Pick<IngestRepository, 'writeBatch'>;
  repo: CameraRepository;
  snapshots: CameraSnapshotService;
  events: ModuleEvents;
  metrics: Metrics;
  kind: DeviceKind;
  settings: () => CameraSettings;
  /** The cameras to poll (decrypted connections). */
  load: () => Promise<PolledCamera[]>;
  log: Logger;
  /** Cluster: whether this process runs the job now (a lease, services/cluster); absent = always. */
  owns?: () => boolean;
}

const CHECKS_METRIC = ['sw_camera_checks_total', 'Camera health checks, by kind and result'] as const;

export class CameraHealthService {
  private poller: CameraHealthPoller | undefined;
  private readonly recorder: CameraHealthRecorder;
  private readonly processing = new Set<Promise<void>>();
  private known = new Set<string>();
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly d: HealthDeps) {
    this.recorder = new CameraHealthRecorder({
      ingest: d.ingest,
      events: d.events,
      severity: (e) => d.kind.events[e]?.severity,
      log: d.log,
    });
  }

  async start(): Promise<void> {
    const cams = await this.d.load();
    const faults = Object.values(CAMERA_FAULTS).filter((e) => this.d.kind.events[e]);
    this.recorder.knownFaults(
      await this.d.repo.activeFaults(
        cams.map((c) => c.id),
        faults,
      ),
    );
    this.launch(cams);
  }

  async stop(): Promise<void> {
    const p = this.poller;
    this.poller = undefined;
    await p?.stop();
    await Promise.allSettled([...this.processing]);
    await this.recorder.close();
  }

  /** Re-applies settings (intervals, timeouts) by restarting the poller; camera status restarts from unknown. */
  async restart(): Promise<void> {
    await this.poller?.stop();
    this.poller = undefined;
    await Promise.allSettled([...this.processing]);
    this.launch(await this.d.load());
  }

  /** Syncs the poller with the registered cameras (added, changed, gone). */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.sync())
      .catch((err: unknown) => {
        this.d.log.error({ err }, 'camera list could not be reloaded');
      });
    return this.reloading;
  }

  health(id: string): CameraHealth | undefined {
    return this.poller?.health(id);
  }

  /** Waits until gathered rows are committed (tests, shutdown). */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  private launch(cams: PolledCamera[]): void {
    const s = this.d.settings();
    this.known = new Set(cams.map((c) => c.id));
    this.poller = new CameraHealthPoller({
      driver: this.d.driver,
      cameras: cams,
      probeIntervalMs: s.probeIntervalMs,
      probeTimeoutMs: s.probeTimeoutMs,
      snapshotIntervalMs: s.snapshotProbeIntervalMs,
      snapshotTimeoutMs: s.snapshotTimeoutMs,
      offlineAfterFailures: s.offlineAfterFailures,
      offlineAfterMs: s.offlineAfterMs,
      // Spread the first round over one probe interval, so a restart does not hit every camera (and sharp) at once.
      startSpreadMs: Math.min(s.probeIntervalMs, 10_000),
      onStatus: (c) => this.onStatus(c),
      onProbe: (r) => this.onCheck(r),
      ...(this.d.owns ? { owns: this.d.owns } : {}),
      logger: this.d.log,
    });
    this.poller.start();
  }

  private async sync(): Promise<void> {
    const cams = await this.d.load();
    const ids = new Set(cams.map((c) => c.id));
    const removed = [...this.known].filter((id) => !ids.has(id));
    this.known = ids;
    const p = this.poller;
    if (!p) return;
    for (const c of cams) p.addCamera(c); // new ones start now; existing ones take the new connection at the next check
    for (const id of removed) {
      p.removeCamera(id);
      this.recorder.forget(id);
    }
  }

  private onStatus(c: CameraStatusChange): void {
    // Probe and snapshot checks both count as health probes: the reason names the outcome, the error code the cause.
    const reason = c.online ? `probe-ok: ${c.reason}` : `probe-failed: ${c.errorCode ?? 'unknown'}`;
    this.recorder.status(c.cameraId, c.online, reason, c.at);
    this.recorder.fault(c.cameraId, CAMERA_FAULTS.unreachable, !c.online, c.at, c.online ? {} : { errorCode: c.errorCode, message: c.reason });
  }

  private onCheck(r: CameraCheckReport): void {
    this.d.metrics.inc(CHECKS_METRIC[0], CHECKS_METRIC[1], { kind: r.kind, result: r.ok ? 'ok' : (r.errorCode ?? 'error') });
    if (r.kind === 'snapshot' && r.ok && r.snapshot) {
      const job = this.onSnapshot(r).finally(() => this.processing.delete(job));
      this.processing.add(job);
      return;
    }
    if (r.kind === 'snapshot') return this.snapshotFailed(r, r.errorCode ?? CameraErrorCode.BAD_RESPONSE, r.message ?? '');
    if (r.ok) {
      const data = this.metrics({ rttMs: r.durationMs, clockOffsetMs: r.clockOffsetMs });
      this.recorder.reading(r.cameraId, r.finishedAt, data, data, r.finishedAt);
    }
    this.notice(r, r.ok, r.errorCode);
  }

  /** A snapshot arrived: it still has to decode (and may be kept as the scheduled snapshot). */
  private async onSnapshot(r: CameraCheckReport): Promise<void> {
    try {
      const { bytes } = await this.d.snapshots.fromProbe(r.cameraId, r.snapshot!);
      const data = this.metrics({ snapshotOk: 1, snapshotBytes: bytes });
      this.recorder.reading(r.cameraId, r.finishedAt, data, { ...data, snapshotOk: true }, r.finishedAt);
      this.recorder.fault(r.cameraId, CAMERA_FAULTS.authFailed, false, r.finishedAt);
      this.recorder.fault(r.cameraId, CAMERA_FAULTS.snapshotFailed, false, r.finishedAt);
      this.notice(r, true);
    } catch (err) {
      if (!isCameraError(err)) {
        // Our side failed (disk full, database): not the camera's fault, so no snapshotFailed for the operator.
        this.d.log.error({ cameraId: r.cameraId, err }, 'snapshot could not be stored');
        return this.notice(r, false, 'SNAPSHOT_STORE_FAILED');
      }
      this.snapshotFailed(r, (err as { code: string }).code, (err as Error).message);
    }
  }

  private snapshotFailed(r: CameraCheckReport, code: string, message: string): void {
    // The camera was seen if it answered at all (with a refusal or a bad image). Its latest state changes only while the
    // poller holds it online: a "sign of life" in device_state would otherwise revive an offline camera elsewhere.
    const answered = code !== CameraErrorCode.TIMEOUT && code !== CameraErrorCode.UNREACHABLE;
    const seen = answered && this.poller?.health(r.cameraId)?.status === 'online' ? r.finishedAt : undefined;
    const data = this.metrics({ snapshotOk: 0 });
    this.recorder.reading(r.cameraId, r.finishedAt, data, { ...data, snapshotOk: false }, seen);
    if (code === CameraErrorCode.AUTH_FAILED) {
      this.recorder.fault(r.cameraId, CAMERA_FAULTS.authFailed, true, r.finishedAt, { errorCode: code, message });
    } else if (answered) {
      // The camera answered, but not with a usable image; an unreachable camera is already the `unreachable` fault.
      this.recorder.fault(r.cameraId, CAMERA_FAULTS.snapshotFailed, true, r.finishedAt, { errorCode: code, message });
    }
    this.notice(r, false, code);
  }

  private notice(r: CameraCheckReport, ok: boolean, errorCode?: string): void {
    this.recorder.probe({ cameraId: r.cameraId, kind: r.kind, ok, durationMs: r.durationMs, at: r.finishedAt, ...(errorCode ? { errorCode } : {}) });
  }

  /** Keeps only the metrics the camera kind declares, so telemetry always matches the kind's schema. */
  private metrics(values: Record<string, number | undefined>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined && this.d.kind.telemetry[k]) out[k] = v;
    return out;
  }
}
