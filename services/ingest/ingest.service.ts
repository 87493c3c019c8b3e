import { getKind } from '../../devices/index.ts';
import type { InboundMessage, InboundSink, RefusedPublish } from '../broker/broker.service.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { batchSize, emptyBatch, isoTime, payloadForStorage, refusedRowAsDeadLetter, splitBatch, type Batch } from './batch.ts';
import { decodeMessage, type AckStatus, type DecodeLimits } from './decoder.ts';
import type { IngestRepository, WriteResult } from './ingest.repository.ts';
import type { Spool } from './spool.ts';

export interface CommandAck {
  deviceId: string;
  commandId: string;
  status: AckStatus;
  time: Date;
  result: Record<string, unknown>;
  error: string | null;
}

export interface IngestOptions {
  repo: IngestRepository;
  spool: Spool;
  log: Logger;
  metrics: Metrics;
  batchRows: number;
  batchWaitMs: number;
  replayIntervalMs: number;
  limits: DecodeLimits;
  /** A database write slower than this is treated as an outage and the batch goes to the spool. */
  writeTimeoutMs?: number;
  maxConcurrentWrites?: number;
}

/** Told once a message is durable (no argument), or that it could not be kept anywhere. */
type Done = (err?: Error) => void;

interface Pending {
  batch: Batch;
  acks: CommandAck[];
  waiters: Done[];
  /** Accepted messages per channel, counted in the metrics once per batch rather than once per message. */
  accepted: Record<string, number>;
}

const emptyPending = (): Pending => ({ batch: emptyBatch(), acks: [], waiters: [], accepted: {} });

const M = {
  messages: ['sw_ingest_messages_total', 'Device messages handled by ingest, by channel and result'],
  rejected: ['sw_ingest_rejected_total', 'Device messages refused by ingest, by reason'],
  batches: ['sw_ingest_batches_total', 'Batches written, by target (db or spool)'],
  duplicates: ['sw_ingest_duplicates_total', 'Telemetry rows ignored as redelivered duplicates'],
  spool: ['sw_ingest_spool_batches', 'Batches waiting in the disk spool'],
  failures: ['sw_ingest_write_failures_total', 'Database batch writes that failed'],
  retries: ['sw_ingest_write_retries_total', 'Batch writes retried after a deadlock or serialization failure'],
  storageRefused: ['sw_ingest_storage_refused_total', 'Rows the database refused on their own, kept as dead letters'],
  unstorable: ['sw_ingest_unstorable_total', 'Dead letters the database refused too (logged in full)'],
} as const;

/**
 * Decodes device messages, batches them, and makes each durable before its PUBACK: committed to the database, or
 * (during an outage) fsynced to the disk spool and replayed later. All inserts are idempotent, so a redelivered
 * message or a replayed batch never duplicates rows.
 */
export class IngestService implements InboundSink {
  private readonly o: IngestOptions;
  private readonly log: Logger;
  private pending: Pending = emptyPending();
  private timer: NodeJS.Timeout | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  private writers = 0;
  private readonly slotQueue: (() => void)[] = [];
  private spoolMode = false;
  private replaying = false;
  private readonly replayFailures = new Map<string, number>();
  private readonly ackListeners: ((ack: CommandAck) => void)[] = [];
  private readonly batchListeners: ((b: Batch) => void)[] = [];
  private readonly lastLog = new Map<string, number>();

  constructor(opts: IngestOptions) {
    this.o = opts;
    this.log = opts.log.child({ module: 'ingest' });
    opts.metrics.onCollect(() => opts.metrics.set(M.spool[0], M.spool[1], opts.spool.size));
  }

  start(): void {
    if (this.o.spool.size > 0) this.log.warn({ batches: this.o.spool.size }, 'spool holds batches from an earlier outage; replaying');
    this.replayTimer = setInterval(() => void this.replay(), this.o.replayIntervalMs);
    this.replayTimer.unref();
    void this.replay();
  }

  /** Called after a batch is durable, for every command acknowledgement it held. */
  onAck(fn: (ack: CommandAck) => void): void {
    this.ackListeners.push(fn);
  }

  /** Called after each batch is durable (database or spool), for modules that react to data (health, alarms). */
  onBatch(fn: (b: Batch) => void): void {
    this.batchListeners.push(fn);
  }

  get spooling(): boolean {
    return this.spoolMode;
  }

  accept(msg: InboundMessage): Promise<void> {
    return new Promise((resolve, reject) => this.acceptWith(msg, (err) => (err ? reject(err) : resolve())));
  }

