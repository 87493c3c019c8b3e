import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processSnapshot } from '../../services/cameras/snapshot-processor.ts';
import type { ProcessedSnapshot } from '../../services/cameras/snapshot-processor.ts';
import { SnapshotStore, cameraDirName } from '../../services/cameras/snapshot-store.ts';

const jpeg = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#336699' } })
    .jpeg()
    .toBuffer();

describe('snapshot processing', () => {
  it('makes a 320 px WebP thumbnail and keeps a 1080p frame at full size', async () => {
    const out = await processSnapshot(await jpeg(1920, 1080));
    expect(out.thumbnail).toMatchObject({ format: 'webp', width: 320, height: 180 });
    expect(out.full).toMatchObject({ format: 'jpeg', width: 1920, height: 1080 });
    const meta = await sharp(out.thumbnail.buffer).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 180]);
    expect(out.thumbnail.bytes).toBe(out.thumbnail.buffer.length);
  });

  it('bounds a 4K frame to 1920 px on its longest side', async () => {
    const out = await processSnapshot(await jpeg(3840, 2160), { fullFormat: 'webp' });
    expect(out.full).toMatchObject({ format: 'webp', width: 1920, height: 1080 });
    expect(out.source).toMatchObject({ width: 3840, height: 2160, format: 'jpeg' });
  });

  it('rejects garbage bytes with CAMERA_BAD_RESPONSE', async () => {
    await expect(processSnapshot(Buffer.from('<html>login</html>'), { cameraLabel: 'cam-07' })).rejects.toMatchObject({
      code: 'CAMERA_BAD_RESPONSE',
      message: expect.stringContaining('cam-07') as unknown,
    });
  });

  it('rejects a JPEG cut off in transit', async () => {
    const whole = await jpeg(640, 360);
    await expect(processSnapshot(whole.subarray(0, Math.floor(whole.length / 2)))).rejects.toMatchObject({ code: 'CAMERA_BAD_RESPONSE' });
  });
});

describe('snapshot store retention', () => {
  let root: string;
  let processed: ProcessedSnapshot;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'camera-store-'));
    processed = await processSnapshot(await jpeg(640, 360));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps only the newest N snapshots per camera', async () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const store = new SnapshotStore({ rootDir: root, keepLast: 3, maxAgeDays: 30, now: () => now });
    for (let i = 0; i < 5; i++) await store.save('cam-01', processed, new Date(now - (5 - i) * 60_000));
    await store.save('cam-02', processed, new Date(now));
    const kept = await store.list('cam-01');
    expect(kept.map((s) => s.takenAt.toISOString())).toEqual(['2026-06-01T11:59:00.000Z', '2026-06-01T11:58:00.000Z', '2026-06-01T11:57:00.000Z']);
    expect(await readdir(join(root, 'cam-01'))).toHaveLength(6); // 3 × (full + thumb), nothing half-written
    expect(await store.list('cam-02')).toHaveLength(1);
    const meta = await sharp(kept[0]!.thumbnailPath).metadata();
    expect(meta.width).toBe(320);
  });

  it('deletes snapshots older than the age limit across all cameras', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const store = new SnapshotStore({ rootDir: root, keepLast: 100, maxAgeDays: 2, now: () => now });
    await store.save('cam-01', processed, new Date(now - 3 * 86_400_000));
    await store.save('cam-01', processed, new Date(now - 1 * 86_400_000));
    await store.save('cam-02', processed, new Date(now - 1.5 * 86_400_000));
    expect(await store.list('cam-01')).toHaveLength(1); // the 3-day-old one went on save
    now += 1.25 * 86_400_000; // later, both remaining ones are past 2 days
    expect(await store.prune()).toBe(2);
    expect(await store.list('cam-01')).toEqual([]);
    expect(await store.list('cam-02')).toEqual([]);
  });

  it('ignores stray files and keeps camera ids from escaping the root folder', async () => {
    expect(cameraDirName('../../etc')).toMatch(/^x-/);
    expect(cameraDirName('cam-01')).toBe('cam-01');
    const store = new SnapshotStore({ rootDir: root });
    const saved = await store.save('../../etc', processed);
    expect(saved.fullPath.startsWith(join(root, 'x-'))).toBe(true);
    await writeFile(join(root, cameraDirName('../../etc'), 'notes.txt'), 'hi');
    expect(await store.list('../../etc')).toHaveLength(1);
  });
});
