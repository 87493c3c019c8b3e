/**
 * The ONVIF driver against the simulated cameras over real HTTP on 127.0.0.1.
 */
import http from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConnection } from '../../services/cameras/camera-driver.ts';
import { OnvifCameraDriver } from '../../services/cameras/onvif-camera.driver.ts';
import { processSnapshot } from '../../services/cameras/snapshot-processor.ts';
import { startCameraFleet } from '../../simulators/onvif/index.ts';
import type { CameraFleet, SimulatedCamera } from '../../simulators/onvif/index.ts';

const USER = 'admin';
const PASSWORD = 'Ph@ssw0rd=1';

let fleet: CameraFleet;
const driver = new OnvifCameraDriver({ timeoutMs: 3000, snapshotTimeoutMs: 5000 });
const connOf = (cam: SimulatedCamera, password = PASSWORD): CameraConnection => ({ address: cam.xaddr, username: USER, password });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the simulated head has stopped moving (AbsoluteMove/GotoPreset travel at full speed, ≤ 2 s). */
async function settled(cam: SimulatedCamera): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const a = cam.state;
    await sleep(100);
    const b = cam.state;
    if (a.pan === b.pan && a.tilt === b.tilt && a.zoom === b.zoom) return;
  }
}

beforeAll(async () => {
  fleet = await startCameraFleet({ count: 6, username: USER, password: PASSWORD, discoveryPort: null });
});
afterAll(async () => {
  await fleet.close();
});

