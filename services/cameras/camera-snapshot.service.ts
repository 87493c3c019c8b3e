/**
 * Snapshots: on demand (an operator asks), on a schedule (a snapshot-probe image is kept when the last kept one is old
 * enough), processed with sharp into a WebP thumbnail and a bounded full image, stored by SnapshotStore and indexed in
 * camera_snapshots. The files are the truth for retention: after every save (and hourly) rows whose files the store
 * pruned are deleted. Saves of one camera are serialised so that sync never races a concurrent save.
 */
import type { ModuleEvents } from '../modules/events.ts';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError, notFound } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { CameraConnection, CameraDriver, Snapshot } from './camera-driver.ts';
import type { CameraSettings } from './camera-settings.ts';
import type { CameraRepository, SnapshotRow } from './camera.repository.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { processSnapshot } from './snapshot-processor.ts';
import type { ProcessedSnapshot } from './snapshot-processor.ts';
import { cameraDirName, SnapshotStore } from './snapshot-store.ts';

export type SnapshotSize = 'thumb' | 'full';

export interface SnapshotImage {
  snapshot: SnapshotRow;
  contentType: string;
  body: Buffer;
}

interface SnapshotDeps {
  driver: CameraDriver;
  repo: CameraRepository;
  rootDir: string;
  connectionOf: (id: string) => Promise<CameraConnection>;
  settings: () => CameraSettings;
  log: Logger;
  /** Shared bus: `camera.snapshot` is emitted for every stored snapshot (live dashboards refresh their image). */
  events?: ModuleEvents;
}

const CONTENT_TYPE = { jpeg: 'image/jpeg', webp: 'image/webp' } as const;

export class CameraSnapshotService {
  private readonly mutex = new KeyedMutex();
  private readonly lastScheduled = new Map<string, number>();

  constructor(private readonly d: SnapshotDeps) {}

  /** Fetches, processes and stores a snapshot now. */
  async takeNow(cameraId: string, requestedBy: string | null): Promise<SnapshotRow> {
    const cam = await this.d.connectionOf(cameraId);
    const shot = await this.d.driver.getSnapshot(cam, { timeoutMs: this.d.settings().snapshotTimeoutMs });
    const processed = await this.process(cameraId, shot);
    return this.persist(cameraId, processed, shot.fetchedAt, 'on-demand', requestedBy);
  }

  /**
   * A snapshot-probe image: decoded (the real validity check) and kept as a scheduled snapshot when one is due.
   * Returns the processed image size, or throws CAMERA_BAD_RESPONSE when it does not decode.
   */
  async fromProbe(cameraId: string, shot: Snapshot): Promise<{ bytes: number; stored: SnapshotRow | null }> {
    const processed = await this.process(cameraId, shot);
    const s = this.d.settings();
    const last = this.lastScheduled.get(cameraId);
    const at = shot.fetchedAt.getTime();
    // Half a probe interval of tolerance, so jitter does not push every other scheduled image a whole interval late.
    const due = last === undefined || at - last >= s.scheduledSnapshotIntervalMs - s.snapshotProbeIntervalMs / 2;
    if (!due) return { bytes: shot.bytes.length, stored: null };
    const stored = await this.persist(cameraId, processed, shot.fetchedAt, 'schedule', null);
    this.lastScheduled.set(cameraId, at);
    return { bytes: shot.bytes.length, stored };
  }

  async list(cameraId: string, limit: number, offset: number): Promise<{ items: SnapshotRow[]; total: number }> {
    await this.d.connectionOf(cameraId); // 404 for an unknown camera rather than an empty list
    return this.d.repo.listSnapshots(cameraId, limit, offset);
  }

  /** The image of one snapshot, or of the newest one when snapshotId is undefined. */
  async image(cameraId: string, snapshotId: string | undefined, size: SnapshotSize): Promise<SnapshotImage> {
    await this.d.connectionOf(cameraId);
    const row = snapshotId === undefined ? await this.d.repo.latestSnapshot(cameraId) : await this.d.repo.snapshot(cameraId, snapshotId);
    if (!row) {
      if (snapshotId === undefined) throw new AppError('NO_SNAPSHOT', 404, `Camera '${cameraId}' has no stored snapshot yet`);
      throw notFound('Snapshot', snapshotId);
    }
    const rel = size === 'thumb' ? row.thumb.path : row.full.path;
    const file = this.resolve(rel);
    try {
      const body = await readFile(file);
      return { snapshot: row, contentType: size === 'thumb' ? CONTENT_TYPE.webp : CONTENT_TYPE[row.full.format], body };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new AppError('SNAPSHOT_GONE', 410, `Snapshot '${row.id}' was removed by retention`);
    }
  }

