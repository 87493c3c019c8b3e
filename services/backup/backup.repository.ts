import type { Queryable } from '../db/db.ts';

/**
 * The SQL of backups and restores. Rows are counted per base table of the application's schemas (hypertables count
 * their chunks through the parent; TimescaleDB's own catalogs and chunk schemas are left out, they are restored with
 * the dump and have no meaning to an operator).
 */
const SYSTEM_SCHEMAS = [
  'pg_catalog',
  'information_schema',
  'pg_toast',
  '_timescaledb_catalog',
  '_timescaledb_internal',
  '_timescaledb_config',
  '_timescaledb_cache',
  '_timescaledb_functions',
  '_timescaledb_debug',
  'timescaledb_information',
  'timescaledb_experimental',
];

export class BackupRepository {
  constructor(private readonly q: Queryable) {}

  async tables(): Promise<string[]> {
    const r = await this.q.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg_temp%'
       ORDER BY 1`,
      [SYSTEM_SCHEMAS],
    );
    return r.rows.map((x) => x.name);
  }

  /** Exact row counts (count(*), not the planner's estimate): a restore is verified against them. */
  async rowCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    // Names come from pg_class through format('%I'), so they are quoted identifiers, not input.
    for (const t of await this.tables()) out[t] = Number((await this.q.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n ?? 0);
    return out;
  }

  async schemaVersion(): Promise<number | null> {
    const exists = await this.q.query(`SELECT 1 FROM pg_class WHERE relname = 'schema_migrations' AND relkind = 'r'`);
    if (!exists.rowCount) return null;
    const r = await this.q.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    return r.rows[0]?.v ?? null;
  }

  async serverVersion(): Promise<{ num: number; text: string }> {
    const r = await this.q.query<{ num: string; text: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text`,
    );
    return { num: Number(r.rows[0]?.num ?? 0), text: r.rows[0]?.text ?? '' };
  }

  async timescaleVersion(): Promise<string | null> {
    const r = await this.q.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`);
    return r.rows[0]?.v ?? null;
  }

  /** Starts the caller's open transaction as a snapshot other sessions (pg_dump --snapshot) can share. */
  async exportSnapshot(): Promise<string> {
    await this.q.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const r = await this.q.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    return r.rows[0]?.id ?? '';
  }

  async endSnapshot(): Promise<void> {
    await this.q.query('COMMIT');
  }

  async otherSessions(): Promise<number> {
    const r = await this.q.query<{ n: number }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    return Number(r.rows[0]?.n ?? 0);
  }

  async databaseName(): Promise<string> {
    return (await this.q.query<{ d: string }>('SELECT current_database() AS d')).rows[0]?.d ?? '';
  }

  /** On the server's maintenance database: the database is dropped (its sessions ended) and created empty again. */
  async recreateDatabase(name: string): Promise<void> {
    const ident = `"${name.replace(/"/g, '""')}"`;
    await this.q.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
    await this.q.query(`CREATE DATABASE ${ident}`);
  }

  /** TimescaleDB's documented restore bracket: catalog triggers off while pg_restore writes, on again afterwards. */
  async timescalePreRestore(): Promise<string | null> {
    await this.q.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    const v = await this.timescaleVersion();
    await this.q.query('SELECT timescaledb_pre_restore()');
    return v;
  }

  async timescalePostRestore(): Promise<void> {
    await this.q.query('SELECT timescaledb_post_restore()');
  }

  async checkpoint(): Promise<void> {
    await this.q.query('CHECKPOINT');
  }

  async analyze(): Promise<void> {
    await this.q.query('ANALYZE');
  }
}