describe('ONVIF driver against the simulator', () => {
  it('reads device information and media profiles', async () => {
    const cam = fleet.camera('cam-01');
    const info = await driver.getDeviceInfo(connOf(cam));
    expect(info).toMatchObject({ manufacturer: 'SmartWard Sim', model: 'SW-PTZ-2230', hardwareId: '88' });
    expect(info.serialNumber).toMatch(/^SIM[0-9A-F]{10}$/);
    const profiles = await driver.getProfiles(connOf(cam));
    expect(profiles).toEqual([
      { token: 'profile_main', name: 'mainStream', encoding: 'H264', width: 1920, height: 1080, frameRate: 25, hasPtz: true },
      { token: 'profile_sub', name: 'subStream', encoding: 'H264', width: 640, height: 360, frameRate: 15, hasPtz: true },
    ]);
    expect(await driver.getStreamUri(connOf(cam))).toBe('rtsp://127.0.0.1:554/Streaming/profile_main');
  });

  it('fetches the snapshot through HTTP Digest (Base64 nonce with "=") and resizes it', async () => {
    const cam = fleet.camera('cam-02');
    // The simulator's challenge really carries '=' in the nonce, the case that broke node-onvif.
    const challenge = await new Promise<string>((resolve, reject) => {
      http
        .get(cam.snapshotUrl, (res) => {
          res.resume();
          resolve(String(res.headers['www-authenticate']));
        })
        .on('error', reject);
    });
    expect(challenge).toMatch(/nonce="[^"]*="/);
    const snap = await driver.getSnapshot(connOf(cam));
    expect(snap.contentType).toBe('image/jpeg');
    const meta = await sharp(snap.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
    const processed = await processSnapshot(snap.bytes);
    const thumb = await sharp(processed.thumbnail.buffer).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['webp', 320, 180]);
    expect(cam.stats.snapshots).toBeGreaterThanOrEqual(1);
    expect(cam.basicAuthAttempts).toBe(0);
  });

  it('fetches snapshots concurrently from several cameras without mixing up their Digest state', async () => {
    const cams = ['cam-03', 'cam-04', 'cam-05'].map((id) => fleet.camera(id));
    const shots = await Promise.all(cams.flatMap((c) => [1, 2, 3].map(() => driver.getSnapshot(connOf(c)))));
    expect(shots).toHaveLength(9);
    for (const s of shots) expect((await sharp(s.bytes).metadata()).width).toBe(640);
    for (const c of cams) {
      expect(c.stats.snapshots).toBe(3);
      expect(c.basicAuthAttempts).toBe(0);
    }
  });

  it('moves the head with ContinuousMove, which stops by itself at its timeout', async () => {
    const cam = fleet.camera('cam-06');
    await driver.ptzContinuousMove(connOf(cam), { pan: 0.5, tilt: -0.5 }, 400);
    await sleep(900);
    // 0.5 × 1 unit/s × 0.4 s = 0.2 on each axis; then the timeout stops it.
    expect(cam.state.pan).toBeCloseTo(0.2, 2);
    expect(cam.state.tilt).toBeCloseTo(-0.2, 2);
    const status = await driver.getPtzStatus(connOf(cam));
    expect(status.moving).toEqual({ panTilt: false, zoom: false });
    expect(status.pan).toBeCloseTo(0.2, 2);
  });

  it('stops a ContinuousMove early with Stop', async () => {
    const cam = fleet.camera('cam-06');
    const before = cam.state.zoom;
    await driver.ptzContinuousMove(connOf(cam), { zoom: 1 }, 10_000);
    await sleep(150);
    await driver.ptzStop(connOf(cam));
    const stoppedAt = cam.state.zoom;
    await sleep(300);
    expect(stoppedAt).toBeGreaterThan(before);
    expect(cam.state.zoom).toBe(stoppedAt);
  });

  it('moves to an absolute position and to a preset', async () => {
    const cam = fleet.camera('cam-06');
    await driver.ptzAbsoluteMove(connOf(cam), { pan: -0.4, tilt: 0.3, zoom: 0.6 });
    await settled(cam);
    expect(cam.state).toEqual({ pan: -0.4, tilt: 0.3, zoom: 0.6 });
    const presets = await driver.getPresets(connOf(cam));
    expect(presets.map((p) => [p.token, p.name])).toEqual([
      ['1', 'Home'],
      ['2', 'Market gate'],
      ['3', 'Crossroad'],
    ]);
    await driver.gotoPreset(connOf(cam), '2');
    await settled(cam);
    expect(cam.state).toEqual({ pan: 0.5, tilt: -0.25, zoom: 0.4 });
    const token = await driver.setPreset(connOf(cam), 'Ward office');
    expect((await driver.getPresets(connOf(cam))).find((p) => p.token === token)).toMatchObject({ name: 'Ward office', position: { pan: 0.5 } });
  });

  it('refuses out-of-range PTZ values before contacting the camera, and reports camera refusals as CAMERA_REJECTED', async () => {
    const cam = fleet.camera('cam-06');
    const before = cam.stats.requests;
    await expect(driver.ptzAbsoluteMove(connOf(cam), { zoom: 1.5 })).rejects.toMatchObject({ code: 'CAMERA_PTZ_OUT_OF_RANGE', statusCode: 400 });
    expect(cam.stats.requests).toBe(before);
    await expect(driver.gotoPreset(connOf(cam), 'no-such')).rejects.toMatchObject({ code: 'CAMERA_REJECTED', statusCode: 400 });
  });
});

