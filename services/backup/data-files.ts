/**
 * The data folder's files in a backup: camera snapshots, audio files, the ingest spool (acknowledged telemetry not yet
 * in the database) and whatever folders later features add. Left out: the embedded database (snapshotted on its own),
 * the key (sealed separately), backups, run-time sockets and locks, temporary files and logs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

const SKIP_TOP = new Set(['db', 'backups', 'run', 'secret.key']);
const SKIP_NAME = /(\.tmp(-[0-9a-f]+)?|\.\d+\.tmp|\.lock|\.pid|\.sock|\.log)$/;

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function walk(root: string, rel: string, out: string[], skipTop: ReadonlySet<string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (!rel && skipTop.has(e.name)) continue;
    if (e.isDirectory()) await walk(root, r, out, skipTop);
    else if (e.isFile() && !SKIP_NAME.test(e.name)) out.push(r);
  }
}

/** Relative paths of the files to back up under dataDir (the backup folder itself excluded when it lies inside). */
export async function listDataFiles(dataDir: string, backupDir: string): Promise<string[]> {
  const skip = new Set(SKIP_TOP);
  const rel = path.relative(dataDir, backupDir);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) skip.add(rel.split(path.sep)[0]!);
  const out: string[] = [];
  await walk(dataDir, '', out, skip);
  return out.sort();
}

/**
 * Copies the files not yet in `done` into `dest`. Called before and after the database dump: files written in between
 * (a snapshot taken, an audio file uploaded) are caught by the second pass. A file removed meanwhile (retention, a
 * spool batch replayed) is simply not there any more, which is what the database says too.
 */
export async function copyDataFiles(dataDir: string, backupDir: string, dest: string, done: Map<string, FileEntry>): Promise<void> {
  for (const rel of await listDataFiles(dataDir, backupDir)) {
    if (done.has(rel)) continue;
    const from = path.join(dataDir, rel);
    const to = path.join(dest, rel);
    await mkdir(path.dirname(to), { recursive: true });
    try {
      await copyFile(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    done.set(rel, { path: rel, bytes: (await stat(to)).size, sha256: await sha256File(to) });
  }
}

/** Copies a backup's files into the data folder, checking each against the manifest first. */
export async function restoreDataFiles(src: string, dataDir: string, files: FileEntry[]): Promise<void> {
  for (const f of files) {
    if (f.path.split('/').includes('..') || path.isAbsolute(f.path)) throw new Error(`refusing a file path outside the data folder: ${f.path}`);
    const from = path.join(src, f.path);
    if ((await sha256File(from)) !== f.sha256) throw new Error(`backup file ${f.path} does not match its checksum: the backup is damaged`);
  }
  for (const f of files) {
    const to = path.join(dataDir, f.path);
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(path.join(src, f.path), to);
  }
}
