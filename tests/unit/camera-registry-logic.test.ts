import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import type { CameraDriver } from '../../services/cameras/camera-driver.ts';
import { DEFAULT_CAMERA_SETTINGS } from '../../services/cameras/camera-settings.ts';
import type { CameraSettings } from '../../services/cameras/camera-settings.ts';
import { CameraSnapshotService } from '../../services/cameras/camera-snapshot.service.ts';
import type { CameraRepository, NewSnapshot, SnapshotRow } from '../../services/cameras/camera.repository.ts';
import { normaliseAddress } from '../../services/cameras/camera.service.ts';

describe('ONVIF address normalisation', () => {
  it('keeps a full XAddr, adds the standard service path to a bare host, and refuses what is not a camera address', () => {
    expect(normaliseAddress('http://10.20.0.31/onvif/device_service')).toBe('http://10.20.0.31/onvif/device_service');
    expect(normaliseAddress('http://10.20.0.31:8000')).toBe('http://10.20.0.31:8000/onvif/device_service');
    expect(normaliseAddress('https://cam.example.vn/onvif/device_service#x')).toBe('https://cam.example.vn/onvif/device_service');
    for (const bad of ['10.20.0.31', 'rtsp://10.20.0.31/stream', 'http://admin:pw@10.20.0.31/onvif/device_service']) {
      expect(() => normaliseAddress(bad), bad).toThrow(expect.objectContaining({ code: 'CAMERA_BAD_ADDRESS', statusCode: 400 }));
    }
  });
});

describe('scheduled snapshots from the snapshot probe', () => {
  let root: string;
  let jpeg: Buffer;
  const rows: SnapshotRow[] = [];
  const settings: CameraSettings = { ...DEFAULT_CAMERA_SETTINGS, snapshotProbeIntervalMs: 300_000, scheduledSnapshotIntervalMs: 900_000, snapshotKeepLast: 2 };

  // An in-memory stand-in for the snapshot table (unit test: the SQL is covered by the integration tests).
  const repo = {
    insertSnapshot: vi.fn(async (s: NewSnapshot) => {
      const row = { ...s, id: `id-${rows.length}`, takenAt: s.takenAt.toISOString() } as SnapshotRow;
      rows.push(row);
      return row;
    }),
    deleteSnapshotsExcept: vi.fn(async (_id: string, kept: string[]) => {
      const before = rows.length;
      for (let i = rows.length - 1; i >= 0; i--) if (!kept.includes(rows[i]!.full.path)) rows.splice(i, 1);
      return before - rows.length;
    }),
  } as unknown as CameraRepository;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sw-snap-'));
    jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps one probe image per scheduled interval (with half a probe interval of tolerance) and applies retention', async () => {
    const svc = new CameraSnapshotService({
      driver: {} as CameraDriver,
      repo,
      rootDir: root,
      connectionOf: async () => ({ address: 'http://x', username: 'u', password: 'p' }),
      settings: () => settings,
      log: silentLogger(),
    });
    const t0 = Date.now() - 3600_000; // recent: the store also drops snapshots older than snapshotMaxAgeDays
    const probeAt = (min: number) => svc.fromProbe('cam-1', { bytes: jpeg, contentType: 'image/jpeg', fetchedAt: new Date(t0 + min * 60_000) });
    const kept: boolean[] = [];
    // Probes every 5 minutes, one arriving 40 s early (scheduling jitter): 0, 5, 10, 14:20, 20, 25, 30.
    for (const min of [0, 5, 10, 14 + 1 / 3, 20, 25, 30]) kept.push((await probeAt(min)).stored !== null);
    expect(kept).toEqual([true, false, false, true, false, false, true]);
    expect(rows.map((r) => r.trigger)).toEqual(['schedule', 'schedule']);
    expect(rows.map((r) => r.takenAt)).toEqual([new Date(t0 + (14 + 1 / 3) * 60_000).toISOString(), new Date(t0 + 30 * 60_000).toISOString()]);
    expect(readdirSync(path.join(root, 'cam-1')).filter((n) => n.endsWith('.full.jpg'))).toHaveLength(2);
  });

  it('rejects a probe image that does not decode', async () => {
    const svc = new CameraSnapshotService({
      driver: {} as CameraDriver,
      repo,
      rootDir: root,
      connectionOf: async () => ({ address: 'http://x', username: 'u', password: 'p' }),
      settings: () => settings,
      log: silentLogger(),
    });
    const truncated = jpeg.subarray(0, jpeg.length / 2);
    await expect(svc.fromProbe('cam-2', { bytes: truncated, contentType: 'image/jpeg', fetchedAt: new Date() })).rejects.toMatchObject({
      code: 'CAMERA_BAD_RESPONSE',
    });
  });
});
