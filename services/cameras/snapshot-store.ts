/**
 * File-system storage for processed snapshots with retention: keep the newest keepLast per camera and nothing older
 * than maxAgeDays. Layout: <rootDir>/<camera>/<UTC stamp>-<rand>.full.<ext> and ….thumb.webp; the stamp sorts
 * lexically in time order, so listing needs no index. Writes go to a temp name and are renamed, so a reader (or a
 * crash) never sees half a file.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProcessedSnapshot } from './snapshot-processor.ts';

export interface SnapshotStoreOptions {
  rootDir: string;
  /** Default 288: one day at one snapshot per five minutes. */
  keepLast?: number;
  maxAgeDays?: number;
  now?: () => number;
}

export interface StoredSnapshot {
  cameraId: string;
  takenAt: Date;
  fullPath: string;
  thumbnailPath: string;
}

const FILE_RE = /^(\d{8}T\d{6}\d{3}Z)-([0-9a-f]{6})\.(full|thumb)\.(jpg|webp)$/;

function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

function dateOfStamp(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(s);
  if (!m) return new Date(NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
}

/** Camera ids become folder names; anything that could escape the root or confuse a file system is encoded. */
export function cameraDirName(cameraId: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/.test(cameraId) && !cameraId.includes('..')) return cameraId;
  return `x-${Buffer.from(cameraId, 'utf8').toString('base64url').slice(0, 120)}`;
}

async function writeAtomic(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

export class SnapshotStore {
  private readonly keepLast: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: SnapshotStoreOptions) {
    this.keepLast = Math.max(1, opts.keepLast ?? 288);
    this.maxAgeMs = (opts.maxAgeDays ?? 7) * 86_400_000;
    this.now = opts.now ?? Date.now;
  }

  async save(cameraId: string, snap: ProcessedSnapshot, takenAt: Date = new Date(this.now())): Promise<StoredSnapshot> {
    const dir = join(this.opts.rootDir, cameraDirName(cameraId));
    await mkdir(dir, { recursive: true });
    const base = `${stampOf(takenAt)}-${randomBytes(3).toString('hex')}`;
    const fullPath = join(dir, `${base}.full.${snap.full.format === 'jpeg' ? 'jpg' : 'webp'}`);
    const thumbnailPath = join(dir, `${base}.thumb.webp`);
    // Thumbnail last: list() only returns pairs, so a snapshot appears once both files exist.
    await writeAtomic(fullPath, snap.full.buffer);
    await writeAtomic(thumbnailPath, snap.thumbnail.buffer);
    await this.prune(cameraId);
    return { cameraId, takenAt, fullPath, thumbnailPath };
  }

  /** Complete snapshots of a camera, newest first. */
  async list(cameraId: string): Promise<StoredSnapshot[]> {
    const dir = join(this.opts.rootDir, cameraDirName(cameraId));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const groups = new Map<string, { full?: string; thumb?: string; stamp: string }>();
    for (const name of names) {
      const m = FILE_RE.exec(name);
      if (!m) continue;
      const key = `${m[1]}-${m[2]}`;
      const g = groups.get(key) ?? { stamp: m[1] ?? '' };
      if (m[3] === 'full') g.full = join(dir, name);
      else g.thumb = join(dir, name);
      groups.set(key, g);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .filter(([, g]) => g.full !== undefined && g.thumb !== undefined)
      .map(([, g]) => ({ cameraId, takenAt: dateOfStamp(g.stamp), fullPath: g.full!, thumbnailPath: g.thumb! }));
  }

  async latest(cameraId: string): Promise<StoredSnapshot | undefined> {
    return (await this.list(cameraId))[0];
  }

  /** Applies retention to one camera, or to every camera folder under rootDir. Returns how many snapshots went. */
  async prune(cameraId?: string): Promise<number> {
    if (cameraId === undefined) {
      let total = 0;
      const dirs = await readdir(this.opts.rootDir, { withFileTypes: true }).catch(() => []);
      for (const d of dirs) if (d.isDirectory()) total += await this.pruneDir(d.name);
      return total;
    }
    return this.pruneDir(cameraDirName(cameraId));
  }

  private async pruneDir(dirName: string): Promise<number> {
    // list() takes a camera id; folder names are already safe ids or encoded ones, both of which map to themselves.
    const all = await this.list(dirName);
    const cutoff = this.now() - this.maxAgeMs;
    const doomed = all.filter((s, i) => i >= this.keepLast || s.takenAt.getTime() < cutoff);
    await Promise.all(doomed.flatMap((s) => [rm(s.fullPath, { force: true }), rm(s.thumbnailPath, { force: true })]));
    return doomed.length;
  }
}
