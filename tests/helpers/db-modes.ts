import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { silentLogger } from '../../services/common/logger.ts';
import type { Db } from '../../services/db/db.ts';
import { openPg } from '../../services/db/pg-driver.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';

/**
 * The database modes integration tests run against. Each mode that cannot run here is reported with its reason
 * (never skipped silently): the local PostgreSQL server (SW_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * the embedded TimescaleDB build, and a Testcontainers TimescaleDB container when a Docker engine answers.
 */
export interface DbMode {
  name: 'postgres' | 'embedded' | 'timescale-container';
  /** A fresh, empty database; `drop` removes it. */
  open(): Promise<{ db: Db; url: string | null; drop: () => Promise<void> }>;
}

export const PG_ADMIN_URL = process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function canReach(url: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Creates a throwaway database on a server and returns its URL. */
export async function createScratchDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sw_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

const postgresMode: DbMode = {
  name: 'postgres',
  async open() {
    const scratch = await createScratchDatabase(PG_ADMIN_URL);
    const db = await openPg({ url: scratch.url, poolSize: 5, log: silentLogger() });
    return {
      db,
      url: scratch.url,
      drop: async () => {
        await db.close().catch(() => undefined);
        await scratch.drop();
      },
    };
  },
};

const embeddedMode: DbMode = {
  name: 'embedded',
  async open() {
    const db = await openPglite({ dataDir: null, log: silentLogger() });
    return {
      db,
      url: null,
      drop: async () => {
        await db.close().catch(() => undefined);
      },
    };
  },
};

async function containerMode(): Promise<DbMode | string> {
  try {
    const tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch (err) {
    return `no container runtime (${(err as Error).message.split('\n')[0]})`;
  }
  return {
    name: 'timescale-container',
    async open() {
      const tc = await import('testcontainers');
      const c = await new tc.GenericContainer('timescale/timescaledb:latest-pg16')
        .withEnvironment({ POSTGRES_PASSWORD: 'test' })
        .withExposedPorts(5432)
        .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      const url = `postgres://postgres:test@${c.getHost()}:${c.getMappedPort(5432)}/postgres`;
      const db = await openPg({ url, poolSize: 5, log: silentLogger() });
      return {
        db,
        url,
        drop: async () => {
          await db.close().catch(() => undefined);
          await c.stop();
        },
      };
    },
  };
}

let cached: Promise<{ modes: DbMode[]; unavailable: Record<string, string> }> | undefined;

export function dbModes(): Promise<{ modes: DbMode[]; unavailable: Record<string, string> }> {
  cached ??= (async () => {
    const modes: DbMode[] = [];
    const unavailable: Record<string, string> = {};
    const pgProblem = await canReach(PG_ADMIN_URL);
    if (pgProblem) unavailable.postgres = `PostgreSQL at ${PG_ADMIN_URL} unreachable: ${pgProblem}`;
    else modes.push(postgresMode);
    modes.push(embeddedMode);
    const c = await containerMode();
    if (typeof c === 'string') unavailable['timescale-container'] = c;
    else modes.push(c);
    for (const [name, why] of Object.entries(unavailable)) console.warn(`[db-modes] SKIPPED mode '${name}': ${why}`);
    return { modes, unavailable };
  })();
  return cached;
}
