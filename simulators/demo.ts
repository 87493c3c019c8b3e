/**
 * `npm start -- --demo`: provisions the demo ward (Phước Long: residential groups, a few hundred lights along their
 * streets, WiFi points, loudspeaker clusters, and ONVIF cameras when the camera API is present) and runs the
 * simulators in-process, so live data shows up within a minute. A second start reuses everything: devices are found
 * by id and their secrets are read back from the data folder (demo-credentials.json, mode 0600).
 */
import path from 'node:path';
import type { App } from '../services/app.ts';
import { demoWardPlan } from './mqtt/demo-ward.ts';
import type { DemoWardPlan } from './mqtt/demo-ward.ts';
import { FleetRun } from './mqtt/fleet-run.ts';
import type { FleetDeviceSpec } from './mqtt/fleet.ts';
import { progressLine } from './mqtt/progress.ts';
import { readCredentials, writeCredentials } from './mqtt/provision.ts';
import { startCameraFleet } from './onvif/index.ts';
import type { CameraFleet } from './onvif/index.ts';

export interface Demo {
  devices: number;
  cameras: number;
  run: FleetRun;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** Telemetry period of every demo device; default 15 s, so every device has reported well within a minute. */
  intervalMs?: number;
  /** Ward size (defaults: 320 lights, 12 WiFi points, 15 speaker clusters, 5 cameras). */
  size?: { lights?: number; aps?: number; speakers?: number; cameras?: number };
}

const CAMERA_USER = 'admin';
const CAMERA_PASSWORD = 'Demo-Cam3ra!';

async function ensureZones(app: App, plan: DemoWardPlan): Promise<void> {
  for (const z of plan.zones) {
    if (!(await app.ctx.zones.get(z.id)))
      await app.ctx.zones.create({ id: z.id, name: z.name, kind: 'residential_group', wardCode: plan.wardCode, parentId: null });
  }
}

/** A secret for every demo device: the saved one, a new device, or a rotated secret when the saved one is gone. */
async function ensureDevices(app: App, plan: DemoWardPlan, credsFile: string): Promise<{ specs: FleetDeviceSpec[]; created: number }> {
  const known = new Map((readCredentials(credsFile)?.devices ?? []).map((d) => [d.deviceId, d]));
  const specs: FleetDeviceSpec[] = [];
  let created = 0;
  for (const d of plan.devices) {
    const exists = (await app.ctx.deviceRepo.get(d.deviceId)) !== null;
    const saved = known.get(d.deviceId);
    if (exists && saved) {
      specs.push(saved);
      continue;
    }
    const secret = exists
      ? (await app.devices.rotate(d.deviceId)).password
      : (
          await app.devices.provision({
            id: d.deviceId,
            kind: d.kind,
            name: d.name,
            wardCode: plan.wardCode,
            groupId: d.groupId,
            lat: d.lat,
            lon: d.lon,
            address: d.address,
            asset: d.asset,
            tags: ['demo'],
          })
        ).credentials.password;
    if (!exists) created++;
    specs.push({ deviceId: d.deviceId, kind: d.kind, secret });
  }
  writeCredentials(credsFile, { version: 1, devices: specs });
  return { specs, created };
}

/** Registers the simulated cameras through the camera API (it contacts each camera), or says why it cannot. */
async function startCameras(app: App, plan: DemoWardPlan): Promise<CameraFleet | null> {
  const log = app.ctx.log.child({ module: 'demo' });
  if (plan.cameras.length === 0) return null;
  if (!app.routes.some((r) => r.method === 'POST' && r.url === '/api/v1/cameras')) {
    log.info('demo cameras skipped: this build has no POST /api/v1/cameras route');
    return null;
  }
  const fleet = await startCameraFleet({
    count: plan.cameras.length,
    username: CAMERA_USER,
    password: CAMERA_PASSWORD,
    discoveryPort: null,
    namePrefix: 'Demo high-mast',
  });
  // Machine tokens have an owner: the first enabled administrator issues the short-lived setup token.
  const admin = (await app.auth.listUsers()).find((u) => u.role === 'admin' && !u.disabled);
  if (!admin) {
    log.warn('demo cameras skipped: no enabled administrator to issue the setup token');
    await fleet.close();
    return null;
  }
  const issuer = { actor: admin.username, userId: admin.id, role: 'admin' as const, tokenId: '', via: 'session' as const };
  const { token, record } = await app.auth.createApiToken(issuer, 'demo-setup', 'admin', new Date(Date.now() + 10 * 60_000));
  const call = (method: 'POST' | 'PATCH', url: string, payload: object) =>
    app.api.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
  let registered = 0;
  try {
    for (const [i, c] of plan.cameras.entries()) {
      const connection = { address: fleet.cameras[i]?.xaddr ?? '', username: CAMERA_USER, password: CAMERA_PASSWORD };
      let r = await call('POST', '/api/v1/cameras', {
        id: c.id,
        name: c.name,
        connection,
        wardCode: plan.wardCode,
        groupId: c.groupId,
        lat: c.lat,
        lon: c.lon,
        tags: ['demo'],
      });
      // Registered at an earlier start: the simulator listens on a new port now, so point the camera there.
      if (r.statusCode === 409) r = await call('PATCH', `/api/v1/cameras/${c.id}/connection`, connection);
      if (r.statusCode < 300) registered++;
      else log.warn({ camera: c.id, status: r.statusCode, body: r.body.slice(0, 300) }, 'demo camera not registered');
    }
  } finally {
    await app.auth.revokeApiToken(record.id).catch(() => undefined);
  }
  log.info({ registered, of: plan.cameras.length }, 'demo cameras registered');
  return fleet;
}

export async function startDemo(app: App, opts: DemoOptions = {}): Promise<Demo> {
  const log = app.ctx.log.child({ module: 'demo' });
  const plan = demoWardPlan({ wardCode: app.config.ward.code, ...opts.size });
  await ensureZones(app, plan);
  const { specs, created } = await ensureDevices(app, plan, path.join(app.config.dataDir, 'demo-credentials.json'));
  log.info({ devices: specs.length, created, reused: specs.length - created }, 'demo ward provisioned');
  const cameras = await startCameras(app, plan);
  const run = new FleetRun({
    brokerUrl: app.urls().mqtt,
    devices: specs,
    intervalMs: opts.intervalMs ?? 15_000,
    concurrency: 20,
    flapProgram: false,
    log: (line) => log.info(line),
  });
  const started = await run.start();
  log.info({ connected: started.connected, failed: started.failed.length }, 'demo devices connected and reporting');
  // A little trouble to look at: failed lamps, a day burner, a cluster on battery, two devices with a flaky link.
  for (const [fault, count] of [
    ['lamp-failure', 3],
    ['day-burner', 1],
    ['supply-loss', 1],
    ['flapping', 2],
  ] as const) {
    await run.inject(fault, { count });
  }
  run.startProgress(60_000, (line) => log.info(line));
  log.info(progressLine(run.snapshot()));
  return {
    devices: specs.length,
    cameras: cameras?.cameras.length ?? 0,
    run,
    async stop() {
      await run.stop();
      await cameras?.close();
    },
  };
}
