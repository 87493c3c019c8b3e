import { scopedWards } from '../../auth/ward-scope.ts';
import type { Db } from '../../db/db.ts';
import type { Priority } from './priority.ts';

export interface AudioRecord {
  id: string;
  title: string;
  format: 'mp3' | 'wav' | 'ogg';
  mime: string;
  sizeBytes: number;
  sha256: string;
  durationS: number;
  detail: Record<string, unknown>;
  uploadedBy: string;
  createdAt: string;
}

export interface BroadcastRecord {
  id: string;
  title: string;
  priority: Priority;
  requestedAt: string;
  source: 'file' | 'live';
  audioId: string | null;
  streamUrl: string | null;
  zoneIds: string[];
  clusterIds: string[];
  volume: number | null;
  startsAt: string;
  rrule: string | null;
  durationS: number | null;
  status: 'scheduled' | 'done' | 'cancelled';
  baseUrl: string | null;
  createdBy: string;
  cancelledAt: string | null;
  cancelledBy: string | null;
}

export interface ConflictRecord {
  id: number;
  broadcastId: string;
  otherBroadcastId: string;
  priority: string;
  firstClashAt: string;
  clusterIds: string[];
  status: 'open' | 'resolved';
  detectedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export interface PlayLogRow {
  clusterId: string;
  time: string;
  broadcastId: string | null;
  start: string | null;
  end: string | null;
  result: string | null;
  data: Record<string, unknown>;
}

export interface AiringNow {
  clusterId: string;
  broadcastId: string;
  priority: Priority;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

type Row = Record<string, unknown>;

const toAudio = (r: Row): AudioRecord => ({
  id: r.id as string,
  title: r.title as string,
  format: r.format as AudioRecord['format'],
  mime: r.mime as string,
  sizeBytes: Number(r.size_bytes),
  sha256: r.sha256 as string,
  durationS: r.duration_s as number,
  detail: r.detail as Record<string, unknown>,
  uploadedBy: r.uploaded_by as string,
  createdAt: iso(r.created_at as Date) as string,
});

const toBroadcast = (r: Row): BroadcastRecord => ({
  id: r.id as string,
  title: r.title as string,
  priority: r.priority as Priority,
  requestedAt: iso(r.requested_at as Date) as string,
  source: r.source as 'file' | 'live',
  audioId: r.audio_id as string | null,
  streamUrl: r.stream_url as string | null,
  zoneIds: r.zone_ids as string[],
  clusterIds: r.cluster_ids as string[],
  volume: r.volume as number | null,
  startsAt: iso(r.starts_at as Date) as string,
  rrule: r.rrule as string | null,
  durationS: r.duration_s as number | null,
  status: r.status as BroadcastRecord['status'],
  baseUrl: r.base_url as string | null,
  createdBy: r.created_by as string,
  cancelledAt: iso(r.cancelled_at as Date | null),
  cancelledBy: r.cancelled_by as string | null,
});

const toConflict = (r: Row): ConflictRecord => ({
  id: Number(r.id),
  broadcastId: r.broadcast_id as string,
  otherBroadcastId: r.other_broadcast_id as string,
  priority: r.priority as string,
  firstClashAt: iso(r.first_clash_at as Date) as string,
  clusterIds: r.cluster_ids as string[],
  status: r.status as ConflictRecord['status'],
  detectedAt: iso(r.detected_at as Date) as string,
  resolvedAt: iso(r.resolved_at as Date | null),
  resolvedBy: r.resolved_by as string | null,
  resolution: r.resolution as string | null,
});

/** All SQL of the radio: audio assets, broadcasts, airings, preemptions, conflicts, play-log reports. */
/**
 * Province tenancy: a broadcast `b` is in the caller's scope when one of its clusters or zones is in their wards
 * (parameter `p`, null: every ward); a province bulletin to several wards is seen by each of them.
 */
const inWards = (p: string): string =>
  `(${p}::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = ANY(b.cluster_ids) AND wd.ward_code = ANY(${p}::text[]))
    OR EXISTS (SELECT 1 FROM zones wz WHERE wz.id = ANY(b.zone_ids) AND wz.ward_code = ANY(${p}::text[])))`;

export class RadioRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async insertAudio(a: Omit<AudioRecord, 'createdAt'>): Promise<AudioRecord> {
    const r = await this.db.query<Row>(
      `INSERT INTO audio_assets (id, title, format, mime, size_bytes, sha256, duration_s, detail, uploaded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sha256) DO NOTHING RETURNING *`,
      [a.id, a.title, a.format, a.mime, a.sizeBytes, a.sha256, a.durationS, JSON.stringify(a.detail), a.uploadedBy],
    );
    if (r.rows[0]) return toAudio(r.rows[0]);
    // The same bytes were uploaded before (content addressing): that asset is the answer.
    return (await this.audioBySha(a.sha256)) as AudioRecord;
  }

