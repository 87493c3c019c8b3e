import { randomBytes } from 'node:crypto';
import { getKind } from '../../devices/index.ts';
import type { InboundMessage, InboundSink, RefusedPublish } from '../broker/broker.service.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { AckInbox, toCommandAck, type AckConsumer, type CommandAck } from './ack-inbox.ts';
import { addDecoded, batchSize, emptyBatch, isoTime, payloadForStorage, type Batch, type DeadLetterRow } from './batch.ts';
import { BatchWriter, type WriteUnavailableError } from './batch-writer.ts';
import { decodeMessage, type DecodeLimits } from './decoder.ts';
import { IngestHealth, type IngestHealthState } from './ingest-health.ts';
import { protectEventData, redactPayload, redactReason } from './personal-data.ts';
import type { IngestRepository, WriteResult } from './ingest.repository.ts';
import { SpoolReplayer } from './spool-replayer.ts';
import { SpoolRefusedError, type Spool } from './spool.ts';
import { DeadlineError } from './write-errors.ts';

export type { AckConsumer, CommandAck } from './ack-inbox.ts';

export interface IngestOptions {
  repo: IngestRepository;
  spool: Spool;
  log: Logger;
  metrics: Metrics;
  batchRows: number;
  batchWaitMs: number;
  replayIntervalMs: number;
  limits: DecodeLimits;
  /**
   * Longest a message waits for the database — for a writer slot, then for its batch's commit — before the batch goes to
   * the disk spool instead. Bounds the PUBACK delay whatever the database does.
   */
  ackDeadlineMs?: number;
  /** A commit slower than this makes ingest "degraded" in /ready. */
  slowWriteMs?: number;
  maxConcurrentWrites?: number;
  /** Key of the HMAC that replaces personal fields of events (services/ingest/personal-data.ts); absent: they are redacted. */
  personalKey?: Buffer;
}

/** Told once a message is durable (no argument), or that it could not be kept anywhere. */
type Done = (err?: Error) => void;

interface Pending {
  batch: Batch;
  waiters: Done[];
  /** Broker receipt times (epoch ms) of the messages waiting for a PUBACK, for the ack-delay histogram. */
  receivedAt: number[];
  /** Accepted messages per channel, counted in the metrics once per batch rather than once per message. */
  accepted: Record<string, number>;
  /** When its first message arrived: the ack deadline runs from here. */
  openedAt: number;
}

const emptyPending = (): Pending => ({ batch: emptyBatch(), waiters: [], receivedAt: [], accepted: {}, openedAt: 0 });

const M = {
  messages: ['sw_ingest_messages_total', 'Device messages handled by ingest, by channel and result'],
  rejected: ['sw_ingest_rejected_total', 'Device messages refused by ingest, by reason'],
  sanitized: ['sw_ingest_sanitized_characters_total', 'Characters ingest removed or replaced (U+0000, lone surrogates) before storing, by channel'],
  batches: ['sw_ingest_batches_total', 'Batches written, by target (db or spool)'],
  duplicates: ['sw_ingest_duplicates_total', 'Telemetry rows ignored as redelivered duplicates'],
  spool: ['sw_ingest_spool_batches', 'Batches waiting in the disk spool'],
  spoolBytes: ['sw_ingest_spool_bytes', 'Bytes of the batches waiting in the disk spool'],
  quarantined: ['sw_ingest_spool_quarantined_batches', 'Spooled batches set aside in spool/poison for an operator'],
  failures: ['sw_ingest_write_failures_total', 'Database batch writes that failed'],
  spoolRefused: ['sw_ingest_spool_refused_total', 'Batches neither the database nor the spool took (no PUBACK), by reason'],
  ack: ['sw_ingest_ack_seconds', 'Broker receipt to durable (the PUBACK delay) per device message, by target (db or spool)'],
  commit: ['sw_ingest_commit_seconds', 'Duration of one batch write, by target (db or spool)'],
} as const;

/** Replay writes have no device waiting on them: a slow database may take this long per transaction. */
const REPLAY_WRITE_TIMEOUT_MS = 60_000;

