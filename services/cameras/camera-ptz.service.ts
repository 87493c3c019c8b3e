/**
 * PTZ for operators. Ranges are checked before the camera is contacted; calls to one camera are serialised (a PTZ
 * head obeys the last command it received, so two operators' requests must not be interleaved half-way); and a
 * continuous move is bounded twice: by the ONVIF Timeout the camera applies (PTZ §5.3.3) and by a Stop we send
 * ourselves shortly after, because some firmware ignores the Timeout and would pan until it hits the end stop.
 */
import { badRequest, conflict } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { CameraConnection, CameraDriver, PtzPreset, PtzStatus } from './camera-driver.ts';
import { isCameraError } from './camera-errors.ts';
import type { CameraSettings } from './camera-settings.ts';
import type { CameraRepository } from './camera.repository.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface ContinuousMove {
  pan: number;
  tilt: number;
  zoom?: number;
  timeoutS: number;
}

export interface AbsoluteMove {
  pan: number;
  tilt: number;
  zoom: number;
}

export interface PresetList {
  items: PtzPreset[];
  /** True when the camera did not answer and the list is the one read at `at`. */
  stale: boolean;
  at: string;
  error?: { code: string; message: string };
}

interface PtzDeps {
  driver: CameraDriver;
  repo: CameraRepository;
  connectionOf: (id: string) => Promise<CameraConnection & { hasPtz: boolean }>;
  settings: () => CameraSettings;
  log: Logger;
}

/** Extra time after the requested move timeout before our own Stop goes out (the camera should have stopped itself). */
const SAFETY_STOP_GRACE_MS = 1000;

function inRange(what: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= lo && v <= hi)) {
    throw badRequest('CAMERA_PTZ_OUT_OF_RANGE', `${what} must be between ${lo} and ${hi} (got ${v}).`);
  }
}

export class CameraPtzService {
  private readonly mutex = new KeyedMutex();
  /** Bumped by every command, so a delayed safety Stop never cuts a newer move short. */
  private readonly generation = new Map<string, number>();
  private readonly safetyStops = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly d: PtzDeps) {}

  async move(id: string, m: ContinuousMove): Promise<void> {
    inRange('pan velocity', m.pan, -1, 1);
    inRange('tilt velocity', m.tilt, -1, 1);
    inRange('zoom velocity', m.zoom, -1, 1);
    inRange('timeoutS', m.timeoutS, 0.1, 60);
    const timeoutMs = Math.round(m.timeoutS * 1000);
    const gen = await this.command(id, (cam, opts) => this.d.driver.ptzContinuousMove(cam, { pan: m.pan, tilt: m.tilt, zoom: m.zoom }, timeoutMs, opts));
    this.armSafetyStop(id, gen, timeoutMs + SAFETY_STOP_GRACE_MS);
  }

  async stop(id: string): Promise<void> {
    await this.command(id, (cam, opts) => this.d.driver.ptzStop(cam, { panTilt: true, zoom: true }, opts));
  }

  async absolute(id: string, p: AbsoluteMove): Promise<void> {
    inRange('pan', p.pan, -1, 1);
    inRange('tilt', p.tilt, -1, 1);
    inRange('zoom', p.zoom, 0, 1);
    await this.command(id, (cam, opts) => this.d.driver.ptzAbsoluteMove(cam, p, undefined, opts));
  }

  async gotoPreset(id: string, token: string): Promise<void> {
    await this.command(id, (cam, opts) => this.d.driver.gotoPreset(cam, token, undefined, opts));
  }

  async setPreset(id: string, name: string, token?: string): Promise<string> {
    let created = '';
    await this.command(id, async (cam, opts) => {
      created = await this.d.driver.setPreset(cam, name, { ...opts, ...(token ? { presetToken: token } : {}) });
    });
    await this.presets(id).catch(() => undefined); // refresh the cache; the preset exists either way
    return created;
  }

  async status(id: string): Promise<PtzStatus> {
    const cam = await this.ptzCamera(id);
    return this.d.driver.getPtzStatus(cam, { timeoutMs: this.d.settings().operatorCallTimeoutMs });
  }

  /** Live list from the camera; the last list read when the camera does not answer. */
  async presets(id: string): Promise<PresetList> {
    const cam = await this.ptzCamera(id);
    try {
      const items = await this.d.driver.getPresets(cam, { timeoutMs: this.d.settings().operatorCallTimeoutMs });
      const at = new Date();
      await this.d.repo.savePresets(id, items, at);
      return { items, stale: false, at: at.toISOString() };
    } catch (err) {
      const cached = isCameraError(err) ? await this.d.repo.cachedPresets(id) : null;
      if (!cached) throw err;
      const e = err as { code: string; message: string };
      return { items: cached.presets, stale: true, at: cached.at, error: { code: e.code, message: e.message } };
    }
  }

  /** Cancels pending safety stops (module shutdown). */
  close(): void {
    for (const t of this.safetyStops.values()) clearTimeout(t);
    this.safetyStops.clear();
  }

  private async ptzCamera(id: string): Promise<CameraConnection> {
    const cam = await this.d.connectionOf(id);
    if (!cam.hasPtz) throw conflict('CAMERA_NO_PTZ', `Camera '${id}' has no PTZ on its media profile`);
    return cam;
  }

  /** Runs one PTZ call under the camera's lock; returns the command's generation number. */
  private async command(id: string, fn: (cam: CameraConnection, opts: { timeoutMs: number }) => Promise<void>): Promise<number> {
    const cam = await this.ptzCamera(id);
    const gen = (this.generation.get(id) ?? 0) + 1;
    this.generation.set(id, gen);
    const t = this.safetyStops.get(id);
    if (t) clearTimeout(t);
    this.safetyStops.delete(id);
    await this.mutex.run(id, () => fn(cam, { timeoutMs: this.d.settings().operatorCallTimeoutMs }));
    return gen;
  }

  private armSafetyStop(id: string, gen: number, afterMs: number): void {
    const timer = setTimeout(() => {
      this.safetyStops.delete(id);
      if (this.generation.get(id) !== gen) return;
      void this.ptzCamera(id)
        .then((cam) =>
          this.mutex.run(id, () => this.d.driver.ptzStop(cam, { panTilt: true, zoom: true }, { timeoutMs: this.d.settings().operatorCallTimeoutMs })),
        )
        .catch((err: unknown) => this.d.log.warn({ cameraId: id, err }, 'safety PTZ stop after a continuous move failed'));
    }, afterMs);
    timer.unref();
    this.safetyStops.set(id, timer);
  }
}
