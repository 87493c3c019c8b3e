/**
 * The cameras feature module: registry of ONVIF cameras (as devices of the kind whose transport is 'onvif'), health
 * polling into the shared device history, snapshots and PTZ, and their routes. Shared as `ctx.shared.get('cameras')`.
 */
import { NetGuard } from '../common/net-guard.ts';
import path from 'node:path';
import { DEVICE_KINDS } from '../../devices/index.ts';
import type { Logger } from '../common/logger.ts';
import { IngestRepository } from '../ingest/ingest.repository.ts';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import type { CameraFeature } from './camera-feature.ts';
import { CameraHealthService } from './camera-health.service.ts';
import { CameraPtzService } from './camera-ptz.service.ts';
import { cameraSettings } from './camera-settings.ts';
import type { CameraSettings } from './camera-settings.ts';
import { CameraSnapshotService } from './camera-snapshot.service.ts';
import { CameraRepository } from './camera.repository.ts';
import { cameraRoutes } from './camera.routes.ts';
import { CameraService } from './camera.service.ts';
import { OnvifCameraDriver } from './onvif-camera.driver.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    cameras: CameraFeature;
  }
}

/** What the routes (and tests, through ctx.shared) use. */

/** Snapshot-file retention also runs on its own for cameras that stopped producing snapshots. */
const RETENTION_EVERY_MS = 3600_000;

export class CameraModule implements FeatureModule {
  readonly name = 'cameras';
  private feature: CameraFeature | undefined;
  private log: Logger | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastRetention = 0;
  private ticking: Promise<void> | undefined;
  private started = false;
  /** Registered camera ids at the last reconcile (including any whose password cannot be unsealed). */
  private registered = new Set<string>();

  async init(ctx: ModuleContext): Promise<void> {
    const kind = DEVICE_KINDS.find((k) => k.transport === 'onvif');
    if (!kind) throw new Error('cameras module: no device kind with transport "onvif" is registered in devices/');
    const log = ctx.log.child({ module: 'cameras' });
    let settings = cameraSettings(ctx.config);
    const current = (): CameraSettings => settings;
    const repo = new CameraRepository(ctx.db);
    const driver = new OnvifCameraDriver({ timeoutMs: settings.probeTimeoutMs, snapshotTimeoutMs: settings.snapshotTimeoutMs, logger: log });
    // The services refer to each other only through closures called after init, so the order here is free.
    const connectionOf = (id: string): ReturnType<CameraService['connectionOf']> => cameras.connectionOf(id);
    const snapshots: CameraSnapshotService = new CameraSnapshotService({
      driver,
      repo,
      rootDir: path.join(ctx.config.dataDir, 'snapshots'),
      connectionOf,
      settings: current,
      log,
      events: ctx.events,
    });
    const health: CameraHealthService = new CameraHealthService({
      driver,
      ingest: new IngestRepository(ctx.db),
      repo,
      snapshots,
      events: ctx.events,
      metrics: ctx.metrics,
      kind,
      settings: current,
      log,
      load: (): ReturnType<CameraService['polledCameras']> => cameras.polledCameras(),
      owns: () => ctx.jobs.owns('camera-probes'),
    });
    const cameras: CameraService = new CameraService({
      addressGuard: new NetGuard('camera', (ctx.config as Partial<typeof ctx.config>).security?.networks.camera ?? ['0.0.0.0/0', '::/0']),
      repo,
      driver,
      devices: ctx.devices,
      deviceRepo: ctx.deviceRepo,
      serviceKey: ctx.serviceKey,
      kind,
      settings: current,
      log,
      healthOf: (id): ReturnType<CameraHealthService['health']> => health.health(id),
      onChanged: () => void health.reload(),
    });
    const ptz = new CameraPtzService({ driver, repo, connectionOf, settings: current, log });
    const rearm = (): void => this.arm();
    this.feature = {
      kind,
      cameras,
      ptz,
      snapshots,
      health,
      settings: current,
      async applySettings(patch) {
        settings = { ...settings, ...patch };
        await health.restart();
        rearm();
      },
    };
    this.log = log;
    ctx.shared.set('cameras', this.feature);
  }

  routes() {
    if (!this.feature) throw new Error('cameras module: routes() before init()');
    return cameraRoutes(this.feature);
  }

  async start(): Promise<void> {
    const f = this.feature;
    if (!f) return;
    await f.health.start();
    this.registered = new Set(await f.cameras.registeredIds());
    await f.snapshots.removeOrphans([...this.registered]);
    this.started = true;
    this.arm();
  }

  private arm(): void {
    const f = this.feature;
    if (!f || !this.started) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.ticking ??= this.reconcile().finally(() => (this.ticking = undefined));
    }, f.settings().reconcileIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    this.feature?.ptz.close();
    await this.feature?.health.stop();
  }

  /** Catches cameras deleted through DELETE /devices/:id (their rows cascade; files and polling are ours to end). */
  private async reconcile(): Promise<void> {
    const f = this.feature;
    if (!f) return;
    try {
      await f.health.reload();
      const now = new Set(await f.cameras.registeredIds());
      for (const id of this.registered) if (!now.has(id)) await f.snapshots.removeCamera(id);
      this.registered = now;
      if (Date.now() - this.lastRetention >= RETENTION_EVERY_MS) {
        this.lastRetention = Date.now();
        await f.snapshots.applyRetention([...now]);
      }
    } catch (err) {
      this.log?.error({ err }, 'camera reconcile failed');
    }
  }
}
