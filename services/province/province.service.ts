/**
 * The province link's ward side: what goes up (device entities, plan indicators, play logs of province bulletins,
 * through the outbox exporter) and what comes down (province bulletins with Circular 39/2020 priorities: an emergency
 * airs at once preempting ward bulletins, a priority bulletin goes ahead of normal ones, a normal one waits for the
 * ward operator's decision).
 */
import { createHash } from 'node:crypto';
import { DEVICE_KINDS } from '../../devices/index.ts';
import { AppError, badRequest, conflict, notFound } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { Origin } from '../control/commands/command.types.ts';
import { MAX_AUDIO_BYTES, type AudioService } from '../control/radio/audio.service.ts';
import type { BroadcastService } from '../control/radio/broadcast.service.ts';
import type { EventRow } from '../ingest/batch.ts';
import type { OutboxExporter } from './exporter.ts';
import { deviceEntity, kpiEntity, playLogEntity, type Entity } from './ngsi.ts';
import type { ProvinceBroadcast, ProvinceRepository } from './province.repository.ts';

export const PROVINCE_PREFIX = 'prov-';
const ORIGIN: Origin = { actor: 'province', role: null, origin: 'radio' };

export interface IndicatorSource {
  compute(code: string): Promise<{
    period: { code: string; from: string; to: string };
    generatedAt: string;
    figures: { id: string; label: { vi: string; en: string }; method: { vi: string; en: string }; value: number | null; unit: string }[];
  }>;
}

export interface ProvinceInput {
  id: string;
  title: string;
  priority: 'normal' | 'priority' | 'emergency';
  audioUrl: string;
  sha256: string;
  zoneIds?: string[];
  clusterIds?: string[];
  volume?: number;
}

export interface ProvinceServiceOptions {
  repo: ProvinceRepository;
  exporter: OutboxExporter | null;
  log: Logger;
  metrics: Metrics;
  ward: { code: string; name: string; timezone: string };
  broadcasts: () => BroadcastService | undefined;
  audio: () => AudioService | undefined;
  indicators: () => IndicatorSource | undefined;
  clock?: () => number;
  /** Deadline of fetching a bulletin's audio from the province. */
  fetchTimeoutMs?: number;
  /** host or host:port the bulletin audio may come from (the authenticated province names the URL; no fetches elsewhere). */
  audioHosts: string[];
}

const playLogEvents = (): Set<string> => new Set(DEVICE_KINDS.flatMap((k) => (k.capabilities?.broadcast ? [k.capabilities.broadcast.playLogEvent] : [])));
const isoOrNull = (v: unknown): string | null =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : typeof v === 'number' ? new Date(v).toISOString() : null;

export class ProvinceService {
  private readonly o: ProvinceServiceOptions;
  private readonly clock: () => number;
  private readonly playEvents = playLogEvents();