describe('ONVIF driver failure mapping', () => {
  it('maps a wrong password to CAMERA_AUTH_FAILED for SOAP and for the snapshot', async () => {
    const cam = fleet.camera('cam-01');
    await cam.setFault({ kind: 'wrong-password' });
    try {
      const err = await driver.getDeviceInfo(connOf(cam)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CAMERA_AUTH_FAILED', statusCode: 502 });
      expect((err as Error).message).toMatch(/username or password/);
      await expect(driver.getSnapshot(connOf(cam))).rejects.toMatchObject({ code: 'CAMERA_AUTH_FAILED' });
      expect(cam.basicAuthAttempts).toBe(0);
    } finally {
      await cam.clearFault();
    }
    await expect(driver.getDeviceInfo(connOf(cam))).resolves.toMatchObject({ model: 'SW-PTZ-2230' });
  });

  it('maps a closed port and a powered-off camera to CAMERA_UNREACHABLE', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const nowhere = { address: `http://127.0.0.1:${port}/onvif/device_service`, username: USER, password: PASSWORD };
    await expect(driver.probe(nowhere)).rejects.toMatchObject({ code: 'CAMERA_UNREACHABLE', statusCode: 503 });

    const cam = fleet.camera('cam-02');
    await cam.setFault({ kind: 'offline' });
    try {
      await expect(driver.getDeviceInfo(connOf(cam))).rejects.toMatchObject({ code: 'CAMERA_UNREACHABLE' });
    } finally {
      await cam.clearFault();
    }
    await expect(driver.probe(connOf(cam))).resolves.toMatchObject({ roundTripMs: expect.any(Number) as unknown });
  });

  it('maps garbage to CAMERA_BAD_RESPONSE (SOAP body, snapshot bytes, snapshot HTTP 500)', async () => {
    const cam = fleet.camera('cam-03');
    await cam.setFault({ kind: 'garbage-soap' });
    await expect(driver.probe(connOf(cam))).rejects.toMatchObject({ code: 'CAMERA_BAD_RESPONSE' });
    await cam.clearFault();
    await cam.setFault({ kind: 'broken-snapshot', mode: 'garbage' });
    await expect(driver.getSnapshot(connOf(cam))).rejects.toMatchObject({ code: 'CAMERA_BAD_RESPONSE' });
    await cam.setFault({ kind: 'broken-snapshot', mode: 'http-500' });
    await expect(driver.getSnapshot(connOf(cam))).rejects.toMatchObject({ code: 'CAMERA_BAD_RESPONSE', details: { httpStatus: 500 } });
    await cam.clearFault();
  });

  it('maps a hanging camera to CAMERA_TIMEOUT at the per-call timeout', async () => {
    const cam = fleet.camera('cam-04');
    await cam.setFault({ kind: 'hang' });
    const started = Date.now();
    try {
      await expect(driver.getDeviceInfo(connOf(cam), { timeoutMs: 400 })).rejects.toMatchObject({ code: 'CAMERA_TIMEOUT', statusCode: 504 });
    } finally {
      await cam.clearFault();
    }
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(2500);
  });

  it('waits for a slow camera within the timeout and gives up on it past the timeout', async () => {
    const cam = fleet.camera('cam-04');
    await cam.setFault({ kind: 'slow', delayMs: 300 });
    try {
      await expect(driver.getPtzStatus(connOf(cam), { timeoutMs: 3000 })).resolves.toMatchObject({ moving: { panTilt: false } });
      await expect(driver.getPtzStatus(connOf(cam), { timeoutMs: 100 })).rejects.toMatchObject({ code: 'CAMERA_TIMEOUT' });
    } finally {
      await cam.clearFault();
    }
  });

  it('works with a camera whose clock is an hour off, and follows a later clock jump', async () => {
    const cam = fleet.camera('cam-05');
    const conn = connOf(cam);
    driver.forget(conn);
    await cam.setFault({ kind: 'clock-skew', offsetMs: 3_600_000 });
    try {
      const probe = await driver.probe(conn);
      expect(Math.abs(probe.clockOffsetMs - 3_600_000)).toBeLessThan(1_500);
      await expect(driver.getDeviceInfo(conn)).resolves.toMatchObject({ model: 'SW-PTZ-2230' });
      // NTP fixes the camera clock by −80 min while we still hold the old offset: one NotAuthorized, re-sync, retry.
      await cam.setFault({ kind: 'clock-skew', offsetMs: -20 * 60_000 });
      const failuresBefore = cam.stats.authFailures;
      await expect(driver.getPresets(conn)).resolves.toHaveLength(3);
      expect(cam.stats.authFailures).toBe(failuresBefore + 1);
    } finally {
      await cam.clearFault();
    }
  });
});
