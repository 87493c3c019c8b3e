import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { batchSize, emptyBatch, mergeBatches, refusedRowAsDeadLetter, splitBatch, type Batch } from './batch.ts';
import type { IngestRepository, WriteResult } from './ingest.repository.ts';
import { classifyWriteError, DeadlineError, type WriteErrorClass } from './write-errors.ts';

/**
 * The database could not take (the rest of) a batch for a reason that is not about its rows. `unwritten` is what was
 * not committed yet — the whole batch, or the part a bisection had not reached — and must go to the spool.
 */
export class WriteUnavailableError extends Error {
  readonly unwritten: Batch;
  readonly errorClass: WriteErrorClass;
  constructor(cause: unknown, unwritten: Batch) {
    super((cause as Error).message, { cause });
    this.name = 'WriteUnavailableError';
    this.unwritten = unwritten;
    this.errorClass = classifyWriteError(cause);
  }
}

const M = {
  retries: ['sw_ingest_write_retries_total', 'Batch writes retried after a deadlock or serialization failure'],
  storageRefused: ['sw_ingest_storage_refused_total', 'Rows the database refused on their own, kept as dead letters'],
  errors: ['sw_ingest_write_errors_total', 'Failed batch writes (one attempt each), by error class (data, conflict, unavailable)'],
} as const;

const MAX_CONFLICT_ATTEMPTS = 6;

/**
 * Writes one batch before a deadline, by the rules of write-errors.ts: conflicts are retried, a data error bisects the
 * batch down to the rows the database refuses on their own (each kept as a dead letter), anything else stops and hands
 * back what is still unwritten. A dead letter is only ever counted as kept once the database has it.
 */
export class BatchWriter {
  private readonly repo: IngestRepository;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly lastLog = new Map<string, number>();
  /** A write that passed its deadline keeps its connection until the database answers: known, so replay can wait for it. */
  private readonly late = new Set<Promise<unknown>>();

  constructor(repo: IngestRepository, metrics: Metrics, log: Logger) {
    this.repo = repo;
    this.metrics = metrics;
    this.log = log;
  }

  /** Writes still running after their deadline (each holds a database connection). */
  get lateWrites(): number {
    return this.late.size;
  }

  /** Resolves once every write that passed its deadline has finished, or after `ms`. */
  async settleLate(ms: number): Promise<void> {
    if (!this.late.size) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.late]), new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  }

  /** Throws WriteUnavailableError (with the unwritten rows) when the batch cannot be stored now. */
  async write(batch: Batch, deadlineAt: number): Promise<WriteResult> {
    try {
      return await this.attempt(batch, deadlineAt);
    } catch (err) {
      if (err instanceof WriteUnavailableError) throw err;
      if (classifyWriteError(err) !== 'data') throw new WriteUnavailableError(err, batch);
      return this.bisect(batch, err, deadlineAt);
    }
  }

  private async bisect(batch: Batch, err: unknown, deadlineAt: number): Promise<WriteResult> {
    const size = batchSize(batch);
    if (size === 1) return this.keepRefusedRow(batch, err, deadlineAt);
    const [a, b] = splitBatch(batch);
    let ra: WriteResult;
    try {
      ra = await this.write(a, deadlineAt);
    } catch (e) {
      // The second half was never tried: it is unwritten too.
      if (e instanceof WriteUnavailableError) throw new WriteUnavailableError(e.cause, mergeBatches([e.unwritten, b]));
      throw e;
    }
    const rb = await this.write(b, deadlineAt);
    return { telemetryInserted: ra.telemetryInserted + rb.telemetryInserted, eventsInserted: ra.eventsInserted + rb.eventsInserted };
  }

  /** One row the database refused on its own: stored as a dead letter with the database's reason, or not acknowledged. */
  private async keepRefusedRow(row: Batch, err: unknown, deadlineAt: number): Promise<WriteResult> {
    const message = (err as Error).message;
    if (row.deadLetters.length === 1) {
      // Our own dead-letter row refused: nothing smaller is left to keep, so the batch goes to the spool (and, if it is
      // refused again there, to the quarantine) instead of being acknowledged as stored.
      throw new WriteUnavailableError(Object.assign(new Error(`dead letter refused by the database: ${message}`), { code: 'DEAD_LETTER_REFUSED' }), row);
    }
    const dl = refusedRowAsDeadLetter(row, message);
    try {
      await this.attempt({ ...emptyBatch(), deadLetters: [dl] }, deadlineAt);
    } catch (e) {
      throw new WriteUnavailableError(e, row);
    }
    this.metrics.inc(M.storageRefused[0], M.storageRefused[1]);
    this.logRateLimited(`storage:${dl.deviceId ?? ''}`, { deviceId: dl.deviceId, err: message }, 'row refused by the database: kept as a dead letter');
    return { telemetryInserted: row.telemetry.length, eventsInserted: 0 };
  }

  /** One batch write within the deadline, retried when the database aborted it only to break a lock conflict. */
  private async attempt(batch: Batch, deadlineAt: number): Promise<WriteResult> {
    for (let n = 1; ; n++) {
      const ms = deadlineAt - Date.now();
      try {
        if (ms <= 0) throw new DeadlineError(0);
        return await this.withDeadline(this.repo.writeBatch(batch), ms);
      } catch (err) {
        const cls = classifyWriteError(err);
        this.metrics.inc(M.errors[0], M.errors[1], { class: cls });
        if (cls !== 'conflict' || n >= MAX_CONFLICT_ATTEMPTS) throw err;
        this.metrics.inc(M.retries[0], M.retries[1]);
        await new Promise((r) => setTimeout(r, 10 * n + Math.random() * 20 * n));
      }
    }
  }

  private withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        this.track(p);
        reject(new DeadlineError(ms));
      }, ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(t));
  }

  private track(p: Promise<unknown>): void {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.late.add(settled);
    void settled.then(() => this.late.delete(settled));
  }

  private logRateLimited(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if ((this.lastLog.get(key) ?? 0) + 10_000 > now) return;
    this.lastLog.set(key, now);
    if (this.lastLog.size > 50_000) this.lastLog.clear();
    this.log.warn(obj, msg);
  }
}
