/**
 * `npm run backup`: one folder per backup holding the database dump, the data folder's files, optionally the sealed
 * service key, and a manifest with exact row counts and checksums. Written under a `.partial` name and renamed when
 * complete, so a crash never leaves something that looks like a backup.
 *
 * Consistency: PostgreSQL/TimescaleDB — rows are counted in a REPEATABLE READ transaction whose snapshot pg_dump shares
 * (--snapshot), while the service keeps running. Embedded — only the process that has the database open may read it
 * (a second PGlite on the same folder silently loses writes, docs/operations.md), so a running service takes the
 * backup itself (the CLI asks it over the control socket) and a stopped one is read by the CLI.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from '../common/logger.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import { BackupRepository } from './backup.repository.ts';
import { copyDataFiles, sha256File, type FileEntry } from './data-files.ts';
import { keyFingerprint, sealKey } from './key-seal.ts';
import { SEALED_KEY_FILE, totalRows, writeManifest, type Manifest } from './manifest.ts';
import { pgDump, pgTarget, toolMajor } from './pg-tools.ts';
import { currentKey } from './service-key.ts';

export interface BackupOptions {
  config: Pick<Config, 'dataDir' | 'backupDir' | 'databaseUrl' | 'secretKey'>;
  db: Db;
  log: Logger;
  /** Seals the service key into the backup; without it the key must be kept elsewhere. */
  passphrase?: string | null;
  online: boolean;
  /** Output folder (default: config.backupDir). */
  outDir?: string;
}

export interface BackupResult {
  dir: string;
  manifest: Manifest;
}

type DbPart = Omit<Manifest['database'], 'bytes' | 'sha256'>;

async function dumpEmbedded(db: Db, file: string): Promise<DbPart> {
  if (!db.snapshotDataDir) throw new Error('this database cannot snapshot its data folder');
  await new BackupRepository(db).checkpoint();
  const { tar, value } = await db.snapshotDataDir(async (q) => {
    const repo = new BackupRepository(q);
    return {
      tables: await repo.rowCounts(),
      schemaVersion: await repo.schemaVersion(),
      server: await repo.serverVersion(),
      timescale: await repo.timescaleVersion(),
    };
  });
  // Compressed outside the snapshot's transaction (zlib runs on the thread pool): ingest waits only for the copy.
  await writeFile(file, await promisify(gzip)(tar, { level: 6 }), { mode: 0o600 });
  return {
    flavour: 'embedded',
    file: path.basename(file),
    serverVersion: value.server.text,
    timescaleVersion: value.timescale,
    schemaVersion: value.schemaVersion,
    tables: value.tables,
  };
}

async function dumpPostgres(db: Db, databaseUrl: string, file: string): Promise<DbPart> {
  return db.withSession(async (session) => {
    const repo = new BackupRepository(session);
    const server = await repo.serverVersion();
    const tool = await toolMajor('pg_dump');
    const serverMajor = Math.floor(server.num / 10000);
    if (tool < serverMajor) throw new Error(`pg_dump ${tool} cannot dump PostgreSQL ${server.text}: install postgresql-client-${serverMajor} or newer`);
    const snapshot = await repo.exportSnapshot();
    try {
      const tables = await repo.rowCounts();
      const schemaVersion = await repo.schemaVersion();
      const timescaleVersion = await repo.timescaleVersion();
      await pgDump(pgTarget(databaseUrl), file, snapshot);
      return { flavour: db.flavour, file: path.basename(file), serverVersion: server.text, timescaleVersion, schemaVersion, tables };
    } finally {
      await repo.endSnapshot();
    }
  });
}

const stampOf = (d: Date): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export async function createBackup(o: BackupOptions): Promise<BackupResult> {
  const out = o.outDir ?? o.config.backupDir;
  const dir = path.join(out, `smartward-${stampOf(new Date())}`);
  const partial = `${dir}.partial`;
  await mkdir(path.join(partial, 'files'), { recursive: true, mode: 0o700 });
  const files = new Map<string, FileEntry>();
  await copyDataFiles(o.config.dataDir, out, path.join(partial, 'files'), files);

  const embedded = o.db.flavour === 'embedded';
  const dbFile = path.join(partial, embedded ? 'database.tar.gz' : 'database.pgdump');
  const t0 = Date.now();
  const part = embedded ? await dumpEmbedded(o.db, dbFile) : await dumpPostgres(o.db, o.config.databaseUrl, dbFile);
  o.log.info({ ms: Date.now() - t0, rows: totalRows(part.tables), tables: Object.keys(part.tables).length }, 'database dumped');
  await copyDataFiles(o.config.dataDir, out, path.join(partial, 'files'), files);

  const key = currentKey(o.config.secretKey, o.config.dataDir);
  if (o.passphrase && key.key) await writeFile(path.join(partial, SEALED_KEY_FILE), JSON.stringify(sealKey(key.key, o.passphrase)), { mode: 0o600 });
  const manifest: Manifest = {
    format: 'smartward-backup',
    version: 1,
    createdAt: new Date().toISOString(),
    online: o.online,
    database: { ...part, bytes: (await stat(dbFile)).size, sha256: await sha256File(dbFile) },
    files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)),
    key: { fingerprint: key.key ? keyFingerprint(key.key) : null, sealed: Boolean(o.passphrase && key.key), source: key.source },
  };
  await writeManifest(partial, manifest);
  await rename(partial, dir);
  o.log.info({ dir, files: manifest.files.length, keySealed: manifest.key.sealed }, 'backup written');
  return { dir, manifest };
}
