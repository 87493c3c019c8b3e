/**
 * The scheduler: wakes at the next fire time (or at least every pollMs, to see schedules other processes made),
 * claims due occurrences through the database (one run row per occurrence; SKIP LOCKED between processes), then runs
 * each claimed occurrence's job handler. A run left 'claimed' by a process that died is taken over after staleMs and
 * re-run if it is still inside its catch-up window; handlers are idempotent (their command ids derive from the
 * occurrence), so a re-run never sends twice.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/logger.ts';
import type { Metrics } from '../../common/metrics.ts';
import { badRequest } from '../../common/errors.ts';
import { firstOccurrence, planOccurrences } from './catch-up.ts';
import { parseRRule, RRuleError, type RRule } from './rrule.ts';
import type { ClaimedRun, RunRow, ScheduleRow, SchedulerRepository } from './scheduler.repository.ts';

export interface JobRun {
  scheduleId: string;
  job: string;
  ref: string | null;
  payload: Record<string, unknown>;
  occurrenceAt: Date;
  /** How late the run starts against its fire time (occurrence − lead). */
  lateMs: number;
}

export type JobHandler = (run: JobRun) => Promise<Record<string, unknown> | void>;

export interface ScheduleInput {
  id: string;
  job: string;
  ref?: string | null;
  dtstart: Date;
  rrule?: string | null;
  leadS?: number;
  catchUpS?: number;
  payload?: Record<string, unknown>;
}

export interface SchedulerOptions {
  repo: SchedulerRepository;
  log: Logger;
  metrics: Metrics;
  tz: string;
  pollMs?: number;
  staleMs?: number;
  /** Default catch-up window (s) for schedules that do not set one. */
  catchUpS?: number;
  clock?: () => number;
  /** Cluster: whether this process runs the job now (a lease, services/cluster); absent = always. */
  owns?: () => boolean;
}

const M = {
  runs: ['sw_scheduler_runs_total', 'Schedule occurrences handled, by job and outcome (fired, failed, skipped)'],
  lateness: ['sw_scheduler_lateness_ms', 'Lateness of the last fired occurrence against its fire time, by job'],
} as const;

export class Scheduler {
  /** Identifies this process in schedule_runs.claimed_by. */
  readonly owner = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly o: SchedulerOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly handlers = new Map<string, JobHandler>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private again = false;
  private running = false;

