import pg from 'pg';
import type { Logger } from '../common/logger.ts';
import type { Db, DbCapabilities, DbFlavour, Queryable, QueryResult, Transactional } from './db.ts';

// int8 (count(*), bigserial) as JS numbers: every value we count fits in 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface PgOptions {
  url: string;
  poolSize: number;
  log: Logger;
  /** Fails a query that waits longer than this for a connection, so an outage surfaces instead of hanging. */
  connectTimeoutMs?: number;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

async function detectTimescale(pool: pg.Pool, log: Logger): Promise<boolean> {
  const installed = await pool.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
  if (installed.rowCount) return true;
  const available = await pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (!available.rowCount) return false;
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return true;
  } catch (err) {
    // Installed but not in shared_preload_libraries, or no privilege: run as plain PostgreSQL and say so.
    log.warn({ err }, 'timescaledb is available but could not be enabled; using plain PostgreSQL');
    return false;
  }
}

export async function openPg(opts: PgOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it on next use.
  pool.on('error', (err) => opts.log.warn({ err }, 'idle database connection failed'));
  const timescale = await detectTimescale(pool, opts.log);
  const flavour: DbFlavour = timescale ? 'timescale' : 'postgres';
  const capabilities: DbCapabilities = { timescale, backgroundJobs: timescale };

  const query = async <T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
    const r = await pool.query(sql, params as unknown[] | undefined);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  };

  const onClient = (client: pg.PoolClient): Transactional => {
    const q: Queryable = {
      query: async <R>(sql: string, params?: readonly unknown[]) => {
        const r = await client.query(sql, params as unknown[] | undefined);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    return {
      ...q,
      async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
        await client.query('BEGIN');
        try {
          const out = await fn(q);
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
    };
  };

  const withSession = async <T>(fn: (s: Transactional) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    // A connection that drops while checked out emits 'error' on the client; unheard, that is an uncaught exception
    // that ends the process. The pending query already fails with the same error, so noting it is enough.
    const onError = (err: Error): void => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      return await fn(onClient(client));
    } catch (err) {
      // The server answered with an SQLSTATE (a refused row, a deadlock): the connection is fine and was rolled back.
      // Anything else (socket closed, protocol error) may leave it unusable.
      const code = (err as { code?: unknown }).code;
      if (!(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P'))) broken ??= err as Error;
      throw err;
    } finally {
      // A connection that failed mid-transaction is discarded rather than returned to the pool.
      client.off('error', onError);
      client.release(broken);
    }
  };

  return {
    flavour,
    capabilities,
    description: `${flavour} ${redact(opts.url)}`,
    query,
    exec: async (sql: string) => {
      await pool.query(sql);
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => withSession((sess) => sess.transaction(fn)),
    withSession,
    close: () => pool.end(),
  };
}
