import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../../common/logger.ts';
import type { Db, Queryable } from '../../db/db.ts';
import type { ServiceRun } from './uptime-math.ts';

/** SQL of service_runs (migrations/0021): one row per service process, with start, heartbeat and clean stop. */
export class ServiceRunRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async start(id: string, instance: string, at: Date): Promise<void> {
    await this.db.query('INSERT INTO service_runs (id, instance, started_at, heartbeat_at) VALUES ($1, $2, $3, $3)', [id, instance, at]);
  }

  async heartbeat(id: string, at: Date): Promise<void> {
    await this.db.query('UPDATE service_runs SET heartbeat_at = greatest(heartbeat_at, $2) WHERE id = $1 AND stopped_at IS NULL', [id, at]);
  }

  async stop(id: string, at: Date): Promise<void> {
    await this.db.query('UPDATE service_runs SET stopped_at = $2, heartbeat_at = greatest(heartbeat_at, $2) WHERE id = $1', [id, at]);
  }

  /** The end of the latest run before this one (a clean stop, else its last heartbeat), or null on a first start. */
  async previousEnd(id: string): Promise<number | null> {
    const r = await this.db.query<{ t: Date | null }>('SELECT max(coalesce(stopped_at, heartbeat_at)) AS t FROM service_runs WHERE id <> $1', [id]);
    return r.rows[0]?.t ? new Date(r.rows[0].t).getTime() : null;
  }

  /** Runs overlapping [from, to), and the first run ever (gaps only exist after it). */
  async overlapping(from: number, to: number, q: Queryable = this.db): Promise<ServiceRun[]> {
    const r = await q.query<{ s: Date; h: Date; e: Date | null }>(
      `SELECT started_at AS s, heartbeat_at AS h, stopped_at AS e FROM service_runs
       WHERE (started_at < $2::timestamptz AND coalesce(stopped_at, heartbeat_at) >= $1::timestamptz - interval '1 day')
          OR started_at = (SELECT min(started_at) FROM service_runs)
          OR stopped_at IS NULL`,
      [new Date(from), new Date(to)],
    );
    return r.rows.map((x) => ({ startedAt: new Date(x.s).getTime(), heartbeatAt: new Date(x.h).getTime(), stoppedAt: x.e ? new Date(x.e).getTime() : null }));
  }
}

/**
 * Records this process's run: a row at start, a heartbeat every `heartbeatMs`, the stop time on a clean stop. A failed
 * heartbeat (database down) is logged and retried at the next beat: the time until a beat lands again will read as
 * unknown, which is what it was to anyone reading the database.
 */
export class ServiceRunRecorder {
  readonly id = randomUUID();
  private readonly repo: ServiceRunRepository;
  private readonly log: Logger;
  private readonly heartbeatMs: number;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(o: { repo: ServiceRunRepository; log: Logger; heartbeatMs: number; clock?: () => number }) {
    this.repo = o.repo;
    this.log = o.log.child({ module: 'health.service-runs' });
    this.heartbeatMs = o.heartbeatMs;
    this.clock = o.clock ?? Date.now;
  }

  /** Starts the run; returns the end of the previous one (the gap start) or null. */
  async start(): Promise<number | null> {
    await this.repo.start(this.id, `${os.hostname()}:${process.pid}`, new Date(this.clock()));
    const prev = await this.repo.previousEnd(this.id);
    if (prev !== null)
      this.log.info({ gapS: Math.round((this.clock() - prev) / 1000) }, 'service started: the time since the previous run counts as unknown in uptime');
    this.timer = setInterval(() => {
      this.repo.heartbeat(this.id, new Date(this.clock())).catch((err: unknown) => this.log.warn({ err }, 'service heartbeat not recorded'));
    }, this.heartbeatMs);
    this.timer.unref();
    return prev;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.repo.stop(this.id, new Date(this.clock()));
    } catch (err) {
      this.log.warn({ err }, 'service stop not recorded (the last heartbeat ends this run)');
    }
  }
}
