/**
 * `npm run restore -- <backup folder>`: checks the backup (checksums, key) before touching anything, refuses while the
 * service runs on the target, restores into an empty target (or, with --force, one it wipes), copies the files back,
 * then counts every table again and compares with the manifest.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import pg from 'pg';
import { lockDataDir } from '../common/data-dir-lock.ts';
import type { Logger } from '../common/logger.ts';
import type { Config } from '../config/config.ts';
import type { Db, Queryable } from '../db/db.ts';
import { openPg } from '../db/pg-driver.ts';
import { openPglite } from '../db/pglite-driver.ts';
import { BackupRepository } from './backup.repository.ts';
import { askService } from './control-socket.ts';
import { restoreDataFiles, sha256File } from './data-files.ts';
import { keyFingerprint, unsealKey } from './key-seal.ts';
import { readManifest, readSealedKey, type Manifest } from './manifest.ts';
import { maintenanceUrl, pgRestore, pgTarget } from './pg-tools.ts';
import { currentKey, writeKeyFile } from './service-key.ts';

export interface RestoreOptions {
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'secretKey'>;
  dir: string;
  log: Logger;
  passphrase?: string | null;
  /** Wipe a non-empty target (PostgreSQL: drop and create the database; embedded: move the old folder aside). */
  force?: boolean;
}

export interface TableCheck {
  table: string;
  expected: number;
  restored: number;
}

export interface RestoreResult {
  tables: TableCheck[];
  files: number;
  keyWritten: boolean;
  ok: boolean;
  /** Where an embedded database that was replaced now lies (--force). */
  movedAside: string | null;
}

/** Decides the key before anything changes: the restored data is only usable with the key it was written under. */
async function resolveKey(o: RestoreOptions, m: Manifest): Promise<Buffer | null> {
  const want = m.key.fingerprint;
  const have = currentKey(o.config.secretKey, o.config.dataDir);
  const haveFp = have.key ? keyFingerprint(have.key) : null;
  if (!want || haveFp === want) return null;
  if (m.key.sealed && o.passphrase) {
    const key = unsealKey(await readSealedKey(o.dir), o.passphrase);
    if (keyFingerprint(key) !== want) throw new Error('the sealed key does not match the manifest: the backup is damaged');
    if (have.source === 'config')
      throw new Error(
        'SW_SECRET_KEY differs from the key this backup needs: unset it (the sealed key will be restored to secret.key) or set it to the original key',
      );
    if (have.key && !o.force) throw new Error(`${o.config.dataDir}/secret.key is a different key: --force replaces it with the backup's`);
    return key;
  }
  const how = m.key.sealed
    ? 'give --passphrase-file to unseal the key stored in the backup'
    : 'set SW_SECRET_KEY (or put secret.key in the data folder) to the key the backup was taken with';
  throw new Error(`the service key here (${haveFp ?? 'none'}) is not the backup's (${want}): ${how}; without it no device could log in`);
}

async function verifyChecksums(dir: string, m: Manifest): Promise<void> {
  if ((await sha256File(path.join(dir, m.database.file))) !== m.database.sha256)
    throw new Error(`${m.database.file} does not match its checksum: the backup is damaged`);
}

async function assertServiceStopped(dataDir: string): Promise<void> {
  const running = await askService(dataDir, { op: 'ping' }, 5000).catch(() => null);
  if (running) throw new Error(`the service is running on ${dataDir} (pid ${String((running as { pid?: number }).pid)}): stop it before restoring`);
}

