import type { Logger } from '../common/logger.ts';
import type { AckRow } from './batch.ts';
import type { AckStatus } from './decoder.ts';
import type { IngestRepository } from './ingest.repository.ts';

export interface CommandAck {
  deviceId: string;
  commandId: string;
  status: AckStatus;
  time: Date;
  result: Record<string, unknown>;
  error: string | null;
}

/** Applies durable command acks (the control module); resolves once they are recorded, so they can be forgotten here. */
export type AckConsumer = (acks: CommandAck[]) => Promise<void>;

const DRAIN_PAGE = 500;

export const toCommandAck = (a: AckRow): CommandAck => ({
  deviceId: a.deviceId,
  commandId: a.commandId,
  status: a.status as AckStatus,
  time: new Date(a.time),
  result: a.result,
  error: a.error,
});

/**
 * Command acks are stored with their batch (table ingest_command_acks) before their PUBACK. Once a batch is in the
 * database its acks go to the consumer and are deleted after it recorded them; whatever a crash, a failed consumer or a
 * database outage left behind is handed over again by `drain` (at start and then periodically). Consumers must be
 * idempotent: an ack may be handed over twice, never lost.
 */
export class AckInbox {
  private readonly repo: IngestRepository;
  private readonly log: Logger;
  private consumer: AckConsumer | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private draining: Promise<void> | null = null;

  constructor(repo: IngestRepository, log: Logger) {
    this.repo = repo;
    this.log = log;
  }

  get hasConsumer(): boolean {
    return this.consumer !== null;
  }

  setConsumer(fn: AckConsumer): void {
    this.consumer = fn;
  }

  /** The acks of a batch that just committed. */
  deliver(rows: AckRow[]): void {
    if (!rows.length || !this.consumer) return;
    const job = this.handOver(rows).catch((err: Error) => this.log.warn({ err, acks: rows.length }, 'command acks not applied yet; kept for the next drain'));
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
  }

  private async handOver(rows: AckRow[]): Promise<void> {
    await this.consumer!(rows.map(toCommandAck));
    await this.repo.deleteAcks(rows);
  }

  /** Hands over stored acks older than `minAgeS` (0 at start: nothing is in flight yet). One drain at a time. */
  drain(minAgeS: number): Promise<void> {
    if (!this.consumer) return Promise.resolve();
    this.draining ??= this.drainPages(minAgeS).finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainPages(minAgeS: number): Promise<void> {
    try {
      for (let page = 0; page < 200; page++) {
        const rows = await this.repo.pendingAcks(DRAIN_PAGE, minAgeS);
        if (!rows.length) break;
        await this.handOver(rows);
        if (page === 0) this.log.info({ acks: rows.length }, 'applied stored command acks left from before (restart or outage)');
        if (rows.length < DRAIN_PAGE) break;
      }
    } catch (err) {
      this.log.debug({ err }, 'stored command acks not drained now; next time');
    }
  }

  async stop(): Promise<void> {
    await this.draining;
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}