  /** accept() for the broker's hot path: `done` is called once the message is durable, without a promise per message. */
  acceptWith(msg: InboundMessage, done: Done): void {
    let r: ReturnType<typeof decodeMessage>;
    try {
      r = decodeMessage(getKind(msg.kind), msg.channel, msg.payload, msg.receivedAt, this.o.limits);
    } catch (err) {
      // A decoder bug must cost one dead letter, never the broker (this runs inside its packet handler).
      r = { ok: false, code: 'WRONG_TYPE', reason: `payload could not be checked: ${(err as Error).message}` };
    }
    const b = this.pending.batch;
    const seen = isoTime(msg.receivedAt.getTime());
    if (!r.ok) {
      this.o.metrics.inc(M.messages[0], M.messages[1], { channel: msg.channel, result: 'rejected' });
      this.o.metrics.inc(M.rejected[0], M.rejected[1], { reason: r.code });
      this.logRateLimited(`${msg.deviceId}:${r.code}`, { deviceId: msg.deviceId, topic: msg.topic, code: r.code, reason: r.reason }, 'message refused');
      b.deadLetters.push({ receivedAt: seen, deviceId: msg.deviceId, topic: msg.topic, reasonCode: r.code, reason: r.reason, payload: payloadForStorage(msg.payload), payloadSize: msg.payload.length });
      return this.enqueue(done);
    }
    const accepted = this.pending.accepted;
    accepted[msg.channel] = (accepted[msg.channel] ?? 0) + 1;
    const v = r.value;
    const time = isoTime(v.time.getTime());
    switch (v.type) {
      case 'telemetry':
        if (Object.keys(v.numeric).length) b.telemetry.push({ time, deviceId: msg.deviceId, data: v.numeric });
        b.states.push({ deviceId: msg.deviceId, state: v.state, stateAt: time, lastSeen: seen });
        break;
      case 'event':
        b.events.push({ time, deviceId: msg.deviceId, event: v.event, active: v.active, severity: v.severity, data: v.data });
        b.states.push({ deviceId: msg.deviceId, state: {}, stateAt: null, lastSeen: seen });
        break;
      case 'status':
        b.statuses.push({ time, deviceId: msg.deviceId, online: v.online, reason: v.online ? 'birth' : 'last-will' });
        if (Object.keys(v.info).length) b.states.push({ deviceId: msg.deviceId, state: { status: v.info }, stateAt: time, lastSeen: seen });
        break;
      case 'ack':
        this.pending.acks.push({ deviceId: msg.deviceId, commandId: v.commandId, status: v.status, time: v.time, result: v.result, error: v.error });
        b.states.push({ deviceId: msg.deviceId, state: {}, stateAt: null, lastSeen: seen });
        break;
    }
    this.enqueue(done);
  }

  refused(r: RefusedPublish): void {
    this.pending.batch.deadLetters.push({
      receivedAt: new Date().toISOString(),
      deviceId: r.deviceId || null,
      topic: r.topic,
      reasonCode: r.code,
      reason: r.reason,
      payload: payloadForStorage(r.payload),
      payloadSize: r.payload.length,
    });
    this.enqueue((err) => {
      if (err) this.log.error({ err: err.message }, 'refused publish not recorded');
    });
  }

  connection(deviceId: string, _kind: string, connected: boolean, reason: string): void {
    const now = new Date().toISOString();
    this.pending.batch.statuses.push({ time: now, deviceId, online: connected, reason });
    this.enqueue((err) => {
      if (err) this.log.error({ err: err.message, deviceId }, 'status change not recorded');
    });
  }

  private enqueue(done: Done): void {
    this.pending.waiters.push(done);
    if (batchSize(this.pending.batch) >= this.o.batchRows) this.flush();
    else this.timer ??= setTimeout(this.flushFn, this.o.batchWaitMs);
  }

  private readonly flushFn = (): void => this.flush();

  /** Hands the current batch to a writer; several writers run at once so the next batch fills while one commits. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.pending;
    if (p.waiters.length === 0) return;
    this.pending = emptyPending();
    for (const channel in p.accepted) this.o.metrics.inc(M.messages[0], M.messages[1], { channel, result: 'accepted' }, p.accepted[channel]);
    const job = this.acquire()
      .then(() => this.write(p))
      .finally(() => {
        this.release();
        this.inflight.delete(job);
      });
    this.inflight.add(job);
  }

  private acquire(): Promise<void> {
    if (this.writers < (this.o.maxConcurrentWrites ?? 4)) {
      this.writers++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotQueue.push(resolve));
  }

  /** Passes the slot straight to the next waiting writer, or frees it. */
  private release(): void {
    const next = this.slotQueue.shift();
    if (next) next();
    else this.writers--;
  }

  private async write(p: Pending): Promise<void> {
    try {
      if (!this.spoolMode) {
        try {
          const r = await this.writeResilient(p.batch);
          this.o.metrics.inc(M.batches[0], M.batches[1], { target: 'db' });
          const dup = p.batch.telemetry.length - r.telemetryInserted;
          if (dup > 0) this.o.metrics.inc(M.duplicates[0], M.duplicates[1], {}, dup);
          this.settle(p);
          return;
        } catch (err) {
          this.o.metrics.inc(M.failures[0], M.failures[1]);
          this.enterSpoolMode(err as Error);
        }
      }
      await this.o.spool.append(p.batch);
      this.o.metrics.inc(M.batches[0], M.batches[1], { target: 'spool' });
      this.settle(p);
    } catch (err) {
      // Neither the database nor the disk took the batch: the devices get no PUBACK and will resend.
      this.log.error({ err: (err as Error).message, rows: batchSize(p.batch) }, 'batch could not be made durable');
      for (const w of p.waiters) this.safely(() => w(err as Error));
    }
  }

