/**
 * Camera health: a cheap probe (GetSystemDateAndTime) every probeIntervalMs and a snapshot every snapshotIntervalMs.
 * Each camera has its own timer chain and at most one check in flight, so a hanging camera only ever delays itself.
 * A check is abandoned at its timeout even if the driver ignores the AbortSignal; the next check for that camera is
 * then skipped (and counted as a failure) until the stuck call settles, so calls never pile up on one camera.
 * Status changes (unknown → online/offline, online ↔ offline) go to onStatus; every check result goes to onProbe.
 */
import type { AppError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { silentLogger } from '../common/logger.ts';
import type { CameraConnection, CameraDriver, Snapshot } from './camera-driver.ts';
import { CameraErrorCode, isCameraError } from './camera-errors.ts';

export interface PolledCamera {
  id: string;
  connection: CameraConnection;
}

export type CheckKind = 'probe' | 'snapshot';

export interface CameraStatusChange {
  cameraId: string;
  online: boolean;
  /** 'first contact', 'recovered', or the error that took it offline ("CAMERA_TIMEOUT: …"). */
  reason: string;
  errorCode?: string;
  at: Date;
}

export interface CameraCheckReport {
  cameraId: string;
  kind: CheckKind;
  ok: boolean;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  clockOffsetMs?: number;
  /** |clockOffsetMs| above clockSkewWarnMs: recordings and overlays carry wrong times; fix NTP on the camera. */
  clockSkewed?: boolean;
  errorCode?: string;
  message?: string;
  snapshot?: Snapshot;
}

export interface CameraHealth {
  cameraId: string;
  status: 'unknown' | 'online' | 'offline';
  consecutiveFailures: number;
  lastSuccessAt?: Date;
  lastCheckAt?: Date;
  lastError?: string;
}

/** Injectable time source; defaults to the globals at call time, so vitest fake timers work without injection. */
export interface PollerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: PollerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface HealthPollerOptions {
  driver: Pick<CameraDriver, 'probe' | 'getSnapshot'>;
  cameras?: PolledCamera[];
  probeIntervalMs?: number;
  /** 0 disables snapshot checks. */
  snapshotIntervalMs?: number;
  probeTimeoutMs?: number;
  snapshotTimeoutMs?: number;
  /** Offline after this many consecutive failed checks… */
  offlineAfterFailures?: number;
  /** …or after this long without a successful check (whichever comes first). */
  offlineAfterMs?: number;
  clockSkewWarnMs?: number;
  /** Spread the first checks of all cameras over this many ms instead of firing them all at start(). */
  startSpreadMs?: number;
  onStatus?: (change: CameraStatusChange) => void;
  onProbe?: (report: CameraCheckReport) => void;
  clock?: PollerClock;
  logger?: Logger;
  /** Cluster: whether this process runs the job now (a lease, services/cluster); absent = always. */
  owns?: () => boolean;
}

interface Entry {
  cam: PolledCamera;
  health: CameraHealth;
  nextAt: Record<CheckKind, number>;
  timer?: unknown;
  /** The driver call that is still running, possibly past our timeout. */
  stuck?: Promise<unknown>;
  abort?: AbortController;
  tick?: Promise<void>;
  /** Time from which "offline after ms" counts: last success, or when monitoring began. */
  since: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

export class CameraHealthPoller {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: PollerClock;
  private readonly log: Logger;
  private readonly cfg: Required<Omit<HealthPollerOptions, 'cameras' | 'onStatus' | 'onProbe' | 'clock' | 'logger' | 'driver' | 'offlineAfterMs' | 'owns'>> & {
    offlineAfterMs?: number;
  };
  private running = false;

  constructor(private readonly opts: HealthPollerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger()).child({ module: 'camera-health' });
    this.cfg = {
      probeIntervalMs: opts.probeIntervalMs ?? 30_000,
      snapshotIntervalMs: opts.snapshotIntervalMs ?? 300_000,
      probeTimeoutMs: opts.probeTimeoutMs ?? 5_000,
      snapshotTimeoutMs: opts.snapshotTimeoutMs ?? 15_000,
      offlineAfterFailures: Math.max(1, opts.offlineAfterFailures ?? 3),
      offlineAfterMs: opts.offlineAfterMs,
      clockSkewWarnMs: opts.clockSkewWarnMs ?? 120_000,
      startSpreadMs: opts.startSpreadMs ?? 0,
    };
    for (const cam of opts.cameras ?? []) this.addCamera(cam);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    const list = [...this.entries.values()];
    list.forEach((e, i) => this.arm(e, now, list.length > 1 ? (this.cfg.startSpreadMs * i) / list.length : 0));
  }

  /** Stops all timers, aborts checks in flight and waits until they have finished reporting. */
  async stop(): Promise<void> {
    this.running = false;
    const ticks: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      this.disarm(e);
      if (e.tick) ticks.push(e.tick);
    }
    await Promise.allSettled(ticks);
  }

  addCamera(cam: PolledCamera): void {
    const existing = this.entries.get(cam.id);
    if (existing) {
      existing.cam = cam; // new address or credentials take effect at the next check
      return;
    }
    const now = this.clock.now();
    const e: Entry = {
      cam,
      health: { cameraId: cam.id, status: 'unknown', consecutiveFailures: 0 },
      nextAt: { probe: now, snapshot: now },
      since: now,
    };
    this.entries.set(cam.id, e);
    if (this.running) this.arm(e, now, 0);
  }

  removeCamera(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.disarm(e);
    this.entries.delete(id);
  }

  health(id: string): CameraHealth | undefined {
    const e = this.entries.get(id);
    return e ? { ...e.health } : undefined;
  }

  healthAll(): CameraHealth[] {
    return [...this.entries.values()].map((e) => ({ ...e.health }));
  }

  private arm(e: Entry, now: number, delay: number): void {
    e.since = now;
    e.nextAt = { probe: now + delay, snapshot: now + delay };
    this.schedule(e);
  }

  private disarm(e: Entry): void {
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
    e.abort?.abort();
  }

  private schedule(e: Entry): void {
    if (!this.running || !this.entries.has(e.cam.id)) return;
    const next = this.cfg.snapshotIntervalMs > 0 ? Math.min(e.nextAt.probe, e.nextAt.snapshot) : e.nextAt.probe;
    e.timer = this.clock.setTimeout(
      () => {
        e.timer = undefined;
        e.tick = this.tick(e).finally(() => {
          e.tick = undefined;
          this.schedule(e);
        });
      },
      Math.max(0, next - this.clock.now()),
    );
  }

  /** Runs the checks that are due, one after the other (per-camera concurrency 1). */
  private async tick(e: Entry): Promise<void> {
    if (this.opts.owns && !this.opts.owns()) {
      // Another node probes the cameras: look again within a second, so a lease that moves here starts probing at once.
      const soon = this.clock.now() + 1000;
      e.nextAt = { probe: Math.max(e.nextAt.probe, soon), snapshot: Math.max(e.nextAt.snapshot, soon) };
      return;
    }
    for (const kind of ['probe', 'snapshot'] as const) {
      if (!this.running) return;
      const interval = kind === 'probe' ? this.cfg.probeIntervalMs : this.cfg.snapshotIntervalMs;
      const now = this.clock.now();
      if (interval <= 0 || e.nextAt[kind] > now) continue;
      // Fixed cadence; after a long stall skip the missed slots instead of firing a burst of catch-up checks.
      e.nextAt[kind] += interval;
      if (e.nextAt[kind] <= now) e.nextAt[kind] = now + interval;
      await this.check(e, kind);
    }
  }

  private async check(e: Entry, kind: CheckKind): Promise<void> {
    const startedAt = this.clock.now();
    const outcome = await this.run(e, kind);
    const finishedAt = this.clock.now();
    if (!this.running || !this.entries.has(e.cam.id)) return;
    const report: CameraCheckReport = {
      cameraId: e.cam.id,
      kind,
      ok: outcome.ok,
      startedAt: new Date(startedAt),
      finishedAt: new Date(finishedAt),
      durationMs: finishedAt - startedAt,
    };
    if (outcome.ok && kind === 'probe') {
      const offset = (outcome.value as { clockOffsetMs: number }).clockOffsetMs;
      report.clockOffsetMs = offset;
      report.clockSkewed = Math.abs(offset) > this.cfg.clockSkewWarnMs;
    }
    if (outcome.ok && kind === 'snapshot') report.snapshot = outcome.value as Snapshot;
    if (!outcome.ok) Object.assign(report, { errorCode: outcome.code, message: outcome.message });
    e.health.lastCheckAt = new Date(finishedAt);
    this.emit('onProbe', report);
    if (outcome.ok) this.succeeded(e, finishedAt);
    else this.failed(e, finishedAt, outcome);
  }

  /** One driver call, bounded by our own timer whatever the driver does with the signal. */
  private run(e: Entry, kind: CheckKind): Promise<Outcome> {
    if (e.stuck) {
      return Promise.resolve({ ok: false, code: CameraErrorCode.TIMEOUT, message: `previous ${kind} check is still running; camera is not answering` });
    }
    const timeoutMs = kind === 'probe' ? this.cfg.probeTimeoutMs : this.cfg.snapshotTimeoutMs;
    const ctl = new AbortController();
    e.abort = ctl;
    const conn = e.cam.connection;
    const call: Promise<unknown> =
      kind === 'probe'
        ? this.opts.driver.probe(conn, { timeoutMs, signal: ctl.signal })
        : this.opts.driver.getSnapshot(conn, { timeoutMs, signal: ctl.signal });
    e.stuck = call;
    const release = (): void => {
      if (e.stuck === call) e.stuck = undefined;
    };
    call.then(release, release);
    return new Promise<Outcome>((resolve) => {
      const timer = this.clock.setTimeout(() => ctl.abort(), timeoutMs);
      // Our timeout and stop() both abort; either way the check ends now, not when the driver gets round to it.
      ctl.signal.addEventListener(
        'abort',
        () => resolve({ ok: false, code: CameraErrorCode.TIMEOUT, message: `no answer to ${kind} within ${timeoutMs} ms` }),
        { once: true },
      );
      call
        .then(
          (value) => resolve({ ok: true, value }),
          (err: unknown) => resolve(toFailure(err)),
        )
        .finally(() => this.clock.clearTimeout(timer));
    });
  }

  private succeeded(e: Entry, at: number): void {
    const h = e.health;
    const previous = h.status;
    h.consecutiveFailures = 0;
    h.lastSuccessAt = new Date(at);
    h.lastError = undefined;
    e.since = at;
    if (previous === 'online') return;
    h.status = 'online';
    this.log.info({ cameraId: e.cam.id }, 'camera online');
    this.emit('onStatus', { cameraId: e.cam.id, online: true, reason: previous === 'offline' ? 'recovered' : 'first contact', at: new Date(at) });
  }

  private failed(e: Entry, at: number, f: Extract<Outcome, { ok: false }>): void {
    const h = e.health;
    h.consecutiveFailures += 1;
    h.lastError = `${f.code}: ${f.message}`;
    if (h.status === 'offline') return;
    const tooMany = h.consecutiveFailures >= this.cfg.offlineAfterFailures;
    const tooLong = this.cfg.offlineAfterMs !== undefined && at - e.since >= this.cfg.offlineAfterMs;
    if (!tooMany && !tooLong) return;
    h.status = 'offline';
    this.log.warn({ cameraId: e.cam.id, reason: h.lastError }, 'camera offline');
    this.emit('onStatus', { cameraId: e.cam.id, online: false, reason: h.lastError, errorCode: f.code, at: new Date(at) });
  }

  private emit<K extends 'onStatus' | 'onProbe'>(name: K, arg: Parameters<NonNullable<HealthPollerOptions[K]>>[0]): void {
    try {
      (this.opts[name] as ((a: typeof arg) => void) | undefined)?.(arg);
    } catch (err) {
      // A failing consumer (e.g. a database write) must not stop health checks for every camera.
      this.log.error({ err, callback: name }, 'camera health callback threw');
    }
  }
}

function toFailure(err: unknown): Extract<Outcome, { ok: false }> {
  if (isCameraError(err)) return { ok: false, code: (err as AppError).code, message: err.message };
  return { ok: false, code: CameraErrorCode.BAD_RESPONSE, message: err instanceof Error ? err.message : String(err) };
}
