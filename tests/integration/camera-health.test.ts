/**
 * The health poller with the real driver against simulated cameras over loopback HTTP. Timing margins are wide on
 * purpose: this must pass on a loaded two-core CI machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CameraHealthPoller } from '../../services/cameras/health-poller.ts';
import type { CameraCheckReport, CameraStatusChange } from '../../services/cameras/health-poller.ts';
import { OnvifCameraDriver } from '../../services/cameras/onvif-camera.driver.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet } from '../../simulators/onvif/index.ts';

const USER = 'admin';
const PASSWORD = 'pw-health';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fleet: CameraFleet | undefined;
let poller: CameraHealthPoller | undefined;

afterEach(async () => {
  await poller?.stop();
  await fleet?.close();
  poller = undefined;
  fleet = undefined;
});

function startPoller(f: CameraFleet, opts: Partial<ConstructorParameters<typeof CameraHealthPoller>[0]>) {
  const reports: CameraCheckReport[] = [];
  const statuses: CameraStatusChange[] = [];
  const p = new CameraHealthPoller({
    driver: new OnvifCameraDriver(),
    cameras: f.cameras.map((c) => ({ id: c.id, connection: { address: c.xaddr, username: USER, password: PASSWORD } })),
    onProbe: (r) => reports.push(r),
    onStatus: (s) => statuses.push(s),
    ...opts,
  });
  p.start();
  return { p, reports, statuses };
}

describe('camera health polling', () => {
  it('polls thirty cameras concurrently and a hanging one does not delay the others', async () => {
    fleet = await startCameraFleet({ count: 30, username: USER, password: PASSWORD, discoveryPort: null });
    await fleet.camera('cam-07').setFault({ kind: 'hang' });
    const interval = 1000;
    const timeout = 900;
    const { p, reports, statuses } = startPoller(fleet, {
      probeIntervalMs: interval,
      probeTimeoutMs: timeout,
      snapshotIntervalMs: 0,
      offlineAfterFailures: 2,
    });
    poller = p;
    const t0 = Date.now();
    await sleep(3 * interval + 600); // rounds at ~0, 1, 2, 3 s
    await p.stop();

    for (const cam of fleet.cameras.filter((c) => c.id !== 'cam-07')) {
      const mine = reports.filter((r) => r.cameraId === cam.id);
      expect(mine.length, cam.id).toBeGreaterThanOrEqual(4);
      mine.forEach((r, k) => {
        expect(r.ok, `${cam.id} round ${k}: ${r.message ?? ''}`).toBe(true);
        // On time: each round starts on its fixed slot (not pushed back by the hanging camera's 900 ms timeout)…
        expect(r.startedAt.getTime() - (t0 + k * interval), `${cam.id} round ${k} start`).toBeLessThan(450);
        // …and finishes well inside the timeout.
        expect(r.durationMs, `${cam.id} round ${k} duration`).toBeLessThan(timeout);
      });
    }
    const hung = reports.filter((r) => r.cameraId === 'cam-07');
    expect(hung.length).toBeGreaterThanOrEqual(3);
    expect(hung.every((r) => !r.ok && r.errorCode === 'CAMERA_TIMEOUT')).toBe(true);
    expect(statuses.filter((s) => !s.online).map((s) => s.cameraId)).toEqual(['cam-07']);
    expect(statuses.filter((s) => s.online)).toHaveLength(29);
  });

  it('marks a dead camera offline within the configured time while healthy ones keep being polled, and back online', async () => {
    fleet = await startCameraFleet({ count: 5, username: USER, password: PASSWORD, discoveryPort: null });
    const { p, reports, statuses } = startPoller(fleet, {
      probeIntervalMs: 300,
      probeTimeoutMs: 500,
      snapshotIntervalMs: 900,
      snapshotTimeoutMs: 2000,
      offlineAfterFailures: 3,
      offlineAfterMs: 1500,
    });
    poller = p;
    await sleep(700);
    expect(statuses.filter((s) => s.online)).toHaveLength(5);

    const dead = fleet.camera('cam-03');
    await dead.setFault({ kind: 'offline' });
    const diedAt = Date.now();
    while (!statuses.some((s) => s.cameraId === 'cam-03' && !s.online) && Date.now() - diedAt < 5000) await sleep(50);
    const offline = statuses.find((s) => s.cameraId === 'cam-03' && !s.online);
    expect(offline?.errorCode).toBe('CAMERA_UNREACHABLE');
    // Three 300 ms probe failures, or 1.5 s without success, whichever first; the slack covers a loaded CI machine
    // while staying far below "never" (the poller would otherwise keep it online for the whole test).
    expect(offline!.at.getTime() - diedAt).toBeLessThan(1500 + 2500);

    const healthy = fleet.cameras.filter((c) => c !== dead);
    const probesSince = (id: string): number => reports.filter((r) => r.cameraId === id && r.kind === 'probe' && r.startedAt.getTime() > diedAt).length;
    for (let waited = 0; waited < 5000 && healthy.some((c) => probesSince(c.id) < 3); waited += 100) await sleep(100);
    for (const cam of healthy) {
      const after = reports.filter((r) => r.cameraId === cam.id && r.kind === 'probe' && r.startedAt.getTime() > diedAt);
      expect(after.length, cam.id).toBeGreaterThanOrEqual(3);
      expect(after.every((r) => r.ok)).toBe(true);
      expect(p.health(cam.id)?.status).toBe('online');
    }
    const snaps = reports.filter((r) => r.kind === 'snapshot' && r.ok);
    expect(snaps.length).toBeGreaterThanOrEqual(4);
    expect(snaps[0]?.snapshot?.bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    await dead.clearFault();
    const backAt = Date.now();
    while (!statuses.some((s) => s.cameraId === 'cam-03' && s.online && s.reason === 'recovered') && Date.now() - backAt < 5000) await sleep(50);
    expect(p.health('cam-03')?.status).toBe('online');
  });

  it('marks a camera that accepts connections but never answers offline through timeouts', async () => {
    fleet = await startCameraFleet({ count: 2, username: USER, password: PASSWORD, discoveryPort: null });
    const { p, statuses } = startPoller(fleet, { probeIntervalMs: 300, probeTimeoutMs: 250, snapshotIntervalMs: 0, offlineAfterFailures: 2 });
    poller = p;
    await sleep(400);
    await fleet.camera('cam-02').setFault({ kind: 'hang' });
    const hungAt = Date.now();
    while (!statuses.some((s) => s.cameraId === 'cam-02' && !s.online) && Date.now() - hungAt < 5000) await sleep(50);
    const offline = statuses.find((s) => s.cameraId === 'cam-02' && !s.online);
    expect(offline?.errorCode).toBe('CAMERA_TIMEOUT');
    expect(offline!.at.getTime() - hungAt).toBeLessThan(2 * 300 + 250 + 700);
    expect(p.health('cam-01')?.status).toBe('online');
  });
});
