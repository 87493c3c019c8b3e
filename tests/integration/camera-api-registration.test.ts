/**
 * Camera registration through the real service (startTestApp) against simulated ONVIF cameras over loopback HTTP, on
 * every database mode: the camera is contacted first, device info and profiles are stored, the password is sealed,
 * and every way a camera can be wrong gives a coded error and creates nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret } from '../../services/common/crypto.ts';
import type { CameraFeature } from '../../services/cameras/camera-feature.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet } from '../../simulators/onvif/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const USER = 'onvif-admin';
const PASSWORD = 'Ph@ss=word:with"quotes';

interface CameraBody {
  id: string;
  kind?: string;
  onvif: { address: string; username: string; profileToken: string | null; hasPtz: boolean; deviceInfo: Record<string, string>; profiles: { token: string }[] };
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.each(modes.filter((m) => m.name !== 'timescale-container'))('camera registration on $name', (mode) => {
  let t: TestApp;
  let fleet: CameraFleet;
  let drop: () => Promise<void>;

  const count = async (sql: string): Promise<number> => (await t.app.db.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
  const totals = async () => ({
    devices: await count('SELECT count(*)::int AS n FROM devices'),
    connections: await count('SELECT count(*)::int AS n FROM camera_connections'),
    credentials: await count('SELECT count(*)::int AS n FROM device_credentials'),
  });
  const register = (id: string, address: string, password = PASSWORD, extra: Record<string, unknown> = {}) =>
    t.http<{ camera: CameraBody; error: { code: string; message: string } }>('POST', '/api/v1/cameras', {
      token: t.adminToken,
      body: { id, name: `Camera ${id}`, lat: 12.22, lon: 109.19, connection: { address, username: USER, password }, ...extra },
    });

  beforeAll(async () => {
    fleet = await startCameraFleet({ count: 4, username: USER, password: PASSWORD, discoveryPort: null });
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
    await fleet?.close();
  });

  it('reads device information and profiles, creates a camera device and stores the password encrypted', async () => {
    const sim = fleet.camera('cam-01');
    const r = await register('cam-north-gate', sim.xaddr);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const cam = r.body.camera;
    expect(cam.onvif.address).toBe(sim.xaddr);
    expect(cam.onvif.deviceInfo).toMatchObject({ manufacturer: 'SmartWard Sim', model: 'SW-PTZ-2230', hardwareId: '88' });
    expect(cam.onvif.deviceInfo.serialNumber).toMatch(/^SIM[0-9A-F]{10}$/);
    expect(cam.onvif.profiles.map((p) => p.token)).toEqual(['profile_main', 'profile_sub']);
    expect(cam.onvif.hasPtz).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain(PASSWORD);
    expect(r.body).not.toHaveProperty('credentials'); // the MQTT secret provisioning made is discarded unseen
    expect(sim.stats.byAction.GetDeviceInformation).toBeGreaterThanOrEqual(1);
    expect(sim.stats.byAction.GetProfiles).toBeGreaterThanOrEqual(1);

    const device = await t.http<{ kind: string; asset: Record<string, unknown> }>('GET', '/api/v1/devices/cam-north-gate', { token: t.adminToken });
    expect(device.body.kind).toBe('camera');
    expect(device.body.asset).toMatchObject({ manufacturer: 'SmartWard Sim', model: 'SW-PTZ-2230' });

    const row = (await t.app.db.query<{ password_sealed: string }>(`SELECT password_sealed FROM camera_connections WHERE device_id = 'cam-north-gate'`))
      .rows[0]!;
    expect(row.password_sealed).not.toBe(PASSWORD);
    expect(row.password_sealed).not.toContain(PASSWORD);
    expect(row.password_sealed).toMatch(/^v1:/);
    expect(decryptSecret(t.app.ctx.serviceKey, row.password_sealed)).toBe(PASSWORD);

    const list = await t.http<{ items: CameraBody[]; total: number }>('GET', '/api/v1/cameras', { token: await t.userToken('viewer') });
    expect(list.body.items.map((c) => c.id)).toContain('cam-north-gate');
  });

  it('answers a wrong password, an unreachable address and a garbage-speaking camera with coded errors and creates nothing', async () => {
    const before = await totals();
    const wrong = await register('cam-wrong-pw', fleet.camera('cam-02').xaddr, 'not-the-password');
    expect(wrong.status).toBe(502);
    expect(wrong.body.error.code).toBe('CAMERA_AUTH_FAILED');

    const dead = await register('cam-dead', `http://127.0.0.1:${await closedPort()}/onvif/device_service`);
    expect(dead.status).toBe(503);
    expect(dead.body.error.code).toBe('CAMERA_UNREACHABLE');
    expect(dead.body.error.message).toMatch(/unreachable/i);

    const garbage = fleet.camera('cam-03');
    await garbage.setFault({ kind: 'garbage-soap' });
    try {
      const g = await register('cam-garbage', garbage.xaddr);
      expect(g.status).toBe(502);
      expect(g.body.error.code).toBe('CAMERA_BAD_RESPONSE');
    } finally {
      await garbage.clearFault();
    }

    const badUrl = await register('cam-bad-url', 'ftp://127.0.0.1/onvif/device_service');
    expect([badUrl.status, badUrl.body.error.code]).toEqual([400, 'CAMERA_BAD_ADDRESS']);
    const badProfile = await register('cam-bad-profile', fleet.camera('cam-02').xaddr, PASSWORD, {
      connection: { address: fleet.camera('cam-02').xaddr, username: USER, password: PASSWORD, profileToken: 'no-such-profile' },
    });
    expect([badProfile.status, badProfile.body.error.code]).toEqual([400, 'CAMERA_UNKNOWN_PROFILE']);

    expect(await totals()).toEqual(before);
    const audit = await t.app.db.query<{ action: string; result: string }>(
      `SELECT action, result FROM audit_log WHERE action = 'camera.register' AND result = 'error'`,
    );
    expect(audit.rows.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses a second registration of the same camera address', async () => {
    const r = await register('cam-duplicate', fleet.camera('cam-01').xaddr);
    expect([r.status, r.body.error.code]).toEqual([409, 'CAMERA_EXISTS']);
  });

  it('re-validates a changed connection and keeps the old one when the new one does not work', async () => {
    const sim = fleet.camera('cam-04');
    expect((await register('cam-market', sim.xaddr)).status).toBe(201);
    const sealed = async () =>
      (await t.app.db.query<{ password_sealed: string }>(`SELECT password_sealed FROM camera_connections WHERE device_id = 'cam-market'`)).rows[0]!
        .password_sealed;
    const before = await sealed();

    const refused = await t.http<{ error: { code: string } }>('PATCH', '/api/v1/cameras/cam-market/connection', {
      token: t.adminToken,
      body: { password: 'still-wrong' },
    });
    expect([refused.status, refused.body.error.code]).toEqual([502, 'CAMERA_AUTH_FAILED']);
    expect(await sealed()).toBe(before);

    // The installer changed the camera's password: the operator enters the new one.
    await sim.setFault({ kind: 'wrong-password', password: 'new-Passw0rd' });
    try {
      const ok = await t.http<CameraBody>('PATCH', '/api/v1/cameras/cam-market/connection', {
        token: t.adminToken,
        body: { password: 'new-Passw0rd', profileToken: 'profile_sub' },
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.onvif.profileToken).toBe('profile_sub');
      expect(decryptSecret(t.app.ctx.serviceKey, await sealed())).toBe('new-Passw0rd');
      const audit = await t.app.db.query<{ details: { fields: string[] } }>(
        `SELECT details FROM audit_log WHERE action = 'camera.update-connection' AND result = 'ok'`,
      );
      expect(audit.rows[0]?.details.fields.sort()).toEqual(['password', 'profileToken']);
      expect(JSON.stringify(audit.rows)).not.toContain('new-Passw0rd');
    } finally {
      await sim.clearFault();
    }
  });

  it('keeps a camera whose password no longer decrypts (service key changed) and says how to fix it', async () => {
    const feature = t.app.ctx.shared.get('cameras') as CameraFeature;
    // The previous test left the camera back on its original password.
    expect((await t.http('PATCH', '/api/v1/cameras/cam-market/connection', { token: t.adminToken, body: { password: PASSWORD } })).status).toBe(200);
    expect((await t.http('POST', '/api/v1/cameras/cam-market/snapshots', { token: t.adminToken })).status).toBe(201);
    await t.app.db.query(`UPDATE camera_connections SET password_sealed = $1 WHERE device_id = 'cam-market'`, [encryptSecret(randomBytes(32), PASSWORD)]);
    await feature.applySettings({ reconcileIntervalMs: 200 });
    const r = await t.http<{ error: { code: string; message: string } }>('POST', '/api/v1/cameras/cam-market/snapshots', { token: t.adminToken });
    expect([r.status, r.body.error.code]).toEqual([500, 'CAMERA_SECRET_UNREADABLE']);
    expect(r.body.error.message).toMatch(/PATCH \/api\/v1\/cameras\/cam-market\/connection/);
    expect((await t.http('GET', '/api/v1/cameras/cam-market', { token: t.adminToken })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600)); // a few reconcile rounds
    expect(existsSync(path.join(t.dataDir, 'snapshots', 'cam-market')), 'snapshots of a registered camera are kept').toBe(true);
    expect(feature.health.health('cam-market')).toBeUndefined(); // not polled with a password it cannot read
    const fixed = await t.http('PATCH', '/api/v1/cameras/cam-market/connection', { token: t.adminToken, body: { password: PASSWORD } });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    await waitFor(async () => feature.health.health('cam-market'), 10_000);
  });

  it('deletes a camera through the device API with its connection and snapshots, and stops polling it', async () => {
    const feature = t.app.ctx.shared.get('cameras') as CameraFeature;
    const shot = await t.http<{ id: string }>('POST', '/api/v1/cameras/cam-north-gate/snapshots', { token: t.adminToken });
    expect(shot.status, JSON.stringify(shot.body)).toBe(201);
    await feature.applySettings({ reconcileIntervalMs: 200 });
    await waitFor(async () => feature.health.health('cam-north-gate'));

    const del = await t.http('DELETE', '/api/v1/devices/cam-north-gate', { token: t.adminToken });
    expect(del.status).toBe(204);
    expect(await count(`SELECT count(*)::int AS n FROM camera_connections WHERE device_id = 'cam-north-gate'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM camera_snapshots WHERE device_id = 'cam-north-gate'`)).toBe(0);
    expect((await t.http('GET', '/api/v1/cameras/cam-north-gate', { token: t.adminToken })).status).toBe(404);
    await waitFor(async () => feature.health.health('cam-north-gate') === undefined, 10_000);
  });
});
