/**
 * The radio feature: audio assets, broadcasts with Circular 39/2020 priorities, live relay, play-log reports. Builds on
 * the control module's command service and scheduler (ctx.shared), so it is registered after it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Batch } from '../ingest/batch.ts';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { AudioStore } from './radio/audio-store.ts';
import { AudioService } from './radio/audio.service.ts';
import { BroadcastService } from './radio/broadcast.service.ts';
import { NetGuard } from '../common/net-guard.ts';
import { LiveRelay } from './radio/live-relay.ts';
import { RadioReports } from './radio/radio-report.service.ts';
import { RadioRepository } from './radio/radio.repository.ts';
import { radioRoutes, type RadioDeps } from './radio/radio.routes.ts';
import { UrlSigner } from './radio/url-signer.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    broadcasts: BroadcastService;
    radioSigner: UrlSigner;
    radioAudio: AudioService;
  }
}

/** How often broadcasts that finished airing are looked for. */
const FINISH_CHECK_MS = 5000;

export class RadioModule implements FeatureModule {
  readonly name = 'radio';
  private d: RadioDeps | undefined;
  private ctx: ModuleContext | undefined;
  private readonly onBatch = (b: Batch): void => this.d?.reports.onBatch(b);
  private finishTimer: NodeJS.Timeout | undefined;
  private finishing: Promise<unknown> | null = null;

  async init(ctx: ModuleContext): Promise<void> {
    const commands = ctx.shared.get('commands');
    const scheduler = ctx.shared.get('scheduler');
    if (!commands || !scheduler) throw new Error("the radio module needs the control module (register 'control' before 'radio' in services/modules/index.ts)");
    const log = ctx.log.child({ module: 'radio' });
    const repo = new RadioRepository(ctx.db);
    const signer = new UrlSigner(ctx.serviceKey);
    const audio = new AudioService(repo, new AudioStore(ctx.config.dataDir));
    const sourceGuard = new NetGuard('live-source', ctx.config.security?.networks.liveSource ?? ['0.0.0.0/0', '::/0']);
    const broadcasts = new BroadcastService({ repo, commands, scheduler, signer, log, tz: ctx.config.ward.timezone, events: ctx.events, sourceGuard });
    const reports = new RadioReports({ repo, broadcasts, log });
    this.d = {
      audio,
      broadcasts,
      reports,
      relay: new LiveRelay({ log, guard: sourceGuard }),
      signer,
      log,
      publicBaseUrl: (ctx.config as Partial<typeof ctx.config>).http?.publicBaseUrl ?? '',
    };
    this.ctx = ctx;
    const publicBase = (ctx.config as Partial<typeof ctx.config>).http?.publicBaseUrl ?? '';
    commands.routeLiveThrough(async ({ params, clusterIds }, origin) => {
      const priority = params.priority === 'emergency' || params.priority === 'priority' ? params.priority : 'normal';
      const r = await broadcasts.create(
        {
          title: 'Phát trực tiếp từ lệnh live / Live relay sent as a command',
          priority,
          streamUrl: String(params.streamUrl ?? ''),
          clusterIds,
          // A hand-sent live command carries no length; an hour is its planned length for clash checks.
          ...(priority === 'emergency' ? {} : { durationS: 3600 }),
        },
        // The broadcast sends its own commands (as the radio feature, in the operator's name).
        { actor: origin.actor, role: origin.role, origin: 'radio' },
        publicBase || origin.baseUrl || null,
      );
      log.warn({ broadcastId: r.broadcast.id, actor: origin.actor, priority }, 'a hand-sent live command was made a broadcast');
      return { broadcastId: r.broadcast.id, commandIds: r.dispatched };
    });
    ctx.shared.set('broadcasts', broadcasts);
    ctx.shared.set('radioSigner', signer);
    ctx.shared.set('radioAudio', audio);
  }

  routes(): FastifyPluginAsync {
    if (!this.d) throw new Error('radio module used before init');
    return radioRoutes(this.d);
  }

  async start(): Promise<void> {
    this.ctx?.events.on('ingest.batch', this.onBatch);
    // Broadcasts that finished airing become 'done' (checked every few seconds; cheap: only those with nothing left to fire).
    this.finishTimer = setInterval(() => {
      const d = this.d;
      if (!d || this.finishing || !this.ctx?.jobs.owns('broadcast-finish')) return;
      this.finishing = d.broadcasts
        .finishEnded()
        .catch((err: Error) => this.ctx?.log.error({ err }, 'finished broadcasts not closed; retrying'))
        .finally(() => (this.finishing = null));
    }, FINISH_CHECK_MS);
  }

  async stop(): Promise<void> {
    this.ctx?.events.off('ingest.batch', this.onBatch);
    clearInterval(this.finishTimer);
    await this.finishing;
    this.d?.relay.stopAll();
  }
}

export const radioModule = (): FeatureModule => new RadioModule();
