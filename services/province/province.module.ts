/**
 * The province link (docs/province-link.md): NGSI-LD export of device entities, indicators and province play logs
 * through a durable outbox, and the inbound API the province's radio system calls. Registered after radio and
 * indicators (it reads their services from ctx.shared when it runs).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Batch } from '../ingest/batch.ts';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { OutboxExporter } from './exporter.ts';
import { ProvinceRepository } from './province.repository.ts';
import { outboxRoutes } from './outbox.routes.ts';
import { provinceRoutes } from './province.routes.ts';
import { ProvinceService } from './province.service.ts';
import { NgsiLdUpstream } from './upstream.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    province: ProvinceService;
  }
}

const PLAY_LOG_CATCH_UP_MS = 2 * 86_400_000;
/** Delivered messages are kept this long for inspection, then pruned. */
const KEEP_DELIVERED_MS = 30 * 86_400_000;

type ProvinceConfig = ModuleContext['config']['province'];
const DEFAULTS: ProvinceConfig = {
  brokerUrl: '',
  brokerToken: '',
  tenant: '',
  exportIntervalMs: 300_000,
  retryBaseMs: 5000,
  retryMaxMs: 600_000,
  inboundToken: '',
  audioHosts: [],
};

export class ProvinceModule implements FeatureModule {
  readonly name = 'province';
  private ctx: ModuleContext | undefined;
  private cfg: ProvinceConfig = DEFAULTS;
  exporter: OutboxExporter | null = null;
  service: ProvinceService | undefined;
  private repo: ProvinceRepository | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly onBatch = (b: Batch): void => {
    if (!b.events.length || !this.service) return;
    const events = b.events;
    this.chain = this.chain
      .then(() => this.service?.onEvents(events))
      .catch((err: Error) => this.ctx?.log.error({ err }, 'play logs not put in the province outbox; the next start catches up'));
  };

  async init(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
    this.cfg = { ...DEFAULTS, ...(ctx.config as Partial<typeof ctx.config>).province };
    const log = ctx.log.child({ module: 'province' });
    const repo = new ProvinceRepository(ctx.db);
    this.repo = repo;
    if (this.cfg.brokerUrl) {
      this.exporter = new OutboxExporter({
        repo,
        log,
        metrics: ctx.metrics,
        retryBaseMs: this.cfg.retryBaseMs,
        retryMaxMs: this.cfg.retryMaxMs,
        pollMs: Math.min(5000, this.cfg.retryMaxMs),
        upstream: new NgsiLdUpstream({ baseUrl: this.cfg.brokerUrl, token: this.cfg.brokerToken, tenant: this.cfg.tenant }),
      });
    }
    this.service = new ProvinceService({
      repo,
      exporter: this.exporter,
      log,
      metrics: ctx.metrics,
      ward: ctx.config.ward,
      broadcasts: () => ctx.shared.get('broadcasts'),
      audio: () => ctx.shared.get('radioAudio'),
      indicators: () => ctx.shared.get('indicators'),
      // The province's audio comes from the province: its broker's host unless hosts are named (no fetches elsewhere).
      audioHosts: this.cfg.audioHosts.length ? this.cfg.audioHosts : this.cfg.brokerUrl ? [new URL(this.cfg.brokerUrl).host.toLowerCase()] : [],
    });
    ctx.shared.set('province', this.service);
  }

  routes(): FastifyPluginAsync {
    if (!this.service || !this.repo) throw new Error('province module used before init');
    const outbox = outboxRoutes({ repo: this.repo, exporter: this.exporter });
    const main = provinceRoutes({
      service: this.service,
      exporter: this.exporter,
      inboundToken: this.cfg.inboundToken,
      publicBaseUrl: (this.ctx?.config as Partial<ModuleContext['config']> | undefined)?.http?.publicBaseUrl ?? '',
      exportNow: () => this.exportNow(),
    });
    return async (app, opts) => {
      await main(app, opts);
      await outbox(app, opts);
    };
  }

  /** One export pass (devices + indicators → outbox), serialized with the others. */
  exportNow(): Promise<unknown> {
    const run = this.chain.then(async () => {
      const r = await this.service?.exportSnapshot();
      await this.prune();
      return r;
    });
    this.chain = run.catch((err: Error) => this.ctx?.log.error({ err }, 'province export pass failed; retrying at the next interval'));
    return run;
  }

  async start(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.service) return;
    ctx.events.on('ingest.batch', this.onBatch);
    if (!this.exporter) return;
    this.exporter.start();
    const service = this.service;
    this.chain = this.chain
      .then(() => service.catchUpPlayLogs(PLAY_LOG_CATCH_UP_MS))
      .catch((err: Error) => ctx.log.error({ err }, 'province play-log catch-up failed'));
    void this.exportNow().catch(() => undefined);
    this.timer = setInterval(() => {
      void this.exportNow().catch(() => undefined);
    }, this.cfg.exportIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.ctx?.events.off('ingest.batch', this.onBatch);
    clearInterval(this.timer);
    await this.chain.catch(() => undefined);
    await this.exporter?.stop();
  }

  /** Delivered messages older than the keep period are pruned (after each export pass). */
  prune(): Promise<number> {
    return this.ctx ? new ProvinceRepository(this.ctx.db).pruneOutbox(new Date(Date.now() - KEEP_DELIVERED_MS)) : Promise.resolve(0);
  }
}