async function restorePostgres(o: RestoreOptions, m: Manifest): Promise<void> {
  const target = new pg.Client({ connectionString: o.config.databaseUrl });
  await target.connect();
  let name: string;
  try {
    const repo = new BackupRepository(asQueryable(target));
    if ((await repo.otherSessions()) > 0)
      throw new Error('other sessions are connected to the target database (is the service running?): stop them before restoring');
    name = await repo.databaseName();
    if ((await repo.tables()).length > 0 && !o.force)
      throw new Error(`database ${name} is not empty: restore into an empty database, or add --force to drop and recreate it`);
  } finally {
    await target.end();
  }
  if (o.force) {
    const admin = new pg.Client({ connectionString: maintenanceUrl(o.config.databaseUrl) });
    await admin.connect();
    try {
      await new BackupRepository(asQueryable(admin)).recreateDatabase(name);
    } finally {
      await admin.end();
    }
  }
  await withClient(o.config.databaseUrl, async (repo) => {
    if (m.database.timescaleVersion) {
      const have = await repo.timescalePreRestore().catch((err: Error) => {
        throw new Error(`the backup is from TimescaleDB ${m.database.timescaleVersion ?? ''}, but the target cannot enable the extension: ${err.message}`);
      });
      if (have !== m.database.timescaleVersion)
        throw new Error(
          `TimescaleDB versions differ (backup ${m.database.timescaleVersion ?? ''}, target ${have ?? 'none'}): install the backup's version on the target, restore, then ALTER EXTENSION timescaledb UPDATE`,
        );
    }
  });
  await pgRestore(pgTarget(o.config.databaseUrl), path.join(o.dir, m.database.file), { singleTransaction: !m.database.timescaleVersion });
  await withClient(o.config.databaseUrl, async (repo) => {
    if (m.database.timescaleVersion) await repo.timescalePostRestore();
    await repo.analyze();
  });
}

/** One pg.Client as the repositories' Queryable (restores need single connections to chosen databases, not the pool). */
const asQueryable = (c: pg.Client): Queryable => ({
  query: async <T>(sql: string, params?: readonly unknown[]) => {
    const r = await c.query(sql, params as unknown[] | undefined);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  },
  exec: async (sql: string) => {
    await c.query(sql);
  },
});

async function withClient<T>(url: string, fn: (repo: BackupRepository) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(new BackupRepository(asQueryable(c)));
  } finally {
    await c.end();
  }
}

async function restoreEmbedded(o: RestoreOptions, m: Manifest): Promise<{ db: Db; movedAside: string | null }> {
  const dbDir = path.join(o.config.dataDir, 'db');
  let movedAside: string | null = null;
  if (existsSync(dbDir) && readdirSync(dbDir).length > 0) {
    if (!o.force) throw new Error(`${dbDir} holds a database: restore into an empty data folder, or add --force (the old one is moved aside, not deleted)`);
    movedAside = `${dbDir}.replaced-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await rename(dbDir, movedAside);
  }
  const tar = await promisify(gunzip)(await readFile(path.join(o.dir, m.database.file)));
  const db = await openPglite({ dataDir: dbDir, log: o.log, loadDataDir: new Blob([new Uint8Array(tar)]) });
  await new BackupRepository(db).checkpoint();
  return { db, movedAside };
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const m = await readManifest(o.dir);
  const embeddedTarget = !o.config.databaseUrl;
  if (embeddedTarget !== (m.database.flavour === 'embedded')) {
    throw new Error(
      `this backup is of ${m.database.flavour === 'embedded' ? 'the embedded store' : `a ${m.database.flavour} server`}; the configuration points at ${embeddedTarget ? 'the embedded store (SW_DATABASE_URL empty)' : 'a PostgreSQL server'}`,
    );
  }
  await verifyChecksums(o.dir, m);
  const key = await resolveKey(o, m);
  await assertServiceStopped(o.config.dataDir);
  // The socket check answers for a running service; the lock also covers one that is starting or a second restore.
  const lock = lockDataDir(o.config.dataDir, o.log);
  try {
    return await restoreLocked(o, m, key, embeddedTarget);
  } finally {
    lock.release();
  }
}

async function restoreLocked(o: RestoreOptions, m: Manifest, key: Buffer | null, embeddedTarget: boolean): Promise<RestoreResult> {
  let db: Db;
  let movedAside: string | null = null;
  if (embeddedTarget) ({ db, movedAside } = await restoreEmbedded(o, m));
  else {
    await restorePostgres(o, m);
    db = await openPg({ url: o.config.databaseUrl, poolSize: 1, log: o.log });
  }
  try {
    await restoreDataFiles(path.join(o.dir, 'files'), o.config.dataDir, m.files);
    if (key) await writeKeyFile(o.config.dataDir, key);
    const restored = await new BackupRepository(db).rowCounts();
    const tables = Object.entries(m.database.tables).map(([table, expected]) => ({ table, expected, restored: restored[table] ?? -1 }));
    const ok = tables.every((t) => t.expected === t.restored);
    o.log.info({ tables: tables.length, ok, files: m.files.length }, 'restore finished');
    return { tables, files: m.files.length, keyWritten: key !== null, ok, movedAside };
  } finally {
    await db.close();
  }
}
