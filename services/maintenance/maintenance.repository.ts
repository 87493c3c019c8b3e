import type { Db } from '../db/db.ts';
import { counterCeiling, counterStepsCte } from '../telemetry/counter-steps.ts';

/**
 * Storage policies, one per flavour (DESIGN.md "Storage"): TimescaleDB runs them itself; embedded PGlite has the
 * jobs registered but no background workers, so we run them; plain PostgreSQL gets the equivalent SQL.
 */
export class MaintenanceRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Aligns the TimescaleDB retention and compression policies with configuration. */
  async syncPolicies(retentionDays: number, compressAfterDays: number): Promise<void> {
    if (!this.db.capabilities.timescale) return;
    await this.db.query(`SELECT remove_retention_policy('telemetry', if_exists => true)`);
    await this.db.query(`SELECT add_retention_policy('telemetry', make_interval(days => $1))`, [retentionDays]);
    await this.db.query(`SELECT remove_compression_policy('telemetry', if_exists => true)`);
    await this.db.query(`SELECT add_compression_policy('telemetry', make_interval(days => $1))`, [compressAfterDays]);
  }

  /** Runs the registered policy jobs in-process (embedded TimescaleDB has no background workers). */
  async runTimescaleJobs(): Promise<number> {
    const jobs = await this.db.query<{ job_id: number }>(
      `SELECT job_id FROM timescaledb_information.jobs WHERE proc_name IN ('policy_refresh_continuous_aggregate', 'policy_retention', 'policy_compression') ORDER BY job_id`,
    );
    for (const j of jobs.rows) await this.db.query(`CALL run_job($1)`, [j.job_id]);
    return jobs.rows.length;
  }

  /** Plain PostgreSQL: recompute the hourly rollup for recent hours, up to the current one (which is still filling). */
  async refreshPlainRollup(since: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO telemetry_hourly (bucket, device_id, messages, stats)
       SELECT date_bin('1 hour', time, '2000-01-01'), device_id, count(*), sw_stats(data)
       FROM telemetry WHERE time >= date_bin('1 hour', $1::timestamptz, '2000-01-01')
       GROUP BY 1, 2
       ON CONFLICT (device_id, bucket) DO UPDATE SET messages = EXCLUDED.messages, stats = EXCLUDED.stats`,
      [since],
    );
  }

  /**
   * Recomputes counter_hourly for one counter metric of the given kinds' devices, for the hours from `since` on
   * (all of the raw history when `since` is null: the first run after the migration). Returns the rows written.
   */
  async refreshCounterRollup(metric: string, kinds: readonly string[], since: Date | null): Promise<number> {
    const ids = (await this.db.query<{ id: string }>('SELECT id FROM devices WHERE kind = ANY($1::text[])', [kinds])).rows.map((r) => r.id);
    if (!ids.length) return 0;
    let from = since;
    if (!from) {
      const first = await this.db.query<{ t: Date | null }>('SELECT min(time) AS t FROM telemetry WHERE device_id = ANY($1::text[])', [ids]);
      if (!first.rows[0]?.t) return 0;
      from = new Date(first.rows[0].t);
    }
    const r = await this.db.query(
      `WITH ${counterStepsCte({ ids: '$1', metric: '$2', from: "date_bin('1 hour', $3::timestamptz, '2000-01-01')", to: "'infinity'", max: '$4' })}
       INSERT INTO counter_hourly (device_id, metric, bucket, increase, readings, resets)
       SELECT device_id, $2, date_bin('1 hour', time, '2000-01-01'), sum(inc), count(*), count(*) FILTER (WHERE reset)
       FROM cs_steps GROUP BY device_id, 3
       ON CONFLICT (device_id, metric, bucket) DO UPDATE
         SET increase = EXCLUDED.increase, readings = EXCLUDED.readings, resets = EXCLUDED.resets`,
      [ids, metric, from, counterCeiling(metric)],
    );
    return r.rowCount;
  }

  async counterRollupEmpty(): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM counter_hourly LIMIT 1')).rowCount === 0;
  }

  async dropPlainRaw(before: Date): Promise<number> {
    return (await this.db.query('DELETE FROM telemetry WHERE time < $1', [before])).rowCount;
  }

  /** On-demand refresh of the continuous aggregate over a window (tests, backfills). */
  async refreshTimescaleRollup(from: Date, to: Date): Promise<void> {
    await this.db.query(`CALL refresh_continuous_aggregate('telemetry_hourly', $1::timestamptz, $2::timestamptz)`, [from, to]);
  }

  async hourly(
    deviceId: string,
    from: Date,
    to: Date,
  ): Promise<{ bucket: string; messages: number; stats: Record<string, [number, number, number, number]> }[]> {
    const r = await this.db.query<{ bucket: Date; messages: number; stats: Record<string, [number, number, number, number]> }>(
      'SELECT bucket, messages::int AS messages, stats FROM telemetry_hourly WHERE device_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket',
      [deviceId, from, to],
    );
    return r.rows.map((x) => ({ bucket: new Date(x.bucket).toISOString(), messages: x.messages, stats: x.stats }));
  }
}