  /** One batch write, retried when the database aborted it only to break a lock conflict (deadlock, serialization). */
  private async writeOnce(batch: Batch): Promise<WriteResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTimeout(this.o.repo.writeBatch(batch), this.o.writeTimeoutMs ?? 10_000);
      } catch (err) {
        if (!isTransient(err) || attempt >= 6) throw err;
        this.o.metrics.inc(M.retries[0], M.retries[1]);
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Writes a batch; when the database refuses its data (not an outage), bisects it so every row it accepts is stored
   * and each row it refuses on its own becomes a dead letter with the database's reason. Outages are thrown (spool).
   */
  async writeResilient(batch: Batch): Promise<WriteResult> {
    try {
      return await this.writeOnce(batch);
    } catch (err) {
      if (isOutage(err)) throw err;
      const size = batchSize(batch);
      if (size === 0) throw err;
      if (size === 1) {
        if (batch.deadLetters.length === 1) {
          this.o.metrics.inc(M.unstorable[0], M.unstorable[1]);
          this.log.error({ err: (err as Error).message, deadLetter: batch.deadLetters[0] }, 'dead letter refused by the database: logged here instead');
          return { telemetryInserted: 0, eventsInserted: 0 };
        }
        const dl = refusedRowAsDeadLetter(batch, (err as Error).message);
        this.o.metrics.inc(M.storageRefused[0], M.storageRefused[1]);
        this.logRateLimited(`storage:${dl.deviceId ?? ''}`, { deviceId: dl.deviceId, err: (err as Error).message }, 'row refused by the database: kept as a dead letter');
        return this.writeResilient({ ...emptyBatch(), deadLetters: [dl] }).then(() => ({ telemetryInserted: batch.telemetry.length, eventsInserted: 0 }));
      }
      const [a, b] = splitBatch(batch);
      const ra = await this.writeResilient(a);
      const rb = await this.writeResilient(b);
      return { telemetryInserted: ra.telemetryInserted + rb.telemetryInserted, eventsInserted: ra.eventsInserted + rb.eventsInserted };
    }
  }

  private settle(p: Pending): void {
    for (const w of p.waiters) this.safely(w);
    for (const ack of p.acks) for (const fn of this.ackListeners) this.safely(() => fn(ack));
    for (const fn of this.batchListeners) this.safely(() => fn(p.batch));
  }

  /** A listener's (or a waiter's) bug must not turn a durable batch into a failed PUBACK for the others. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'ingest listener failed');
    }
  }

  private enterSpoolMode(err: Error): void {
    if (this.spoolMode) return;
    this.spoolMode = true;
    this.log.error({ err: err.message }, 'database write failed: spooling to disk until it recovers');
  }

  /**
   * Moves spooled batches into the database, oldest first. Once a pass has drained what was spooled when it began,
   * new batches go to the database again (under steady load the spool may never be empty at one instant), and the
   * files spooled meanwhile are drained behind them; all writes are idempotent, so the order does not matter.
   */
  async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      for (let pass = 0; pass < 1000; pass++) {
        const files = this.o.spool.files();
        if (files.length === 0) break;
        for (const file of files) {
          const batch = await this.o.spool.read(file);
          try {
            await this.writeResilient(batch);
          } catch (err) {
            if (!isOutage(err)) this.noteReplayFailure(file, err as Error);
            return;
          }
          await this.o.spool.remove(file);
          this.replayFailures.delete(file);
        }
        this.leaveSpoolMode();
      }
      this.leaveSpoolMode();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'spool replay failed');
    } finally {
      this.replaying = false;
    }
  }

  private leaveSpoolMode(): void {
    if (!this.spoolMode) return;
    this.spoolMode = false;
    this.log.info({ spooled: this.o.spool.size }, 'database is back: writing directly again, replaying what is still spooled');
  }

  private noteReplayFailure(file: string, err: Error): void {
    const n = (this.replayFailures.get(file) ?? 0) + 1;
    this.replayFailures.set(file, n);
    if (n >= 3) {
      this.o.spool.quarantine(file);
      this.replayFailures.delete(file);
      this.log.error({ file, err: err.message }, 'spooled batch refused three times: moved to spool/poison for an operator');
    }
  }

  /** Drains: writes what is buffered and waits for writers to finish. */
  async stop(): Promise<void> {
    if (this.replayTimer) clearInterval(this.replayTimer);
    this.flush();
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private logRateLimited(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if ((this.lastLog.get(key) ?? 0) + 10_000 > now) return;
    this.lastLog.set(key, now);
    if (this.lastLog.size > 50_000) this.lastLog.clear();
    this.log.warn(obj, msg);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(Object.assign(new Error(`database write took longer than ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** The database aborted the transaction to break a lock conflict; the same write can simply be tried again. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

/** Connection-class failures (the database is away) as opposed to the database refusing the data. */
export function isOutage(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  if (!code) return true;
  return code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code.startsWith('E') || code === 'ETIMEDOUT';
}
