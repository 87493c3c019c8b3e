import type { Logger } from '../common/logger.ts';

/**
 * What /ready says about ingest, and the log line at each change of it (never one per message):
 * - `ok`: batches commit to the database in time;
 * - `degraded`: messages are still made durable, but not the normal way — the database is slow (a batch write took
 *   longer than SW_INGEST_SLOW_WRITE_MS in the last 30 s, or one passed the ack deadline), it is unreachable or refusing
 *   writes (messages go to the disk spool), or spooled batches are being replayed;
 * - `down`: a message could not be made durable anywhere (spool full, disk floor, disk error): devices get no PUBACK.
 */
export type IngestStatus = 'ok' | 'degraded' | 'down';

export interface IngestHealthState {
  status: IngestStatus;
  /** Short codes of the reasons (stable while the state is: `spooling`, `replaying`, `deadline`, `slow`, `refused`). */
  codes: string[];
  reasons: string[];
}

export interface IngestFacts {
  spooling: boolean;
  spooledBatches: number;
  quarantinedBatches: number;
}

/** How long one slow write (or one refusal) keeps its reason in force. */
const HOLD_MS = 30_000;

export class IngestHealth {
  private readonly log: Logger;
  private readonly slowWriteMs: number;
  private slowUntil = 0;
  private slowestMs = 0;
  private deadlineUntil = 0;
  private refusedUntil = 0;
  private refusedReason = '';
  private lastKey = 'ok';

  constructor(log: Logger, slowWriteMs: number) {
    this.log = log;
    this.slowWriteMs = slowWriteMs;
  }

  /** One batch committed to the database, in `ms`. */
  noteCommit(ms: number, now = Date.now()): void {
    if (ms <= this.slowWriteMs) return;
    if (now > this.slowUntil) this.slowestMs = 0;
    this.slowestMs = Math.max(this.slowestMs, ms);
    this.slowUntil = now + HOLD_MS;
  }

  noteDeadlineMissed(now = Date.now()): void {
    this.deadlineUntil = now + HOLD_MS;
  }

  /** Neither the database nor the spool took a batch. */
  noteRefused(reason: string, now = Date.now()): void {
    this.refusedUntil = now + HOLD_MS;
    this.refusedReason = reason;
  }

  state(f: IngestFacts, now = Date.now()): IngestHealthState {
    if (now < this.refusedUntil) return { status: 'down', codes: ['refused'], reasons: [`messages refused (no PUBACK): ${this.refusedReason}`] };
    const codes: string[] = [];
    const reasons: string[] = [];
    const add = (code: string, text: string): void => {
      codes.push(code);
      reasons.push(text);
    };
    if (f.spooling) add('spooling', 'database unreachable or refusing writes: messages go to the disk spool');
    else if (f.spooledBatches > 0) add('replaying', `replaying ${f.spooledBatches} spooled batches into the database`);
    if (now < this.deadlineUntil) add('deadline', 'database missed the ack deadline (SW_INGEST_ACK_DEADLINE_MS): batches went to the spool');
    if (now < this.slowUntil)
      add('slow', `database slow: a batch write took ${Math.round(this.slowestMs)} ms (over SW_INGEST_SLOW_WRITE_MS=${this.slowWriteMs})`);
    return { status: codes.length ? 'degraded' : 'ok', codes, reasons };
  }

  /** Logs the state when it changed since the last call (called on a timer and by /ready). */
  report(f: IngestFacts, now = Date.now()): IngestHealthState {
    const s = this.state(f, now);
    // Codes, not texts: the numbers in a reason change while the state does not.
    const key = `${s.status}|${s.codes.join('|')}`;
    if (key !== this.lastKey) {
      this.lastKey = key;
      if (s.status === 'ok') this.log.info({ quarantinedBatches: f.quarantinedBatches }, 'ingest healthy again: batches commit to the database in time');
      else if (s.status === 'degraded') this.log.warn({ reasons: s.reasons }, 'ingest degraded');
      else this.log.error({ reasons: s.reasons }, 'ingest down: messages are refused');
    }
    return s;
  }
}
