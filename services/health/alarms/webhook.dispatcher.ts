import type { NetGuard } from '../../common/net-guard.ts';
import { createHmac } from 'node:crypto';
import { decryptSecret } from '../../common/crypto.ts';
import type { Logger } from '../../common/logger.ts';
import type { Metrics } from '../../common/metrics.ts';
import type { DueNotification, WebhookRepository } from './webhook.repository.ts';

export interface WebhookDispatcherOptions {
  /** Networks a webhook may be delivered to (SW_NETWORKS_WEBHOOK); absent: any. */
  guard?: NetGuard;
  repo: WebhookRepository;
  serviceKey: Buffer;
  log: Logger;
  metrics: Metrics;
  /** Delay before each retry; attempts = delays + 1. Default 1 s, 5 s, 30 s, 2 min, 10 min. */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /** Idle poll for due retries. */
  pollMs?: number;
  clock?: () => number;
  /** Cluster: whether this process runs the job now (a lease, services/cluster); absent = always. */
  owns?: () => boolean;
}

const DELIVERED = ['sw_alarm_webhook_deliveries_total', 'Alarm webhook delivery attempts, by result'] as const;

/**
 * HMAC-SHA-256 over "<timestamp>.<body>" with the webhook's secret, so a receiver can check both origin and freshness
 * (reject old timestamps to stop replays). Header: `X-SW-Signature: sha256=<hex>`, with `X-SW-Timestamp` (Unix s).
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Delivers the notification outbox: POST JSON, retried with back-off, marked failed after the last attempt. */
export class WebhookDispatcher {
  private readonly o: WebhookDispatcherOptions;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(o: WebhookDispatcherOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.o.pollMs ?? 1000);
    this.timer.unref();
    this.poke();
  }

  /** Something was queued: deliver now (coalesces concurrent pokes). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  private async drain(): Promise<void> {
    if (this.o.owns && !this.o.owns()) return;
    try {
      for (;;) {
        const due = await this.o.repo.due(this.clock(), 20);
        if (!due.length || this.stopped) return;
        await Promise.all(due.map((n) => this.deliver(n)));
      }
    } catch (err) {
      this.o.log.warn({ err }, 'webhook outbox pass failed');
    }
  }

  private async deliver(n: DueNotification): Promise<void> {
    const attempts = n.attempts + 1;
    const body = JSON.stringify({ ...n.payload, deliveryId: n.id, sentAt: new Date(this.clock()).toISOString() });
    const ts = Math.floor(this.clock() / 1000);
    let error: string;
    try {
      // fetch has no per-request lookup hook: the name is resolved and every address checked just before sending
      // (redirects are not followed, and the answer's body is read only to free the socket, never stored or shown).
      if (this.o.guard) await this.o.guard.checkResolved(n.url);
      const res = await fetch(n.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'smartward-alarms/1',
          'x-sw-event': n.event,
          'x-sw-delivery': String(n.id),
          'x-sw-timestamp': String(ts),
          'x-sw-signature': signBody(decryptSecret(this.o.serviceKey, n.secretEnc), ts, body),
        },
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await this.o.repo.markSent(n.id, attempts);
        this.o.metrics.inc(DELIVERED[0], DELIVERED[1], { result: 'ok' });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    this.o.metrics.inc(DELIVERED[0], DELIVERED[1], { result: 'error' });
    const delays = this.o.retryDelaysMs ?? [1000, 5000, 30_000, 120_000, 600_000];
    const delay = delays[attempts - 1];
    if (delay === undefined) {
      await this.o.repo.markFailed(n.id, attempts, error);
      this.o.log.warn({ notification: n.id, url: n.url, attempts, error }, 'alarm webhook gave up');
    } else {
      await this.o.repo.markRetry(n.id, attempts, this.clock() + delay, error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
