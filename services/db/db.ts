/**
 * The database seen by repositories: one small driver interface with three implementations behind it
 * (TimescaleDB and plain PostgreSQL through `pg`, embedded TimescaleDB through PGlite). Repositories write one SQL
 * dialect; the only differences live in migrations/ and in `capabilities`.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DbFlavour = 'timescale' | 'postgres' | 'embedded';

export interface DbCapabilities {
  /** TimescaleDB extension present: hypertables, continuous aggregates, compression. */
  timescale: boolean;
  /** The database runs its own policy jobs (TimescaleDB background workers). False: the service runs them. */
  backgroundJobs: boolean;
}

export interface Transactional extends Queryable {
  /** Runs fn in one transaction on one connection; rolls back if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export interface Db extends Transactional {
  readonly flavour: DbFlavour;
  readonly capabilities: DbCapabilities;
  /** Runs fn on one dedicated connection (session-level locks, several transactions in a row). */
  withSession<T>(fn: (session: Transactional) => Promise<T>): Promise<T>;
  /** Human-readable target for logs (no password). */
  readonly description: string;
  /**
   * Embedded store only: a point-in-time copy of the whole data folder (an uncompressed tar), taken while `during`
   * runs with every other query held back, so what `during` reads (row counts) is exactly what the copy holds.
   */
  snapshotDataDir?<T>(during: (q: Queryable) => Promise<T>): Promise<{ tar: Uint8Array; value: T }>;
  close(): Promise<void>;
}
