import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../common/logger.ts';
import type { Db, Queryable, Transactional } from './db.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/**
 * Migration files: `NNNN_name.sql` runs everywhere; `NNNN_name.timescale.sql` / `NNNN_name.plain.sql` are the two
 * variants of one step, picked by whether the database has TimescaleDB (embedded PGlite has it). A file whose first
 * line is `-- migrate:no-transaction` runs outside a transaction (some TimescaleDB DDL refuses one).
 */
export interface Migration {
  version: number;
  name: string;
  variant: 'common' | 'timescale' | 'plain';
  file: string;
  sql: string;
  checksum: string;
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+?)(?:\.(timescale|plain))?\.sql$/;

export function listMigrations(dir: string, timescale: boolean): Migration[] {
  const wanted = timescale ? 'timescale' : 'plain';
  const byVersion = new Map<number, Migration>();
  for (const file of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) continue;
    const variant = (m[3] ?? 'common') as Migration['variant'];
    if (variant !== 'common' && variant !== wanted) continue;
    const version = Number(m[1]);
    if (byVersion.has(version)) throw new Error(`migrations: two files for version ${version} (${file})`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex').slice(0, 16);
    byVersion.set(version, { version, name: m[2] ?? file, variant, file, sql, checksum });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

/** Applies pending migrations in order and records each; refuses to run if an applied file was edited afterwards. */
export async function migrate(db: Db, log: Logger, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  return db.withSession((session) => migrateOn(session, db.capabilities.timescale, log, dir));
}

async function migrateOn(db: Transactional, timescale: boolean, log: Logger, dir: string): Promise<MigrateResult> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, variant text NOT NULL, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`);
  // Several service processes may start at once: one migrates, the others wait here.
  const lockKey = 7_340_214;
  await db.query('SELECT pg_advisory_lock($1)', [lockKey]);
  try {
    const done = await db.query<{ version: number; checksum: string; name: string }>('SELECT version, checksum, name FROM schema_migrations ORDER BY version');
    const doneBy = new Map(done.rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const m of listMigrations(dir, timescale)) {
      const prior = doneBy.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new Error(`migration ${m.file} was changed after it was applied (recorded ${prior.checksum}, now ${m.checksum}); add a new migration instead`);
        }
        continue;
      }
      const record = async (q: Queryable) =>
        q.query('INSERT INTO schema_migrations (version, name, variant, checksum) VALUES ($1, $2, $3, $4)', [m.version, m.name, m.variant, m.checksum]);
      if (m.sql.startsWith('-- migrate:no-transaction')) {
        await db.exec(m.sql);
        await record(db);
      } else {
        await db.transaction(async (tx) => {
          await tx.exec(m.sql);
          await record(tx);
        });
      }
      log.info({ migration: m.file }, 'migration applied');
      applied.push(m.file);
    }
    const last = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return { applied, current: last.rows[0]?.v ?? 0 };
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [lockKey]);
  }
}