  /** Time-based retention for cameras that have not produced a snapshot lately (save() prunes the others). */
  async applyRetention(cameraIds: string[]): Promise<void> {
    for (const id of cameraIds) await this.mutex.run(id, () => this.syncRows(id, this.store()));
  }

  /** Deletes a removed camera's files (its rows went with the device). */
  async removeCamera(cameraId: string): Promise<void> {
    this.lastScheduled.delete(cameraId);
    await this.mutex.run(cameraId, () => rm(path.join(this.d.rootDir, cameraDirName(cameraId)), { recursive: true, force: true }));
  }

  /** At start: folders of cameras that were deleted while the service was down. */
  async removeOrphans(registered: string[]): Promise<void> {
    const keep = new Set(registered.map(cameraDirName));
    const dirs = await readdir(this.d.rootDir, { withFileTypes: true }).catch(() => []);
    for (const dir of dirs) {
      if (dir.isDirectory() && !keep.has(dir.name)) await rm(path.join(this.d.rootDir, dir.name), { recursive: true, force: true });
    }
  }

  private store(): SnapshotStore {
    const s = this.d.settings();
    return new SnapshotStore({ rootDir: this.d.rootDir, keepLast: s.snapshotKeepLast, maxAgeDays: s.snapshotMaxAgeDays });
  }

  private process(cameraId: string, shot: Snapshot): Promise<ProcessedSnapshot> {
    const s = this.d.settings();
    return processSnapshot(shot.bytes, { thumbnailWidth: s.thumbnailWidth, maxFullSize: s.fullMaxSize, fullFormat: 'jpeg', cameraLabel: cameraId });
  }

  private persist(cameraId: string, p: ProcessedSnapshot, takenAt: Date, trigger: SnapshotRow['trigger'], requestedBy: string | null): Promise<SnapshotRow> {
    return this.mutex.run(cameraId, async () => {
      const store = this.store();
      const saved = await store.save(cameraId, p, takenAt);
      let row: SnapshotRow;
      try {
        row = await this.d.repo.insertSnapshot({
          deviceId: cameraId,
          takenAt,
          trigger,
          requestedBy,
          full: { path: this.relative(saved.fullPath), format: p.full.format, width: p.full.width, height: p.full.height, bytes: p.full.bytes },
          thumb: { path: this.relative(saved.thumbnailPath), width: p.thumbnail.width, height: p.thumbnail.height, bytes: p.thumbnail.bytes },
          source: { width: p.source.width, height: p.source.height, bytes: p.source.bytes },
        });
      } catch (err) {
        await Promise.all([rm(saved.fullPath, { force: true }), rm(saved.thumbnailPath, { force: true })]);
        throw err;
      }
      await this.syncRows(cameraId, store, false); // save() has just pruned
      this.d.events?.emit('camera.snapshot', { cameraId, snapshotId: row.id, takenAt: row.takenAt, trigger: row.trigger });
      return row;
    });
  }

  /** Prunes files by the retention settings, then drops the rows of files that are gone. */
  private async syncRows(cameraId: string, store: SnapshotStore, prune = true): Promise<void> {
    if (prune) await store.prune(cameraId);
    const kept = (await store.list(cameraId)).map((s) => this.relative(s.fullPath));
    const removed = await this.d.repo.deleteSnapshotsExcept(cameraId, kept);
    if (removed > 0) this.d.log.debug({ cameraId, removed }, 'snapshot retention');
  }

  private relative(file: string): string {
    return path.relative(this.d.rootDir, file).split(path.sep).join('/');
  }

  /** Rows hold paths relative to the root; refuse anything that would resolve outside it. */
  private resolve(rel: string): string {
    const root = path.resolve(this.d.rootDir);
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) throw new AppError('SNAPSHOT_BAD_PATH', 500, 'Stored snapshot path is outside the snapshot folder');
    return file;
  }
}
