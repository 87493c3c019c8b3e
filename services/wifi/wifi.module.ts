/**
 * The WiFi feature: per-user sessions and captive-portal records from the access points (hashed personal data only),
 * unique users for the indicators (ctx.shared WIFI_USERS_SOURCE), and the retention job of personal data.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Batch } from '../ingest/batch.ts';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { WifiRepository } from './wifi.repository.ts';
import { wifiOverviewRoutes } from './wifi-overview.routes.ts';
import { wifiRoutes } from './wifi.routes.ts';
import { WIFI_USERS_SOURCE, WifiService } from './wifi.service.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    'wifi.sessions': WifiService;
  }
}

/** At start, events of this long ago are folded again: a crash between an event's commit and its fold loses nothing. */
const CATCH_UP_MS = 2 * 86_400_000;

export class WifiModule implements FeatureModule {
  readonly name = 'wifi';
  private ctx: ModuleContext | undefined;
  private repo: WifiRepository | undefined;
  service: WifiService | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly onBatch = (b: Batch): void => {
    if (!b.events.length) return;
    const events = b.events;
    // One fold at a time, in batch order; a failure is logged and left for the next start's catch-up.
    this.chain = this.chain
      .then(() => this.service?.ingest(events))
      .catch((err: Error) => this.ctx?.log.error({ err }, 'WiFi records not folded; the next start catches up'));
  };

  async init(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
    this.repo = new WifiRepository(ctx.db);
    const wifi = (ctx.config as Partial<typeof ctx.config>).wifi ?? { personalRetentionDays: 90, retentionIntervalMs: 3_600_000 };
    this.service = new WifiService({
      repo: this.repo,
      log: ctx.log.child({ module: 'wifi' }),
      metrics: ctx.metrics,
      retentionDays: wifi.personalRetentionDays,
    });
    ctx.shared.set(WIFI_USERS_SOURCE, this.service);
  }

  routes(): FastifyPluginAsync {
    if (!this.service || !this.repo) throw new Error('wifi module used before init');
    const main = wifiRoutes({ service: this.service, repo: this.repo });
    const overview = wifiOverviewRoutes({
      service: this.service,
      repo: this.repo,
      retentionIntervalMs: (this.ctx?.config as Partial<ModuleContext['config']> | undefined)?.wifi?.retentionIntervalMs ?? 3_600_000,
    });
    return async (app, opts) => {
      await main(app, opts);
      await overview(app, opts);
    };
  }

  async start(): Promise<void> {
    const ctx = this.ctx;
    const service = this.service;
    if (!ctx || !service) return;
    ctx.events.on('ingest.batch', this.onBatch);
    await service.catchUp(CATCH_UP_MS).catch((err: Error) => ctx.log.error({ err }, 'WiFi catch-up failed'));
    await service.purge().catch((err: Error) => ctx.log.error({ err }, 'WiFi retention job failed'));
    const every = (ctx.config as Partial<typeof ctx.config>).wifi?.retentionIntervalMs ?? 3_600_000;
    this.timer = setInterval(() => {
      this.chain = this.chain
        .then(async () => void (await service.purge()))
        .catch((err: Error) => ctx.log.error({ err }, 'WiFi retention job failed; retrying at the next interval'));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.ctx?.events.off('ingest.batch', this.onBatch);
    clearInterval(this.timer);
    await this.chain;
  }
}