/**
 * Decodes device messages, batches them, and makes each durable before its PUBACK: committed to the database, or —
 * when the database is unreachable, refusing writes or slower than the ack deadline — fsynced to the disk spool and
 * replayed later. Nothing is acknowledged that is in neither (README "Delivery guarantee"). All inserts are idempotent,
 * so a redelivered message or a batch written twice never duplicates rows.
 *
 * While every writer is busy the open batch keeps filling instead of queueing behind them, so a slow database gets
 * fewer, larger transactions and the wait stays bounded by the deadline.
 */
export class IngestService implements InboundSink {
  private readonly o: IngestOptions;
  private readonly log: Logger;
  private readonly writer: BatchWriter;
  private readonly replayer: SpoolReplayer;
  private readonly health: IngestHealth;
  private readonly inbox: AckInbox;
  private readonly deadlineMs: number;
  private readonly maxWriters: number;
  private pending: Pending = emptyPending();
  private timer: NodeJS.Timeout | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  /** Sealed batches waiting for a writer (only when the open batch reached batchRows with every writer busy). */
  private readonly queue: Pending[] = [];
  private queueTimer: NodeJS.Timeout | undefined;
  private writers = 0;
  /** The open batch is due but every writer is busy: the next writer to free up takes it. */
  private awaitingWriter = false;
  private spoolMode = false;
  private replaying: Promise<void> | null = null;
  private lastDbWriteAt = 0;
  private stopped = false;
  private readonly ackListeners: ((ack: CommandAck) => void)[] = [];
  private readonly batchListeners: ((b: Batch) => void)[] = [];
  private readonly lastLog = new Map<string, number>();
  private readonly keyPrefix = randomBytes(6).toString('hex');
  private keySeq = 0;

  constructor(opts: IngestOptions) {
    this.o = opts;
    this.log = opts.log.child({ module: 'ingest' });
    this.deadlineMs = opts.ackDeadlineMs ?? 5000;
    this.maxWriters = opts.maxConcurrentWrites ?? 4;
    this.writer = new BatchWriter(opts.repo, opts.metrics, this.log);
    this.health = new IngestHealth(this.log, opts.slowWriteMs ?? 1000);
    this.inbox = new AckInbox(opts.repo, this.log);
    this.replayer = new SpoolReplayer({
      spool: opts.spool,
      writer: this.writer,
      log: this.log,
      metrics: opts.metrics,
      maxRows: opts.batchRows,
      writeTimeoutMs: REPLAY_WRITE_TIMEOUT_MS,
      onWritten: (b) => this.inbox.deliver(b.acks ?? []),
      lastDatabaseWriteAt: () => this.lastDbWriteAt,
    });
    opts.metrics.onCollect(() => {
      opts.metrics.set(M.spool[0], M.spool[1], opts.spool.size);
      opts.metrics.set(M.spoolBytes[0], M.spoolBytes[1], opts.spool.bytes);
      opts.metrics.set(M.quarantined[0], M.quarantined[1], opts.spool.quarantined.batches);
    });
  }

  start(): void {
    if (this.o.spool.size > 0)
      this.log.warn({ batches: this.o.spool.size, bytes: this.o.spool.bytes }, 'spool holds batches from an earlier outage; replaying');
    if (this.o.spool.quarantined.batches > 0) this.log.warn({ ...this.o.spool.quarantined }, 'spool/poison holds quarantined batches: see docs/durability.md');
    this.replayTimer = setInterval(() => void this.tick(), this.o.replayIntervalMs);
    this.replayTimer.unref();
    this.healthTimer = setInterval(() => this.readiness(), 1000);
    this.healthTimer.unref();
    void this.replay();
  }

  private async tick(): Promise<void> {
    await this.replay();
    // Acks whose hand-over failed (database away after the commit): 10 s old, so none is still being handed over.
    await this.inbox.drain(10);
  }

  /** Called after a batch is durable, for every command acknowledgement it held (not necessarily recorded yet). */
  onAck(fn: (ack: CommandAck) => void): void {
    this.ackListeners.push(fn);
  }

  /**
   * The durable path for command acks: `fn` gets the acks of every batch once it is in the database (live or replayed),
   * and at start whatever an earlier run stored but did not see applied. It must be idempotent.
   */
  consumeAcks(fn: AckConsumer): void {
    this.inbox.setConsumer(fn);
    void this.inbox.drain(0);
  }

