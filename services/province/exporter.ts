/**
 * The outbox exporter: at-least-once delivery of NGSI-LD entities to the province. Entities are written to the outbox
 * in the database first (so a restart or an outage loses nothing), then pushed in batches; a failed message is retried
 * with exponential backoff and jitter, each message on its own schedule. Message ids are content hashes and NGSI-LD
 * upsert is idempotent, so a message delivered twice (an answer lost on the way back) changes nothing upstream.
 */
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { backoffMs, contentHash, messageId, type Entity } from './ngsi.ts';
import type { Backlog, ProvinceRepository } from './province.repository.ts';
import type { Upstream } from './upstream.ts';

export interface ExporterOptions {
  repo: ProvinceRepository;
  upstream: Upstream;
  log: Logger;
  metrics: Metrics;
  retryBaseMs: number;
  retryMaxMs: number;
  batchSize?: number;
  /** Longest idle wait between looks at the outbox. */
  pollMs?: number;
  clock?: () => number;
  random?: () => number;
}

/** A claimed batch is another process's to retry only after this (well past the push timeout, 15 s). */
const CLAIM_LEASE_MS = 60_000;

const M = {
  backlog: ['sw_province_outbox_backlog', 'Messages waiting in the province outbox'],
  oldest: ['sw_province_outbox_oldest_seconds', 'Age of the oldest message waiting in the province outbox'],
  delivered: ['sw_province_outbox_delivered_total', 'Messages the province context broker accepted'],
  rejected: ['sw_province_outbox_rejected_total', 'Messages the province refused for good (bad data), kept with the reason'],
  failures: ['sw_province_push_failures_total', 'Failed push attempts to the province (retried with backoff)'],
  enqueued: ['sw_province_outbox_enqueued_total', 'Changed entities put in the province outbox'],
} as const;

export class OutboxExporter {
  private readonly o: ExporterOptions;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;
  private last: Backlog | null = null;
  private failing = false;

  constructor(o: ExporterOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
    o.metrics.onCollect(() => {
      if (!this.last) return;
      o.metrics.set(M.backlog[0], M.backlog[1], this.last.pending);
      o.metrics.set(M.oldest[0], M.oldest[1], this.last.oldestPendingAt ? Math.max(0, (this.clock() - Date.parse(this.last.oldestPendingAt)) / 1000) : 0);
    });
  }

  /** Puts entities in the outbox (only those whose content changed since the last time). */
  async enqueue(entities: Entity[]): Promise<number> {
    const n = await this.o.repo.enqueue(entities.map((e) => ({ entity: e, messageId: messageId(e), hash: contentHash(e) })));
    if (n) {
      this.o.metrics.inc(M.enqueued[0], M.enqueued[1], {}, n);
      this.kick();
    }
    return n;
  }

  async backlog(): Promise<Backlog & { upstream: string; failing: boolean }> {
    this.note(await this.o.repo.backlog());
    return { ...(this.last as Backlog), upstream: this.o.upstream.description, failing: this.failing };
  }

  private note(b: Backlog): void {
    this.last = b;
    this.o.metrics.set(M.backlog[0], M.backlog[1], b.pending);
  }

  /** Messages waiting out a backoff are tried now (the admin's "retry now"); returns how many were rescheduled. */
  async retryNow(): Promise<number> {
    const n = await this.o.repo.retryNow(new Date(this.clock()));
    this.o.log.info({ rescheduled: n, upstream: this.o.upstream.description }, 'province outbox: retry now');
    this.kick();
    return n;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs a pass now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(10, ms));
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    const poll = this.o.pollMs ?? 5000;
    try {
      for (;;) {
        if (this.stopped) return;
        const batch = await this.o.repo.claimDue(new Date(this.clock()), this.o.batchSize ?? 100, CLAIM_LEASE_MS);
        if (!batch.length) break;
        const progressed = await this.pushBatch(batch);
        if (!progressed) break;
      }
      this.note(await this.o.repo.backlog());
      const next = await this.o.repo.nextAttemptAt();
      this.schedule(next ? Math.min(poll, next.getTime() - this.clock()) : poll);
    } catch (err) {
      // The database itself failed: try again later; nothing is lost (the outbox is in it).
      this.o.log.error({ err }, 'province outbox pass failed');
      this.schedule(poll);
    }
  }

  /** One push; returns whether anything was delivered (if not, wait for the backoff). */
  private async pushBatch(batch: { id: string; entityId: string; body: Entity; attempts: number }[]): Promise<boolean> {
    const byEntity = new Map(batch.map((b) => [b.entityId, b]));
    const r = await this.o.upstream.push(batch.map((b) => b.body));
    const ids = (list: string[]): string[] => list.flatMap((e) => (byEntity.get(e) ? [byEntity.get(e)!.id] : []));
    await this.o.repo.markDelivered(ids(r.ok));
    if (r.ok.length) this.o.metrics.inc(M.delivered[0], M.delivered[1], {}, r.ok.length);
    for (const x of r.rejected) {
      await this.o.repo.markRejected(ids([x.id]), x.error);
      this.o.metrics.inc(M.rejected[0], M.rejected[1]);
    }
    if (r.rejected.length)
      this.o.log.error({ rejected: r.rejected.slice(0, 5), count: r.rejected.length }, 'province refused entities (kept in the outbox as rejected)');
    if (r.retry.length) {
      const now = this.clock();
      await this.o.repo.markFailed(
        r.retry.flatMap((x) => {
          const b = byEntity.get(x.id);
          return b ? [{ id: b.id, nextAt: new Date(now + backoffMs(b.attempts + 1, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random)) }] : [];
        }),
        r.retry[0]?.error ?? 'error',
      );
      this.o.metrics.inc(M.failures[0], M.failures[1]);
      if (!this.failing)
        this.o.log.warn(
          { upstream: this.o.upstream.description, error: r.retry[0]?.error, waiting: r.retry.length },
          'province upstream not taking entities: retrying with backoff',
        );
      this.failing = true;
    } else if (this.failing) {
      this.failing = false;
      this.o.log.info({ upstream: this.o.upstream.description }, 'province upstream takes entities again');
    }
    return r.ok.length > 0 || r.rejected.length > 0;
  }
}
