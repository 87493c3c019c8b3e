/**
 * What the clusters say they aired: play logs (device events {broadcastId, start, end, result ok|preempted|failed})
 * give airtime per cluster and a delivery report per broadcast; preemptions reported in play logs are recorded next
 * to those the service logged when it dispatched.
 */
import type { Batch } from '../../ingest/batch.ts';
import type { Logger } from '../../common/logger.ts';
import { broadcastKinds, type BroadcastService } from './broadcast.service.ts';
import type { PlayLogRow, RadioRepository } from './radio.repository.ts';
import type { Static } from 'typebox';
import type { BroadcastReport } from '../../api/schemas/radio.ts';

export interface ClusterAirtime {
  clusterId: string;
  bulletins: number;
  airtimeS: number;
  ok: number;
  preempted: number;
  failed: number;
}

/** Open-ended periods: PostgreSQL takes years up to 294276, JavaScript's maximum date is beyond that. */
const FAR_PAST = new Date('1970-01-01T00:00:00Z');
const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

const seconds = (l: PlayLogRow): number => {
  if (l.result === 'failed' || !l.start || !l.end) return 0;
  return Math.max(0, (Date.parse(l.end) - Date.parse(l.start)) / 1000);
};

export class RadioReports {
  private readonly repo: RadioRepository;
  private readonly broadcasts: BroadcastService;
  private readonly log: Logger;

  constructor(o: { repo: RadioRepository; broadcasts: BroadcastService; log: Logger }) {
    this.repo = o.repo;
    this.broadcasts = o.broadcasts;
    this.log = o.log;
  }

  private get events(): string[] {
    return [...new Set(broadcastKinds().map((k) => k.cap.playLogEvent))];
  }

  /** Records preemptions the clusters report (playLog result 'preempted' with preemptedBy). */
  onBatch(b: Batch): void {
    const names = new Set(this.events);
    const rows = b.events
      .filter((e) => names.has(e.event) && e.data.result === 'preempted' && typeof e.data.preemptedBy === 'string')
      .map((e) => ({
        at: new Date(typeof e.data.end === 'string' ? e.data.end : e.time),
        clusterId: e.deviceId,
        broadcastId: typeof e.data.broadcastId === 'string' ? e.data.broadcastId : null,
        byBroadcastId: e.data.preemptedBy as string,
        source: 'playlog' as const,
      }));
    if (rows.length) this.repo.insertPreemptions(rows).catch((err: Error) => this.log.error({ err }, 'reported preemptions not recorded'));
  }

  async playLogs(f: { broadcastId?: string; clusterIds?: string[]; from: Date; to: Date; limit: number }): Promise<PlayLogRow[]> {
    const out: PlayLogRow[] = [];
    for (const event of this.events) out.push(...(await this.repo.playLogs({ event, ...f })));
    return out.sort((a, b) => a.time.localeCompare(b.time));
  }

  /** Per cluster: what was sent (command state) and what it aired (play logs), for one broadcast. */
  async report(id: string): Promise<Static<typeof BroadcastReport>> {
    const b = await this.broadcasts.get(id);
    const airings = await this.repo.airings(id);
    const logs = await this.playLogs({ broadcastId: id, from: new Date(Date.parse(b.requestedAt) - 86_400_000), to: FAR_FUTURE, limit: 10_000 });
    const preemptions = await this.repo.preemptions({ broadcastId: id, from: FAR_PAST, to: FAR_FUTURE, limit: 10_000 });
    const clusters = [...new Set(airings.map((a) => a.clusterId))].sort().map((clusterId) => {
      const mine = logs.filter((l) => l.clusterId === clusterId);
      return {
        clusterId,
        airings: airings.filter((a) => a.clusterId === clusterId),
        playLogs: mine.map((l) => ({ start: l.start, end: l.end, result: l.result, preemptedBy: l.data.preemptedBy ?? null, reason: l.data.reason ?? null })),
        airtimeS: mine.reduce((s, l) => s + seconds(l), 0),
      };
    });
    const sum = (f: (c: (typeof clusters)[number]) => boolean): number => clusters.filter(f).length;
    return {
      broadcast: b,
      summary: {
        clusters: clusters.length,
        acknowledged: sum((c) => c.airings.some((a) => a.state === 'acknowledged')),
        airedFully: sum((c) => c.playLogs.some((l) => l.result === 'ok')),
        preempted: sum((c) => c.playLogs.some((l) => l.result === 'preempted')),
        failed: sum((c) => c.playLogs.some((l) => l.result === 'failed') || c.airings.some((a) => a.state === 'failed' || a.state === 'expired')),
        airtimeS: clusters.reduce((s, c) => s + c.airtimeS, 0),
      },
      clusters,
      preemptions,
    };
  }

  /** Bulletins and airtime per cluster over a period (optionally the clusters of one zone). */
  async airtime(
    from: Date,
    to: Date,
    zoneId?: string,
  ): Promise<{ from: string; to: string; clusters: ClusterAirtime[]; totals: Omit<ClusterAirtime, 'clusterId'> }> {
    const clusterIds = zoneId ? (await this.broadcasts.clustersOf([zoneId], [])).map((c) => c.id) : undefined;
    const logs = await this.playLogs({ clusterIds, from, to, limit: 1_000_000 });
    const by = new Map<string, ClusterAirtime>();
    for (const l of logs) {
      const c = by.get(l.clusterId) ?? { clusterId: l.clusterId, bulletins: 0, airtimeS: 0, ok: 0, preempted: 0, failed: 0 };
      c.bulletins++;
      c.airtimeS += seconds(l);
      if (l.result === 'ok' || l.result === 'preempted' || l.result === 'failed') c[l.result]++;
      by.set(l.clusterId, c);
    }
    const clusters = [...by.values()].sort((a, b) => a.clusterId.localeCompare(b.clusterId)).map((c) => ({ ...c, airtimeS: Math.round(c.airtimeS * 10) / 10 }));
    const totals = clusters.reduce(
      (t, c) => ({
        bulletins: t.bulletins + c.bulletins,
        airtimeS: t.airtimeS + c.airtimeS,
        ok: t.ok + c.ok,
        preempted: t.preempted + c.preempted,
        failed: t.failed + c.failed,
      }),
      { bulletins: 0, airtimeS: 0, ok: 0, preempted: 0, failed: 0 },
    );
    return { from: from.toISOString(), to: to.toISOString(), clusters, totals };
  }

  preemptions(f: { broadcastId?: string; from: Date; to: Date }): ReturnType<RadioRepository['preemptions']> {
    return this.repo.preemptions({ ...f, limit: 10_000 });
  }
}