  /** Called after each batch is durable (database or spool), for modules that react to data (health, alarms). */
  onBatch(fn: (b: Batch) => void): void {
    this.batchListeners.push(fn);
  }

  get spooling(): boolean {
    return this.spoolMode;
  }

  /** Ingest's part of /ready; logs when it changes. */
  readiness(): IngestHealthState & { spooledBatches: number; spooledBytes: number; quarantinedBatches: number } {
    const facts = { spooling: this.spoolMode, spooledBatches: this.o.spool.size, quarantinedBatches: this.o.spool.quarantined.batches };
    return {
      ...this.health.report(facts),
      spooledBatches: facts.spooledBatches,
      spooledBytes: this.o.spool.bytes,
      quarantinedBatches: facts.quarantinedBatches,
    };
  }

  accept(msg: InboundMessage): Promise<void> {
    return new Promise((resolve, reject) => this.acceptWith(msg, (err) => (err ? reject(err) : resolve())));
  }

  /** accept() for the broker's hot path: `done` is called once the message is durable, without a promise per message. */
  acceptWith(msg: InboundMessage, done: Done): void {
    let r: ReturnType<typeof decodeMessage>;
    try {
      const kind = getKind(msg.kind);
      r = decodeMessage(kind, msg.channel, msg.payload, msg.receivedAt, this.o.limits);
      if (r.ok && r.value.type === 'event') r.value.data = protectEventData(kind, r.value.event, r.value.data, this.o.personalKey ?? null);
    } catch (err) {
      // A decoder bug must cost one dead letter, never the broker (this runs inside its packet handler).
      r = { ok: false, code: 'WRONG_TYPE', reason: `payload could not be checked: ${(err as Error).message}` };
    }
    const b = this.pending.batch;
    const received = msg.receivedAt.getTime();
    const seen = isoTime(received);
    if (!r.ok) {
      this.o.metrics.inc(M.messages[0], M.messages[1], { channel: msg.channel, result: 'rejected' });
      this.o.metrics.inc(M.rejected[0], M.rejected[1], { reason: r.code });
      this.logRateLimited(
        `${msg.deviceId}:${r.code}`,
        { deviceId: msg.deviceId, topic: msg.topic, code: r.code, reason: redactReason(r.reason) },
        'message refused',
      );
      // Personal data never reaches a dead letter in clear (docs/wifi-marketing.md): scrubbed before it is queued.
      b.deadLetters.push(
        this.deadLetter({
          receivedAt: seen,
          deviceId: msg.deviceId,
          topic: msg.topic,
          reasonCode: r.code,
          reason: redactReason(r.reason),
          payload: redactPayload(payloadForStorage(msg.payload)),
          payloadSize: msg.payload.length,
        }),
      );
      return this.enqueue(done, received);
    }
    if (r.sanitized > 0) {
      this.o.metrics.inc(M.sanitized[0], M.sanitized[1], { channel: msg.channel }, r.sanitized);
      this.logRateLimited(
        `${msg.deviceId}:sanitized`,
        { deviceId: msg.deviceId, topic: msg.topic, characters: r.sanitized },
        'message text cleaned: U+0000 removed, lone surrogates replaced by U+FFFD',
      );
    }
    const accepted = this.pending.accepted;
    accepted[msg.channel] = (accepted[msg.channel] ?? 0) + 1;
    addDecoded(b, msg.deviceId, r.value, seen);
    this.enqueue(done, received);
  }

  refused(r: RefusedPublish): void {
    this.pending.batch.deadLetters.push(
      this.deadLetter({
        receivedAt: new Date().toISOString(),
        deviceId: r.deviceId || null,
        topic: r.topic,
        reasonCode: r.code,
        reason: redactReason(r.reason),
        payload: redactPayload(payloadForStorage(r.payload)),
        payloadSize: r.payload.length,
      }),
    );
    this.enqueue((err) => {
      if (err) this.log.error({ err }, 'refused publish not recorded');
    });
  }

  connection(deviceId: string, _kind: string, connected: boolean, reason: string, at?: Date): void {
    const now = (at ?? new Date()).toISOString();
    this.pending.batch.statuses.push({ time: now, deviceId, online: connected, reason });
    this.enqueue((err) => {
      if (err) this.log.error({ err, deviceId }, 'status change not recorded');
    });
  }

