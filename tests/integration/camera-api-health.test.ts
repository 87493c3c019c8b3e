/**
 * Camera health through the real service: the poller runs over the registered cameras and writes into the same
 * history as MQTT devices (status_events, device_state, telemetry, device_events). Intervals are short but the
 * assertions leave wide margins, so a loaded two-core machine still passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraFeature } from '../../services/cameras/camera-feature.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet } from '../../simulators/onvif/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const USER = 'admin';
const PASSWORD = 'health-pw';
const OFFLINE_AFTER_MS = 1500;

describe.each(modes.filter((m) => m.name !== 'timescale-container'))('camera health on $name', (mode) => {
  let t: TestApp;
  let fleet: CameraFleet;
  let drop: () => Promise<void>;
  const statusEvents: { deviceId: string; online: boolean; reason: string }[] = [];
  const probes: { cameraId: string; kind: string; ok: boolean }[] = [];

  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => (await t.app.db.query<T>(sql, params)).rows;
  const online = async (id: string) => (await q<{ online: boolean | null }>('SELECT online FROM device_state WHERE device_id = $1', [id]))[0]?.online ?? null;
  const fault = async (id: string, event: string) =>
    (await q<{ active: boolean }>('SELECT active FROM device_events WHERE device_id = $1 AND event = $2 ORDER BY time DESC LIMIT 1', [id, event]))[0]?.active ??
    null;

  beforeAll(async () => {
    fleet = await startCameraFleet({ count: 4, username: USER, password: PASSWORD, discoveryPort: null });
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    await (t.app.ctx.shared.get('cameras') as CameraFeature).applySettings({
      probeIntervalMs: 300,
      probeTimeoutMs: 500,
      offlineAfterFailures: 3,
      offlineAfterMs: OFFLINE_AFTER_MS,
      snapshotProbeIntervalMs: 900,
      snapshotTimeoutMs: 3000,
    });
    t.app.ctx.events.on('device.status', (s: { deviceId: string; online: boolean; reason: string }) => statusEvents.push(s));
    t.app.ctx.events.on('camera.probe', (p: { cameraId: string; kind: string; ok: boolean }) => probes.push(p));
    for (const sim of fleet.cameras) {
      const r = await t.http('POST', '/api/v1/cameras', {
        token: t.adminToken,
        body: { id: sim.id, name: sim.name, connection: { address: sim.xaddr, username: USER, password: PASSWORD } },
      });
      if (r.status !== 201) throw new Error(`register ${sim.id}: ${JSON.stringify(r.body)}`);
    }
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
    await fleet?.close();
  });

  it('marks registered cameras online with readings in the device history', async () => {
    for (const sim of fleet.cameras) await waitFor(async () => (await online(sim.id)) === true, 15_000);
    const first = await q<{ device_id: string; reason: string }>('SELECT device_id, reason FROM status_events WHERE online ORDER BY device_id');
    expect(first).toEqual(fleet.cameras.map((c) => ({ device_id: c.id, reason: 'probe-ok: first contact' })));
    await waitFor(async () => (await q(`SELECT 1 FROM telemetry WHERE device_id = 'cam-01' AND data ? 'snapshotOk'`)).length > 0, 15_000);
    const data = (await q<{ data: Record<string, number> }>(`SELECT data FROM telemetry WHERE device_id = 'cam-01' ORDER BY time`)).map((r) => r.data);
    expect(data.find((d) => 'rttMs' in d)).toMatchObject({ rttMs: expect.any(Number), clockOffsetMs: expect.any(Number) });
    expect(data.find((d) => 'snapshotOk' in d)).toMatchObject({ snapshotOk: 1, snapshotBytes: expect.any(Number) });
    const state = await t.http<{ state: Record<string, unknown>; online: boolean }>('GET', '/api/v1/devices/cam-01/state', { token: t.adminToken });
    expect(state.body.online).toBe(true);
    expect(state.body.state).toMatchObject({ snapshotOk: true });
    expect(
      statusEvents
        .filter((s) => s.online)
        .map((s) => s.deviceId)
        .sort(),
    ).toEqual(fleet.cameras.map((c) => c.id));
    expect(probes.some((p) => p.kind === 'snapshot' && p.ok)).toBe(true);
  });

  it('marks a dead camera offline within the configured time while the others keep being polled, then back online', async () => {
    const dead = fleet.camera('cam-02');
    await dead.setFault({ kind: 'offline' });
    const diedAt = Date.now();
    await waitFor(async () => (await online('cam-02')) === false, 15_000);
    const [row] = await q<{ time: Date; reason: string }>(`SELECT time, reason FROM status_events WHERE device_id = 'cam-02' AND NOT online`);
    expect(row?.reason).toBe('probe-failed: CAMERA_UNREACHABLE');
    // Three failed 300 ms probes or 1.5 s without success, whichever first; generous slack for a loaded machine.
    expect(new Date(row!.time).getTime() - diedAt).toBeLessThan(OFFLINE_AFTER_MS + 2500);
    expect(await fault('cam-02', 'unreachable')).toBe(true);
    expect(statusEvents).toContainEqual(expect.objectContaining({ deviceId: 'cam-02', online: false, reason: 'probe-failed: CAMERA_UNREACHABLE' }));

    await new Promise((r) => setTimeout(r, 1200));
    for (const id of ['cam-01', 'cam-03', 'cam-04']) {
      const after = await q<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND time > $2 AND data ? 'rttMs'`, [
        id,
        new Date(diedAt),
      ]);
      expect(after[0]!.n, id).toBeGreaterThanOrEqual(3);
      expect(await online(id), id).toBe(true);
    }
    const view = await t.http<{ health: { status: string; lastError: string } }>('GET', '/api/v1/cameras/cam-02', { token: t.adminToken });
    expect(view.body.health).toMatchObject({ status: 'offline', lastError: expect.stringMatching(/^CAMERA_UNREACHABLE/) });

    await dead.clearFault();
    await waitFor(async () => (await online('cam-02')) === true, 15_000);
    const back = await q<{ reason: string }>(`SELECT reason FROM status_events WHERE device_id = 'cam-02' ORDER BY time DESC LIMIT 1`);
    expect(back[0]?.reason).toBe('probe-ok: recovered');
    await waitFor(async () => (await fault('cam-02', 'unreachable')) === false, 10_000);
  });

  it('raises and clears authFailed and snapshotFailed faults from the snapshot probe', async () => {
    const cam3 = fleet.camera('cam-03');
    const cam4 = fleet.camera('cam-04');
    await cam3.setFault({ kind: 'wrong-password' });
    await cam4.setFault({ kind: 'broken-snapshot', mode: 'garbage' });
    try {
      await waitFor(async () => (await fault('cam-03', 'authFailed')) === true, 15_000);
      await waitFor(async () => (await fault('cam-04', 'snapshotFailed')) === true, 15_000);
      const ok = await q<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'cam-04' AND data->>'snapshotOk' = '0'`);
      expect(ok[0]!.n).toBeGreaterThanOrEqual(1);
      // GetSystemDateAndTime needs no password: a camera refusing our credentials is still online.
      expect(await online('cam-03')).toBe(true);
    } finally {
      await cam3.clearFault();
      await cam4.clearFault();
    }
    await waitFor(async () => (await fault('cam-03', 'authFailed')) === false, 15_000);
    await waitFor(async () => (await fault('cam-04', 'snapshotFailed')) === false, 15_000);
    const raised = await q<{ n: number }>(`SELECT count(*)::int AS n FROM device_events WHERE event IN ('authFailed', 'snapshotFailed') AND active`);
    expect(raised[0]!.n).toBe(2); // raised once each, not at every failed check
  });
});

describe('thirty cameras through the service, one hanging', () => {
  let t: TestApp;
  let fleet: CameraFleet;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    fleet = await startCameraFleet({ count: 30, username: USER, password: PASSWORD, discoveryPort: null });
    const embedded = modes.find((m) => m.name === 'embedded')!;
    const opened = await embedded.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    await (t.app.ctx.shared.get('cameras') as CameraFeature).applySettings({
      probeIntervalMs: 1000,
      probeTimeoutMs: 900,
      offlineAfterFailures: 2,
      offlineAfterMs: 60_000,
      snapshotProbeIntervalMs: 0,
    });
    for (const sim of fleet.cameras) {
      const r = await t.http('POST', '/api/v1/cameras', {
        token: t.adminToken,
        body: { id: sim.id, name: sim.name, connection: { address: sim.xaddr, username: USER, password: PASSWORD } },
      });
      if (r.status !== 201) throw new Error(`register ${sim.id}: ${JSON.stringify(r.body)}`);
    }
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
    await fleet?.close();
  });

  it('keeps polling the other twenty-nine on schedule and takes the hanging one offline', async () => {
    await fleet.camera('cam-07').setFault({ kind: 'hang' });
    const hungAt = Date.now();
    await new Promise((r) => setTimeout(r, 4500));
    const rows = (
      await t.app.db.query<{ device_id: string; time: Date }>(
        `SELECT device_id, time FROM telemetry WHERE data ? 'rttMs' AND time > $1 ORDER BY device_id, time`,
        [new Date(hungAt)],
      )
    ).rows;
    const byCamera = new Map<string, number[]>();
    for (const r of rows) byCamera.set(r.device_id, [...(byCamera.get(r.device_id) ?? []), new Date(r.time).getTime()]);
    expect(byCamera.has('cam-07')).toBe(false);
    for (const sim of fleet.cameras.filter((c) => c.id !== 'cam-07')) {
      const times = byCamera.get(sim.id) ?? [];
      expect(times.length, sim.id).toBeGreaterThanOrEqual(3);
      // On schedule: one probe per 1 s slot, never pushed back by the hanging camera's 900 ms timeouts.
      const gaps = times.slice(1).map((x, i) => x - times[i]!);
      expect(Math.max(...gaps), `${sim.id} gaps ${gaps.join(',')}`).toBeLessThan(1800);
    }
    const off = await t.app.db.query<{ device_id: string; reason: string }>('SELECT device_id, reason FROM status_events WHERE NOT online');
    expect(off.rows).toEqual([{ device_id: 'cam-07', reason: 'probe-failed: CAMERA_TIMEOUT' }]);
  });
});