  constructor(o: ProvinceServiceOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  /** The ward's devices and this month's indicators, as entities; changed ones go to the outbox. */
  async exportSnapshot(): Promise<{ devices: number; indicators: number; enqueued: number }> {
    const ex = this.o.exporter;
    if (!ex) return { devices: 0, indicators: 0, enqueued: 0 };
    // Province tenancy: each device goes up under its own ward (id, data provider, area served).
    const wardOf = (d: { wardCode?: string; wardName?: string }) =>
      d.wardCode && d.wardCode !== this.o.ward.code ? { code: d.wardCode, name: d.wardName ?? d.wardCode } : this.o.ward;
    const devices = (await this.o.repo.exportDevices()).map((d) => deviceEntity(d, wardOf(d))).filter((e): e is Entity => e !== null);
    const kpis = await this.indicatorEntities();
    let enqueued = 0;
    for (let i = 0; i < devices.length; i += 500) enqueued += await ex.enqueue(devices.slice(i, i + 500));
    enqueued += await ex.enqueue(kpis);
    return { devices: devices.length, indicators: kpis.length, enqueued };
  }

  private async indicatorEntities(): Promise<Entity[]> {
    const src = this.o.indicators();
    if (!src) return [];
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: this.o.ward.timezone, year: 'numeric', month: '2-digit' })
      .format(new Date(this.clock()))
      .slice(0, 7);
    try {
      const r = await src.compute(month);
      return r.figures.map((f) =>
        kpiEntity(
          { figureId: f.id, label: f.label, method: f.method, value: f.value, unit: f.unit, period: r.period, computedAt: r.generatedAt.slice(0, 10) },
          this.o.ward,
        ),
      );
    } catch (err) {
      this.o.log.error({ err }, 'indicators not computed for the province export; devices are exported anyway');
      return [];
    }
  }

  /** Play logs of province bulletins in a durable batch → outbox. */
  async onEvents(events: readonly Pick<EventRow, 'deviceId' | 'event' | 'data' | 'time'>[]): Promise<number> {
    const mine = events.filter((e) => this.playEvents.has(e.event) && typeof e.data.broadcastId === 'string' && e.data.broadcastId.startsWith(PROVINCE_PREFIX));
    if (!mine.length || !this.o.exporter) return 0;
    const prov = new Map((await this.o.repo.byWardBroadcast([...new Set(mine.map((e) => String(e.data.broadcastId)))])).map((b) => [b.broadcastId, b]));
    const kinds = await this.o.repo.deviceKinds([...new Set(mine.map((e) => e.deviceId))]);
    const entities: Entity[] = [];
    for (const e of mine) {
      const b = prov.get(String(e.data.broadcastId));
      if (!b) continue;
      const start = isoOrNull(e.data.start) ?? (typeof e.time === 'string' ? e.time : new Date(e.time).toISOString());
      entities.push(
        playLogEntity(
          {
            provinceBroadcastId: b.id,
            clusterId: e.deviceId,
            clusterKind: kinds.get(e.deviceId) ?? '',
            start,
            end: isoOrNull(e.data.end),
            result: typeof e.data.result === 'string' ? e.data.result : 'unknown',
            preemptedBy: typeof e.data.preemptedBy === 'string' ? e.data.preemptedBy : null,
          },
          this.o.ward,
        ),
      );
    }
    return this.o.exporter.enqueue(entities);
  }

  /** At start: play logs of recent province bulletins stored while a listener could have missed them. */
  async catchUpPlayLogs(sinceMs: number): Promise<number> {
    const since = new Date(this.clock() - sinceMs);
    const ids = await this.o.repo.recentBroadcastIds(since);
    let n = 0;
    for (const ev of this.playEvents) {
      const rows = await this.o.repo.playLogEvents(ev, ids, since);
      n += await this.onEvents(rows.map((r) => ({ deviceId: r.deviceId, event: ev, data: r.data, time: r.time.toISOString() })));
    }
    return n;
  }

  /** Fetches a bulletin's audio from the province and checks it is the file the province hashed. */
  private async fetchAudio(url: string, sha256: string): Promise<Buffer> {
    const u = new URL(url);
    if (!this.o.audioHosts.includes(u.host.toLowerCase()) && !this.o.audioHosts.includes(u.hostname.toLowerCase())) {
      throw new AppError(
        'AUDIO_HOST_NOT_ALLOWED',
        422,
        `audio is fetched only from ${this.o.audioHosts.join(', ') || '(no host configured: set SW_PROVINCE_AUDIO_HOSTS)'}; not from ${u.host}`,
      );
    }
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.o.fetchTimeoutMs ?? 30_000), redirect: 'error' });
    } catch (err) {
      throw new AppError('AUDIO_UNREACHABLE', 502, `the bulletin's audio could not be fetched from ${new URL(url).host}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new AppError('AUDIO_UNREACHABLE', 502, `the bulletin's audio answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_AUDIO_BYTES) throw new AppError('AUDIO_TOO_LARGE', 413, `the audio is ${declared} bytes; at most ${MAX_AUDIO_BYTES}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_AUDIO_BYTES) throw new AppError('AUDIO_TOO_LARGE', 413, `the audio is ${body.length} bytes; at most ${MAX_AUDIO_BYTES}`);
    const got = createHash('sha256').update(body).digest('hex');
    if (got !== sha256.toLowerCase()) throw new AppError('AUDIO_CHECKSUM_MISMATCH', 422, `the audio's sha256 is ${got}, the province declared ${sha256}`);
    return body;
  }

  /** All loudspeaker clusters of the ward, when the province names no zones or clusters. */
  private async targets(input: ProvinceInput): Promise<{ zoneIds: string[]; clusterIds: string[] }> {
    if (input.zoneIds?.length || input.clusterIds?.length) return { zoneIds: input.zoneIds ?? [], clusterIds: input.clusterIds ?? [] };
    const all = (await this.o.repo.exportDevices()).filter((d) => DEVICE_KINDS.some((k) => k.name === d.kind && k.capabilities?.broadcast)).map((d) => d.id);
    if (!all.length) throw badRequest('NO_CLUSTERS', 'the ward has no loudspeaker clusters');
    return { zoneIds: [], clusterIds: all };
  }

  /**
   * A province bulletin. The same id sent again returns what was done the first time (the province may retry).
   * Emergency: airs now, preempting ward bulletins (no operator step). Priority: starts now ahead of normal ones
   * (a clash with the ward's own priority items goes to the operator). Normal: kept for the ward operator to decide.
   */
  async receive(input: ProvinceInput, from: string, baseUrl: string | null): Promise<{ created: boolean; broadcast: ProvinceBroadcast; dispatched: string[] }> {
    const earlier = await this.o.repo.broadcast(input.id);
    if (earlier) return { created: false, broadcast: earlier, dispatched: [] };
    const broadcasts = this.o.broadcasts();
    const audio = this.o.audio();
    if (!broadcasts || !audio) throw new AppError('RADIO_UNAVAILABLE', 503, 'the radio module is not running in this service');
    const targets = await this.targets(input);
    const body = await this.fetchAudio(input.audioUrl, input.sha256);
    const asset = (await audio.upload(body, input.title, 'province')).asset;
    const broadcastId = `${PROVINCE_PREFIX}${input.id}`;
    const status: ProvinceBroadcast['status'] = input.priority === 'normal' ? 'awaiting_operator' : input.priority === 'emergency' ? 'dispatched' : 'scheduled';
    let dispatched: string[] = [];
    if (input.priority !== 'normal') {
      const r = await broadcasts.create(
        {
          id: broadcastId,
          title: input.title,
          priority: input.priority,
          audioId: asset.id,
          ...targets,
          ...(input.volume !== undefined ? { volume: input.volume } : {}),
        },
        { ...ORIGIN, actor: from },
        baseUrl,
      );
      dispatched = r.dispatched;
    }
    await this.o.repo.insertBroadcast({
      id: input.id,
      broadcastId,
      priority: input.priority,
      title: input.title,
      audioUrl: input.audioUrl,
      audioId: asset.id,
      sha256: input.sha256.toLowerCase(),
      zoneIds: targets.zoneIds,
      clusterIds: targets.clusterIds,
      volume: input.volume ?? null,
      status,
      receivedFrom: from,
    });
    this.o.metrics.inc('sw_province_bulletins_total', 'Bulletins received from the province, by priority', { priority: input.priority });
    this.o.log.info(
      { provinceId: input.id, broadcastId, priority: input.priority, clusters: targets.clusterIds.length, zones: targets.zoneIds.length, dispatched },
      'province bulletin received',
    );
    return { created: true, broadcast: (await this.o.repo.broadcast(input.id)) as ProvinceBroadcast, dispatched };
  }

  /** The ward operator airs a normal province bulletin (now or at startAt) or declines it, with a note. */
  async decide(id: string, d: { accept: boolean; startAt?: string; note?: string }, origin: Origin, baseUrl: string | null): Promise<ProvinceBroadcast> {
    const b = await this.o.repo.broadcast(id);
    if (!b) throw notFound('Province bulletin', id);
    if (b.status !== 'awaiting_operator') throw conflict('ALREADY_DECIDED', `province bulletin '${id}' is ${b.status} already`);
    if (d.accept) {
      const broadcasts = this.o.broadcasts();
      if (!broadcasts || !b.audioId) throw new AppError('RADIO_UNAVAILABLE', 503, 'the radio module is not running in this service');
      await broadcasts.create(
        {
          id: b.broadcastId,
          title: b.title,
          priority: 'normal',
          audioId: b.audioId,
          zoneIds: b.zoneIds,
          clusterIds: b.clusterIds,
          ...(b.volume !== null ? { volume: b.volume } : {}),
          ...(d.startAt ? { startAt: d.startAt } : {}),
        },
        origin,
        baseUrl,
      );
    }
    if (!(await this.o.repo.decide(id, d.accept ? 'scheduled' : 'declined', origin.actor, d.note ?? null)))
      throw conflict('ALREADY_DECIDED', `province bulletin '${id}' was decided meanwhile`);
    return (await this.o.repo.broadcast(id)) as ProvinceBroadcast;
  }

  get(id: string): Promise<ProvinceBroadcast | null> {
    return this.o.repo.broadcast(id);
  }

  list(status: string | null, limit: number): Promise<ProvinceBroadcast[]> {
    return this.o.repo.broadcasts(status, limit);
  }
}