  async audioBySha(sha: string): Promise<AudioRecord | null> {
    const r = await this.db.query<Row>('SELECT * FROM audio_assets WHERE sha256 = $1', [sha]);
    return r.rows[0] ? toAudio(r.rows[0]) : null;
  }

  async audio(id: string): Promise<AudioRecord | null> {
    const r = await this.db.query<Row>('SELECT * FROM audio_assets WHERE id = $1', [id]);
    return r.rows[0] ? toAudio(r.rows[0]) : null;
  }

  async audioList(limit: number, offset: number): Promise<AudioRecord[]> {
    const r = await this.db.query<Row>('SELECT * FROM audio_assets ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset]);
    return r.rows.map(toAudio);
  }

  async audioInUse(id: string): Promise<number> {
    const r = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM broadcasts WHERE audio_id = $1', [id]);
    return r.rows[0]?.n ?? 0;
  }

  async deleteAudio(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM audio_assets WHERE id = $1', [id])).rowCount > 0;
  }

  async insertBroadcast(b: Omit<BroadcastRecord, 'status' | 'cancelledAt' | 'cancelledBy'>): Promise<void> {
    await this.db.query(
      `INSERT INTO broadcasts (id, title, priority, requested_at, source, audio_id, stream_url, zone_ids, cluster_ids, volume, starts_at, rrule, duration_s, base_url, created_by)
       VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8::text[], $9::text[], $10, $11::timestamptz, $12, $13, $14, $15)`,
      [
        b.id,
        b.title,
        b.priority,
        b.requestedAt,
        b.source,
        b.audioId,
        b.streamUrl,
        b.zoneIds,
        b.clusterIds,
        b.volume,
        b.startsAt,
        b.rrule,
        b.durationS,
        b.baseUrl,
        b.createdBy,
      ],
    );
  }

  async broadcast(id: string): Promise<BroadcastRecord | null> {
    const r = await this.db.query<Row>(`SELECT * FROM broadcasts b WHERE id = $1 AND ${inWards('$2')}`, [id, scopedWards()]);
    return r.rows[0] ? toBroadcast(r.rows[0]) : null;
  }

  async broadcasts(f: { status?: string; priority?: string; limit: number; offset: number }): Promise<BroadcastRecord[]> {
    const r = await this.db.query<Row>(
      `SELECT * FROM broadcasts b WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR priority = $2) AND ${inWards('$5')}
       ORDER BY requested_at DESC, id LIMIT $3 OFFSET $4`,
      [f.status ?? null, f.priority ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map(toBroadcast);
  }

  async setStatus(id: string, status: BroadcastRecord['status'], by: string | null): Promise<void> {
    await this.db.query(
      `UPDATE broadcasts SET status = $2, cancelled_at = CASE WHEN $2::text = 'cancelled' THEN now() ELSE cancelled_at END,
         cancelled_by = CASE WHEN $2::text = 'cancelled' THEN $3 ELSE cancelled_by END WHERE id = $1`,
      [id, status, by],
    );
  }

  /**
   * Scheduled broadcasts with no occurrence left to fire (one-off after its firing, recurring after its last one,
   * emergencies), each with the start of its last occurrence: the candidates for 'done'.
   */
  async withoutNextOccurrence(now: Date, limit: number): Promise<(BroadcastRecord & { lastOccurrenceAt: string })[]> {
    const r = await this.db.query<Row>(
      `SELECT b.*, GREATEST(b.starts_at,
           (SELECT max(a.occurrence_at) FROM broadcast_airings a WHERE a.broadcast_id = b.id),
           (SELECT max(r.occurrence_at) FROM schedule_runs r WHERE r.schedule_id = 'bc-' || b.id)) AS last_occurrence_at
       FROM broadcasts b
       WHERE b.status = 'scheduled' AND b.starts_at <= $1::timestamptz
         AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.id = 'bc-' || b.id AND s.next_at IS NOT NULL)
       ORDER BY b.starts_at, b.id LIMIT $2`,
      [now.toISOString(), limit],
    );
    return r.rows.map((x) => ({ ...toBroadcast(x), lastOccurrenceAt: iso(x.last_occurrence_at as Date) as string }));
  }

  /** Marks a scheduled broadcast done; false when it was not 'scheduled' any more (cancelled meanwhile). */
  async markDone(id: string): Promise<boolean> {
    return (await this.db.query(`UPDATE broadcasts SET status = 'done' WHERE id = $1 AND status = 'scheduled'`, [id])).rowCount > 0;
  }

  async insertAirings(broadcastId: string, occurrenceAt: Date, clusterIds: string[], commandId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO broadcast_airings (broadcast_id, occurrence_at, cluster_id, command_id)
       SELECT $1, $2::timestamptz, u, $4 FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING`,
      [broadcastId, occurrenceAt.toISOString(), clusterIds, commandId],
    );
  }

  /**
   * What the service believes airs on these clusters now: an acknowledged play whose airing window (the ack's start,
   * else the occurrence, plus the file's length; live: until stopped) holds `now`, with no play log ending it yet.
   */
  async airingNow(clusterIds: string[], now: Date, playLogEvent: string): Promise<AiringNow[]> {
    if (!clusterIds.length) return [];
    const r = await this.db.query<{ cluster_id: string; broadcast_id: string; priority: Priority }>(
      `SELECT DISTINCT a.cluster_id, a.broadcast_id, b.priority FROM broadcast_airings a
       JOIN broadcasts b ON b.id = a.broadcast_id
       JOIN command_deliveries d ON d.command_id = a.command_id AND d.device_id = a.cluster_id AND d.state = 'acknowledged'
       CROSS JOIN LATERAL (SELECT coalesce((d.result->>'startedAt')::timestamptz, a.occurrence_at) AS started) s
       WHERE a.cluster_id = ANY($1::text[]) AND s.started <= $2::timestamptz
         AND (b.duration_s IS NULL OR s.started + make_interval(secs => b.duration_s) > $2::timestamptz)
         AND NOT EXISTS (SELECT 1 FROM device_events e WHERE e.device_id = a.cluster_id AND e.event = $3
                         AND e.data->>'broadcastId' = a.broadcast_id AND e.time >= s.started)`,
      [clusterIds, now.toISOString(), playLogEvent],
    );
    return r.rows.map((x) => ({ clusterId: x.cluster_id, broadcastId: x.broadcast_id, priority: x.priority }));
  }

  async insertPreemptions(
    rows: { at: Date; clusterId: string; broadcastId: string | null; byBroadcastId: string; source: 'dispatch' | 'playlog' }[],
  ): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `INSERT INTO broadcast_preemptions (at, cluster_id, broadcast_id, by_broadcast_id, source)
       SELECT u.at, u.cluster_id, u.broadcast_id, u.by_id, u.source
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(at, cluster_id, broadcast_id, by_id, source)
       WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u.cluster_id)
       ON CONFLICT DO NOTHING`,
      [
        rows.map((x) => x.at.toISOString()),
        rows.map((x) => x.clusterId),
        rows.map((x) => x.broadcastId),
        rows.map((x) => x.byBroadcastId),
        rows.map((x) => x.source),
      ],
    );
  }

  async preemptions(f: {
    broadcastId?: string;
    from: Date;
    to: Date;
    limit: number;
  }): Promise<{ at: string; clusterId: string; broadcastId: string | null; byBroadcastId: string; source: string }[]> {
    const r = await this.db.query<{ at: Date; cluster_id: string; broadcast_id: string | null; by_broadcast_id: string; source: string }>(
      `SELECT * FROM broadcast_preemptions WHERE at >= $1::timestamptz AND at < $2::timestamptz
         AND ($3::text IS NULL OR broadcast_id = $3 OR by_broadcast_id = $3)
         AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = cluster_id AND wd.ward_code = ANY($5::text[])))
       ORDER BY at, cluster_id LIMIT $4`,
      [f.from.toISOString(), f.to.toISOString(), f.broadcastId ?? null, f.limit, scopedWards()],
    );
    return r.rows.map((x) => ({
      at: iso(x.at) as string,
      clusterId: x.cluster_id,
      broadcastId: x.broadcast_id,
      byBroadcastId: x.by_broadcast_id,
      source: x.source,
    }));
  }

  async insertConflicts(rows: { broadcastId: string; otherId: string; priority: string; firstAt: Date; clusterIds: string[] }[]): Promise<void> {
    for (const c of rows) {
      await this.db.query(
        `INSERT INTO broadcast_conflicts (broadcast_id, other_broadcast_id, priority, first_clash_at, cluster_ids) VALUES ($1, $2, $3, $4::timestamptz, $5::text[])
         ON CONFLICT (broadcast_id, other_broadcast_id) DO NOTHING`,
        [c.broadcastId, c.otherId, c.priority, c.firstAt.toISOString(), c.clusterIds],
      );
    }
  }

  async conflicts(f: { status?: string; broadcastId?: string }): Promise<ConflictRecord[]> {
    const r = await this.db.query<Row>(
      `SELECT * FROM broadcast_conflicts WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR broadcast_id = $2 OR other_broadcast_id = $2)
         AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = ANY(cluster_ids) AND wd.ward_code = ANY($3::text[])))
       ORDER BY first_clash_at, id`,
      [f.status ?? null, f.broadcastId ?? null, scopedWards()],
    );
    return r.rows.map(toConflict);
  }

  async resolveConflicts(ids: number[], by: string, resolution: string): Promise<void> {
    await this.db.query(
      `UPDATE broadcast_conflicts SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3 WHERE id = ANY($1::bigint[]) AND status = 'open'`,
      [ids, by, resolution],
    );
  }

  async airings(
    broadcastId: string,
  ): Promise<{ occurrenceAt: string; clusterId: string; commandId: string; state: string | null; error: string | null; ackedAt: string | null }[]> {
    const r = await this.db.query<{
      occurrence_at: Date;
      cluster_id: string;
      command_id: string;
      state: string | null;
      error: string | null;
      acked_at: Date | null;
    }>(
      `SELECT a.occurrence_at, a.cluster_id, a.command_id, d.state, d.error, d.acked_at FROM broadcast_airings a
       LEFT JOIN command_deliveries d ON d.command_id = a.command_id AND d.device_id = a.cluster_id
       WHERE a.broadcast_id = $1 ORDER BY a.occurrence_at, a.cluster_id`,
      [broadcastId],
    );
    return r.rows.map((x) => ({
      occurrenceAt: iso(x.occurrence_at) as string,
      clusterId: x.cluster_id,
      commandId: x.command_id,
      state: x.state,
      error: x.error,
      ackedAt: iso(x.acked_at),
    }));
  }

  /** Play logs reported by clusters (device_events), newest last. */
  async playLogs(f: { event: string; broadcastId?: string; clusterIds?: string[]; from: Date; to: Date; limit: number }): Promise<PlayLogRow[]> {
    const r = await this.db.query<{ device_id: string; time: Date; data: Record<string, unknown> }>(
      `SELECT device_id, time, data FROM device_events WHERE event = $1 AND time >= $2::timestamptz AND time < $3::timestamptz
         AND ($4::text IS NULL OR data->>'broadcastId' = $4) AND ($5::text[] IS NULL OR device_id = ANY($5::text[]))
         AND ($7::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = device_id AND wd.ward_code = ANY($7::text[])))
       ORDER BY time, device_id LIMIT $6`,
      [f.event, f.from.toISOString(), f.to.toISOString(), f.broadcastId ?? null, f.clusterIds ?? null, f.limit, scopedWards()],
    );
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    return r.rows.map((x) => ({
      clusterId: x.device_id,
      time: iso(x.time) as string,
      broadcastId: str(x.data.broadcastId),
      start: str(x.data.start),
      end: str(x.data.end),
      result: str(x.data.result),
      data: x.data,
    }));
  }
}