  /** A dead letter with its idempotency key (unique per process start and message). */
  private deadLetter(d: Omit<DeadLetterRow, 'key'>): DeadLetterRow {
    return { key: `${this.keyPrefix}-${(this.keySeq++).toString(36)}`, ...d };
  }

  private enqueue(done: Done, receivedAt?: number): void {
    const p = this.pending;
    if (p.waiters.length === 0) p.openedAt = receivedAt ?? Date.now();
    p.waiters.push(done);
    if (receivedAt !== undefined) p.receivedAt.push(receivedAt);
    if (batchSize(p.batch) >= this.o.batchRows) this.seal();
    else this.timer ??= setTimeout(this.flushFn, this.o.batchWaitMs);
  }

  private readonly flushFn = (): void => {
    this.timer = undefined;
    if (this.spoolMode || this.writers < this.maxWriters || this.stopped) return this.seal();
    // Every writer is busy: keep filling this batch; a writer that frees up takes it, or its deadline sends it to the spool.
    const left = this.pending.openedAt + this.deadlineMs - Date.now();
    if (left <= 0) return this.seal();
    this.awaitingWriter = true;
    this.timer = setTimeout(this.flushFn, left);
  };

  /** Closes the open batch and hands it on: to a free writer, to the queue, or (deadline passed) to the spool. */
  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.awaitingWriter = false;
    const p = this.pending;
    if (p.waiters.length === 0) return;
    this.pending = emptyPending();
    for (const channel in p.accepted) this.o.metrics.inc(M.messages[0], M.messages[1], { channel, result: 'accepted' }, p.accepted[channel]);
    this.queue.push(p);
    this.pump();
  }

  private pump(): void {
    const now = Date.now();
    while (this.queue.length) {
      const p = this.queue[0]!;
      const late = p.openedAt + this.deadlineMs <= now;
      if (!late && !this.spoolMode && this.writers >= this.maxWriters) break;
      this.queue.shift();
      if (late && !this.spoolMode) {
        this.health.noteDeadlineMissed(now);
        this.enterSpoolMode(new DeadlineError(this.deadlineMs));
      }
      // The spool needs no writer slot (a file write and an fsync); the database does.
      const toDb = !late && !this.spoolMode;
      if (toDb) this.writers++;
      this.track(this.write(p, toDb).finally(() => (toDb ? this.released() : undefined)));
    }
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    const head = this.queue[0];
    if (head) this.queueTimer = setTimeout(() => this.pump(), Math.max(0, head.openedAt + this.deadlineMs - now));
  }

  private released(): void {
    this.writers--;
    if (this.queue.length) return this.pump();
    // The open batch waited for this writer (flushFn): take it now.
    if (this.awaitingWriter) this.seal();
  }

  private track(job: Promise<void>): void {
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
  }

  private async write(p: Pending, toDb: boolean): Promise<void> {
    let batch = p.batch;
    if (toDb) {
      const t0 = performance.now();
      try {
        const r = await this.writer.write(batch, p.openedAt + this.deadlineMs);
        this.committed(p, r, (performance.now() - t0) / 1000);
        return;
      } catch (err) {
        const e = err as WriteUnavailableError;
        this.o.metrics.inc(M.failures[0], M.failures[1]);
        if (e.cause instanceof DeadlineError) this.health.noteDeadlineMissed();
        this.enterSpoolMode(e);
        batch = e.unwritten ?? batch;
      }
    }
    const t0 = performance.now();
    try {
      await this.o.spool.append(batch);
    } catch (err) {
      return this.fail(p, err as Error);
    }
    this.o.metrics.observe(M.commit[0], M.commit[1], (performance.now() - t0) / 1000, { target: 'spool' });
    this.o.metrics.inc(M.batches[0], M.batches[1], { target: 'spool' });
    this.settle(p, 'spool');
  }

  private committed(p: Pending, r: WriteResult, seconds: number): void {
    this.lastDbWriteAt = Date.now();
    this.health.noteCommit(seconds * 1000);
    this.o.metrics.observe(M.commit[0], M.commit[1], seconds, { target: 'db' });
    this.o.metrics.inc(M.batches[0], M.batches[1], { target: 'db' });
    const dup = p.batch.telemetry.length - r.telemetryInserted;
    if (dup > 0) this.o.metrics.inc(M.duplicates[0], M.duplicates[1], {}, dup);
    this.settle(p, 'db');
    this.inbox.deliver(p.batch.acks ?? []);
  }

  /** Neither the database nor the disk took the batch: the devices get no PUBACK and will resend. */
  private fail(p: Pending, err: Error): void {
    const reason = err instanceof SpoolRefusedError ? err.reason : 'write_error';
    this.o.metrics.inc(M.spoolRefused[0], M.spoolRefused[1], { reason });
    this.health.noteRefused(err.message);
    this.logRateLimited(
      `refused:${reason}`,
      { err, reason, rows: batchSize(p.batch), messages: p.receivedAt.length },
      'batch could not be made durable: no PUBACK, devices will resend',
    );
    for (const w of p.waiters) this.safely(() => w(err));
  }

  private settle(p: Pending, target: 'db' | 'spool'): void {
    const now = Date.now();
    this.o.metrics.observeEach(
      M.ack[0],
      M.ack[1],
      p.receivedAt.map((t) => Math.max(0, now - t) / 1000),
      { target },
    );
    for (const w of p.waiters) this.safely(w);
    if (this.ackListeners.length) for (const a of p.batch.acks ?? []) for (const fn of this.ackListeners) this.safely(() => fn(toCommandAck(a)));
    for (const fn of this.batchListeners) this.safely(() => fn(p.batch));
  }

  /** A listener's (or a waiter's) bug must not turn a durable batch into a failed PUBACK for the others. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, 'ingest listener failed');
    }
  }

  private enterSpoolMode(err: Error): void {
    if (this.spoolMode) return;
    this.spoolMode = true;
    this.log.error({ err, class: (err as WriteUnavailableError).errorClass }, 'database did not take a batch: spooling to disk until it does');
  }

  /** Writes a batch through the ingest write path (deadline, retries, bisection), as a flush would; throws if unavailable. */
  writeResilient(batch: Batch): Promise<WriteResult> {
    return this.writer.write(batch, Date.now() + this.deadlineMs);
  }

  /**
   * Replays the spool (spool-replayer.ts). Once a pass has written what was spooled when it began, new batches go to
   * the database again and what was spooled meanwhile drains behind them (all writes are idempotent).
   */
  replay(): Promise<void> {
    // `.finally` runs after the assignment even when the passes finish at once (an empty spool).
    this.replaying ??= this.replayPasses().finally(() => {
      this.replaying = null;
    });
    return this.replaying;
  }

  private async replayPasses(): Promise<void> {
    try {
      // files(), not size: it also sees batches put back into the spool by hand (from poison/).
      for (let pass = 0; pass < 100 && this.o.spool.files().length > 0 && !this.stopped; pass++) {
        const r = await this.replayer.pass();
        if (r.databaseWrites || r.drained) this.leaveSpoolMode();
        if (!r.written) break;
      }
      if (this.o.spool.size === 0) this.leaveSpoolMode();
    } catch (err) {
      this.log.error({ err }, 'spool replay failed');
    }
  }

  private leaveSpoolMode(): void {
    if (!this.spoolMode) return;
    this.spoolMode = false;
    this.log.info({ spooled: this.o.spool.size }, 'database takes writes again: writing directly, replaying what is still spooled');
  }

  /** Drains: writes what is buffered and waits for writers (and acks being handed over) to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.replayTimer) clearInterval(this.replayTimer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.seal();
    while (this.inflight.size || this.queue.length) {
      this.pump();
      await Promise.allSettled([...this.inflight]);
      if (this.queue.length && !this.inflight.size) await new Promise((r) => setTimeout(r, 10));
    }
    clearTimeout(this.queueTimer);
    await this.replaying;
    await this.inbox.stop();
  }

  private logRateLimited(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if ((this.lastLog.get(key) ?? 0) + 10_000 > now) return;
    this.lastLog.set(key, now);
    if (this.lastLog.size > 50_000) this.lastLog.clear();
    this.log.warn(obj, msg);
  }
}