  constructor(o: SchedulerOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'scheduler' });
    this.clock = o.clock ?? Date.now;
  }

  register(job: string, handler: JobHandler): void {
    if (this.handlers.has(job)) throw new Error(`job '${job}' has a handler already`);
    this.handlers.set(job, handler);
  }

  parseRule(rrule: string | null | undefined): RRule | null {
    if (!rrule) return null;
    try {
      return parseRRule(rrule, this.o.tz);
    } catch (err) {
      if (err instanceof RRuleError) throw badRequest('BAD_RRULE', `recurrence rule: ${err.message}`);
      throw err;
    }
  }

  private row(s: ScheduleInput, nextAt: number | null): Omit<ScheduleRow, 'createdAt' | 'fireAt'> {
    return {
      id: s.id,
      job: s.job,
      ref: s.ref ?? null,
      dtstart: s.dtstart,
      rrule: s.rrule ?? null,
      leadS: s.leadS ?? 0,
      catchUpS: s.catchUpS ?? this.o.catchUpS ?? 600,
      nextAt: nextAt === null ? null : new Date(nextAt),
      enabled: nextAt !== null,
      payload: s.payload ?? {},
    };
  }

  /** Creates or replaces a schedule; its first occurrence is its start (one-off) or the next one from now (recurring). */
  async schedule(s: ScheduleInput): Promise<ScheduleRow> {
    const rule = this.parseRule(s.rrule);
    const first = firstOccurrence(s.dtstart.getTime(), rule, this.o.tz, this.clock());
    await this.o.repo.upsert(this.row(s, first));
    this.poke();
    return (await this.o.repo.get(s.id)) as ScheduleRow;
  }

  /** Like schedule(), but keeps a schedule that exists (its progress survives restarts). */
  async ensure(s: ScheduleInput): Promise<void> {
    const rule = this.parseRule(s.rrule);
    const first = firstOccurrence(s.dtstart.getTime(), rule, this.o.tz, this.clock());
    if (await this.o.repo.insertIfAbsent(this.row(s, first))) this.poke();
  }

  async cancel(id: string): Promise<boolean> {
    return this.o.repo.disable(id);
  }

  get(id: string): Promise<ScheduleRow | null> {
    return this.o.repo.get(id);
  }

  list(f: { job?: string; ref?: string; limit: number; offset: number }): Promise<ScheduleRow[]> {
    return this.o.repo.list(f);
  }

  runs(f: { scheduleId?: string; status?: string; limit: number }): Promise<RunRow[]> {
    return this.o.repo.runs(f);
  }

  start(): void {
    this.running = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
  }

  /** Checks for due work now (after a schedule was added, and on start). */
  poke(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async tick(): Promise<void> {
    let wait = this.o.pollMs ?? 1000;
    try {
      // A long backlog is handled in passes of MAX_PER_PASS occurrences.
      for (let pass = 0; pass < 20 && this.running && (this.o.owns?.() ?? true); pass++) {
        if (!(await this.pass())) break;
      }
      const next = await this.o.repo.nextFireAt();
      if (next) wait = Math.max(0, Math.min(wait, next.getTime() - this.clock()));
    } catch (err) {
      this.log.error({ err }, 'scheduler pass failed; retrying');
    }
    if (this.running) this.timer = setTimeout(() => this.poke(), wait);
  }

  /** One claim-and-run pass; true when it found work. */
  private async pass(): Promise<boolean> {
    const now = this.clock();
    const tz = this.o.tz;
    const { claimed, skipped } = await this.o.repo.claimDue(new Date(now), 50, this.owner, (s) =>
      s.nextAt
        ? planOccurrences(
            { dtstart: s.dtstart.getTime(), rule: this.safeRule(s), nextAt: s.nextAt.getTime(), leadMs: s.leadS * 1000, catchUpMs: s.catchUpS * 1000 },
            tz,
            now,
          )
        : { fire: [], skip: [], next: null },
    );
    for (const s of skipped) {
      this.o.metrics.inc(M.runs[0], M.runs[1], { job: 'any', outcome: 'skipped' }, s.occurrences.length);
      this.log.warn(
        { scheduleId: s.scheduleId, skipped: s.occurrences.length, oldest: new Date(s.occurrences[0] ?? 0).toISOString() },
        'missed occurrences older than the catch-up window were skipped',
      );
    }
    const stale = await this.o.repo.reclaimStale(new Date(now), this.o.staleMs ?? 120_000, this.owner);
    for (const run of claimed) await this.run(run);
    for (const run of stale) {
      const late = this.clock() - (run.occurrenceAt.getTime() - run.leadS * 1000);
      if (late > run.catchUpS * 1000)
        await this.o.repo.finishRun(
          run.scheduleId,
          run.occurrenceAt,
          'skipped',
          late,
          { reason: 'claimed by a process that stopped; now older than the catch-up window' },
          new Date(this.clock()),
        );
      else await this.run(run);
    }
    return claimed.length + skipped.length + stale.length > 0;
  }

  /** A stored rule that no longer parses (cannot happen through the API) ends its schedule instead of failing every pass. */
  private safeRule(s: ScheduleRow): RRule | null {
    if (!s.rrule) return null;
    try {
      return parseRRule(s.rrule, this.o.tz);
    } catch (err) {
      this.log.error({ scheduleId: s.id, err }, 'stored recurrence rule is invalid; treating the schedule as one-off');
      return null;
    }
  }

  private async run(c: ClaimedRun): Promise<void> {
    const started = this.clock();
    const lateMs = Math.max(0, started - (c.occurrenceAt.getTime() - c.leadS * 1000));
    const handler = this.handlers.get(c.job);
    let outcome: 'fired' | 'failed' = 'fired';
    let detail: Record<string, unknown> = {};
    if (!handler) {
      outcome = 'failed';
      detail = { error: `no handler for job '${c.job}' in this service` };
    } else {
      try {
        detail = (await handler({ scheduleId: c.scheduleId, job: c.job, ref: c.ref, payload: c.payload, occurrenceAt: c.occurrenceAt, lateMs })) ?? {};
      } catch (err) {
        outcome = 'failed';
        detail = { error: (err as Error).message, code: (err as { code?: string }).code };
        this.log.error({ scheduleId: c.scheduleId, job: c.job, err }, 'scheduled job failed');
      }
    }
    this.o.metrics.inc(M.runs[0], M.runs[1], { job: c.job, outcome });
    this.o.metrics.set(M.lateness[0], M.lateness[1], lateMs, { job: c.job });
    await this.o.repo.finishRun(c.scheduleId, c.occurrenceAt, outcome, lateMs, detail, new Date(this.clock()));
  }
}
