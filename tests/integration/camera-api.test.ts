/**
 * Snapshots, PTZ and discovery through the real service (HTTP API → camera service → ONVIF driver) against simulated
 * cameras over loopback HTTP and UDP, on the embedded database (registration on every mode is camera-api-registration).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import type { Db } from '../../services/db/db.ts';
import type { CameraFeature } from '../../services/cameras/camera-feature.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet, SimulatedCamera } from '../../simulators/onvif/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const USER = 'admin';
const PASSWORD = 'cam-Passw0rd==';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestApp;
let db: Db;
let fleet: CameraFleet;
let operator: string;
let viewer: string;

interface SnapshotBody {
  id: string;
  trigger: string;
  requestedBy: string | null;
  full: { path: string; format: string; width: number; height: number };
  thumb: { path: string; width: number; height: number };
}

async function settled(cam: SimulatedCamera): Promise<{ pan: number; tilt: number; zoom: number }> {
  for (let i = 0; i < 60; i++) {
    const a = cam.state;
    await sleep(100);
    const b = cam.state;
    if (a.pan === b.pan && a.tilt === b.tilt && a.zoom === b.zoom) return b;
  }
  throw new Error('PTZ head never settled');
}

const image = async (url: string, token: string) => {
  const r = await t.app.api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { status: r.statusCode, type: String(r.headers['content-type']), body: r.rawPayload, headers: r.headers };
};

beforeAll(async () => {
  fleet = await startCameraFleet({ count: 5, username: USER, password: PASSWORD, discoveryPort: 0 });
  db = await openPglite({ dataDir: null, log: silentLogger() });
  t = await startTestApp({ db });
  // No background polling noise in this file: health has its own test file.
  await (t.app.ctx.shared.get('cameras') as CameraFeature).applySettings({ probeIntervalMs: 3_600_000, snapshotProbeIntervalMs: 0 });
  operator = await t.userToken('operator');
  viewer = await t.userToken('viewer');
  for (const sim of fleet.cameras.slice(0, 4)) {
    const r = await t.http('POST', '/api/v1/cameras', {
      token: t.adminToken,
      body: { id: sim.id, name: sim.name, connection: { address: sim.xaddr, username: USER, password: PASSWORD } },
    });
    if (r.status !== 201) throw new Error(`register ${sim.id}: ${JSON.stringify(r.body)}`);
  }
});
afterAll(async () => {
  await t?.close();
  await db?.close();
  await fleet?.close();
});

describe('snapshots through the API', () => {
  it('fetches a snapshot through HTTP Digest, stores a resized thumbnail and full image, and serves both', async () => {
    const sim = fleet.camera('cam-01');
    const before = sim.stats.snapshots;
    const announced: { cameraId: string; snapshotId: string }[] = [];
    const onSnap = (e: { cameraId: string; snapshotId: string }): void => void announced.push(e);
    t.app.ctx.events.on('camera.snapshot', onSnap);
    const r = await t.http<SnapshotBody>('POST', '/api/v1/cameras/cam-01/snapshots', { token: operator });
    t.app.ctx.events.off('camera.snapshot', onSnap);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    // Live dashboards hear of it on the shared bus (forwarded by /api/v1/live).
    expect(announced).toContainEqual(expect.objectContaining({ cameraId: 'cam-01', snapshotId: r.body.id }));
    expect(sim.stats.snapshots).toBe(before + 1);
    expect(sim.basicAuthAttempts).toBe(0);
    expect(r.body).toMatchObject({
      trigger: 'on-demand',
      requestedBy: 'operator-1',
      full: { format: 'jpeg', width: 640, height: 360 },
      thumb: { width: 320, height: 180 },
    });
    const root = path.join(t.dataDir, 'snapshots');
    expect(existsSync(path.join(root, r.body.full.path))).toBe(true);
    expect(existsSync(path.join(root, r.body.thumb.path))).toBe(true);

    const thumb = await image('/api/v1/cameras/cam-01/snapshots/latest?size=thumb', viewer);
    expect([thumb.status, thumb.type]).toEqual([200, 'image/webp']);
    expect(thumb.headers['x-snapshot-id']).toBe(r.body.id);
    const tm = await sharp(thumb.body).metadata();
    expect([tm.format, tm.width, tm.height]).toEqual(['webp', 320, 180]);

    const full = await image(`/api/v1/cameras/cam-01/snapshots/${r.body.id}?size=full`, viewer);
    expect([full.status, full.type]).toEqual([200, 'image/jpeg']);
    const fm = await sharp(full.body).metadata();
    expect([fm.format, fm.width, fm.height]).toEqual(['jpeg', 640, 360]);

    const list = await t.http<{ items: SnapshotBody[]; total: number }>('GET', '/api/v1/cameras/cam-01/snapshots', { token: viewer });
    expect(list.body.items.map((s) => s.id)).toEqual([r.body.id]);
    const audit = await db.query<{ actor: string; target_id: string }>(
      `SELECT actor, target_id FROM audit_log WHERE action = 'camera.snapshot' AND result = 'ok'`,
    );
    expect(audit.rows).toEqual([{ actor: 'operator-1', target_id: 'cam-01' }]);
  });

  it('refuses a viewer, answers 404 for a camera without snapshots, and reports a broken camera image as CAMERA_BAD_RESPONSE', async () => {
    expect((await t.http('POST', '/api/v1/cameras/cam-02/snapshots', { token: viewer })).status).toBe(403);
    const none = await t.http<{ error: { code: string } }>('GET', '/api/v1/cameras/cam-02/snapshots/latest', { token: viewer });
    expect([none.status, none.body.error.code]).toEqual([404, 'NO_SNAPSHOT']);
    const unknown = await t.http<{ error: { code: string } }>('GET', '/api/v1/cameras/cam-02/snapshots/00000000-0000-4000-8000-000000000000', {
      token: viewer,
    });
    expect(unknown.status).toBe(404);

    const sim = fleet.camera('cam-02');
    await sim.setFault({ kind: 'broken-snapshot', mode: 'garbage' });
    try {
      const r = await t.http<{ error: { code: string } }>('POST', '/api/v1/cameras/cam-02/snapshots', { token: operator });
      expect([r.status, r.body.error.code]).toEqual([502, 'CAMERA_BAD_RESPONSE']);
    } finally {
      await sim.clearFault();
    }
    expect((await db.query(`SELECT 1 FROM camera_snapshots WHERE device_id = 'cam-02'`)).rows).toHaveLength(0);
  });

  it('keeps scheduled snapshots from the snapshot probe and applies retention to files and rows', async () => {
    const feature = t.app.ctx.shared.get('cameras') as CameraFeature;
    await feature.applySettings({ snapshotProbeIntervalMs: 300, scheduledSnapshotIntervalMs: 0, snapshotKeepLast: 3 });
    try {
      const rows = async () =>
        (await db.query<{ trigger: string; full_path: string }>(`SELECT trigger, full_path FROM camera_snapshots WHERE device_id = 'cam-03' ORDER BY taken_at`))
          .rows;
      await waitFor(async () => (await rows()).length >= 3 && fleet.camera('cam-03').stats.snapshots >= 5, 20_000);
    } finally {
      await feature.applySettings({ snapshotProbeIntervalMs: 0 });
    }
    const kept = (await db.query<{ trigger: string; full_path: string }>(`SELECT trigger, full_path FROM camera_snapshots WHERE device_id = 'cam-03'`)).rows;
    expect(kept.length).toBe(3);
    expect(kept.every((k) => k.trigger === 'schedule')).toBe(true);
    const root = path.join(t.dataDir, 'snapshots');
    for (const k of kept) expect(existsSync(path.join(root, k.full_path))).toBe(true);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(root, 'cam-03')).filter((n) => n.endsWith('.full.jpg'))).toHaveLength(3);
  });
});

describe('PTZ through the API', () => {
  const ptz = (id: string, action: string, body: unknown, token = operator) =>
    t.http<{ ok?: boolean; error?: { code: string; message: string } }>('POST', `/api/v1/cameras/${id}/ptz/${action}`, { token, body });

  it('moves to an absolute position, audited with the parameters', async () => {
    const sim = fleet.camera('cam-04');
    const r = await ptz('cam-04', 'absolute', { pan: 0.5, tilt: -0.25, zoom: 0.3 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const pos = await settled(sim);
    expect(pos.pan).toBeCloseTo(0.5, 3);
    expect(pos.tilt).toBeCloseTo(-0.25, 3);
    expect(pos.zoom).toBeCloseTo(0.3, 3);
    const audit = await db.query<{ actor: string; target_type: string; target_id: string; details: Record<string, unknown> }>(
      `SELECT actor, target_type, target_id, details FROM audit_log WHERE action = 'camera.ptz.absolute-move' AND result = 'ok'`,
    );
    expect(audit.rows[0]).toMatchObject({
      actor: 'operator-1',
      target_type: 'camera',
      target_id: 'cam-04',
      details: { ptz: 'absolute-move', pan: 0.5, tilt: -0.25, zoom: 0.3, status: 200 },
    });
    const status = await t.http<{ pan: number }>('GET', '/api/v1/cameras/cam-04/ptz/status', { token: viewer });
    expect(status.body.pan).toBeCloseTo(0.5, 3);
  });

  it('moves continuously until the timeout, and stops on request', async () => {
    const sim = fleet.camera('cam-04');
    await ptz('cam-04', 'absolute', { pan: -1, tilt: 0, zoom: 0 });
    await settled(sim);
    const r = await ptz('cam-04', 'move', { pan: 1, tilt: 0, timeoutS: 0.5 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const pos = await settled(sim);
    // 0.5 s at full speed (1 unit/s) from −1: the camera stopped itself at −0.5, not at the end stop.
    expect(pos.pan).toBeCloseTo(-0.5, 1);

    expect((await ptz('cam-04', 'move', { pan: 1, tilt: 0, timeoutS: 30 })).status).toBe(200);
    await sleep(300);
    expect((await ptz('cam-04', 'stop', {})).status).toBe(200);
    const stopped = await settled(sim);
    expect(stopped.pan).toBeGreaterThan(-0.45);
    expect(stopped.pan).toBeLessThan(0.5);
    const actions = (
      await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'camera.ptz.%' AND target_id = 'cam-04' ORDER BY id`)
    ).rows.map((r) => r.action);
    expect(actions).toEqual(['camera.ptz.absolute-move', 'camera.ptz.absolute-move', 'camera.ptz.move', 'camera.ptz.move', 'camera.ptz.stop']);
  });

  it('lists presets, goes to one and stores a new one', async () => {
    const sim = fleet.camera('cam-04');
    const list = await t.http<{ items: { token: string; name: string }[]; stale: boolean }>('GET', '/api/v1/cameras/cam-04/ptz/presets', { token: viewer });
    expect(list.body.stale).toBe(false);
    expect(list.body.items.map((p) => p.name)).toEqual(['Home', 'Market gate', 'Crossroad']);
    expect((await ptz('cam-04', 'goto', { preset: '2' })).status).toBe(200);
    const pos = await settled(sim);
    expect([pos.pan, pos.tilt, pos.zoom].map((v) => Number(v.toFixed(3)))).toEqual([0.5, -0.25, 0.4]);
    const created = await t.http<{ token: string }>('POST', '/api/v1/cameras/cam-04/ptz/presets', { token: operator, body: { name: 'Chợ Phước Long' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const again = await t.http<{ items: { token: string; name: string }[] }>('GET', '/api/v1/cameras/cam-04/ptz/presets', { token: viewer });
    expect(again.body.items).toContainEqual(expect.objectContaining({ token: created.body.token, name: 'Chợ Phước Long' }));
    const unknown = await ptz('cam-04', 'goto', { preset: 'no-such' });
    expect([unknown.status, unknown.body.error?.code]).toEqual([400, 'CAMERA_REJECTED']);
  });

  it('refuses out-of-range values before contacting the camera, and refuses viewers', async () => {
    const sim = fleet.camera('cam-04');
    const moves = () => (sim.stats.byAction.AbsoluteMove ?? 0) + (sim.stats.byAction.ContinuousMove ?? 0);
    const before = moves();
    const far = await ptz('cam-04', 'absolute', { pan: 2, tilt: 0, zoom: 0 });
    expect([far.status, far.body.error?.code]).toEqual([400, 'CAMERA_PTZ_OUT_OF_RANGE']);
    const fast = await ptz('cam-04', 'move', { pan: 0, tilt: -1.5, timeoutS: 1 });
    expect([fast.status, fast.body.error?.code]).toEqual([400, 'CAMERA_PTZ_OUT_OF_RANGE']);
    const long = await ptz('cam-04', 'move', { pan: 0.2, tilt: 0, timeoutS: 600 });
    expect([long.status, long.body.error?.code]).toEqual([400, 'CAMERA_PTZ_OUT_OF_RANGE']);
    const typo = await ptz('cam-04', 'absolute', { pan: 0, tilt: 0, zom: 0 });
    expect([typo.status, typo.body.error?.code]).toEqual([400, 'VALIDATION']);
    expect((await ptz('cam-04', 'absolute', { pan: 0, tilt: 0, zoom: 0 }, viewer)).status).toBe(403);
    expect(moves()).toBe(before);
    const refused = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'camera.ptz.%' AND result = 'error'`);
    expect(refused.rows[0]!.n).toBeGreaterThanOrEqual(5);
  });

  it('serialises concurrent PTZ calls on one camera: each completes and the head rests on one of their targets', async () => {
    const sim = fleet.camera('cam-04');
    const targets = [-0.6, -0.2, 0.2, 0.6];
    const before = sim.stats.byAction.AbsoluteMove ?? 0;
    const results = await Promise.all(targets.map((pan) => ptz('cam-04', 'absolute', { pan, tilt: 0, zoom: 0 })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(sim.stats.byAction.AbsoluteMove).toBeGreaterThanOrEqual(before + 4);
    // Each move ran to completion before the next was sent, so the head rests exactly on one of the targets.
    const pos = await settled(sim);
    const rows = await db.query<{ details: { pan: number } }>(
      `SELECT details FROM audit_log WHERE action = 'camera.ptz.absolute-move' AND result = 'ok' ORDER BY id DESC LIMIT 4`,
    );
    expect(rows.rows.map((r) => r.details.pan).sort()).toEqual([...targets].sort());
    expect(targets).toContain(Number(pos.pan.toFixed(3)));
  });
});

describe('discovery through the API', () => {
  it('finds the simulated cameras on loopback and says which are registered', async () => {
    const r = await t.http<{ bindAddress: string; items: { xaddrs: string[]; name: string | null; registeredAs: string | null }[] }>(
      'POST',
      '/api/v1/cameras/discover',
      {
        token: t.adminToken,
        body: { targetAddress: '127.0.0.1', port: fleet.discoveryPort, timeoutMs: 800 },
      },
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.bindAddress).toBe('127.0.0.1');
    expect(r.body.items.map((i) => i.xaddrs[0]).sort()).toEqual(fleet.cameras.map((c) => c.xaddr).sort());
    const byAddr = new Map(r.body.items.map((i) => [i.xaddrs[0], i]));
    expect(byAddr.get(fleet.camera('cam-01').xaddr)?.registeredAs).toBe('cam-01');
    expect(byAddr.get(fleet.camera('cam-05').xaddr)).toMatchObject({ registeredAs: null, name: fleet.camera('cam-05').name });
  });

  it('probes only from a configured interface and only for admins', async () => {
    const other = await t.http<{ error: { code: string } }>('POST', '/api/v1/cameras/discover', { token: t.adminToken, body: { bindAddress: '10.1.2.3' } });
    expect([other.status, other.body.error.code]).toEqual([400, 'DISCOVERY_INTERFACE_NOT_ALLOWED']);
    expect((await t.http('POST', '/api/v1/cameras/discover', { token: operator, body: {} })).status).toBe(403);
  });
});
