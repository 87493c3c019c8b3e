/** SQL of the province link: the outbox, what was exported, the bulletins the province sent. */
import type { Db } from '../db/db.ts';
import type { Entity, ExportDevice } from './ngsi.ts';

export interface OutboxItem {
  id: string;
  entityId: string;
  entityType: string;
  body: Entity;
  attempts: number;
}

export interface Backlog {
  pending: number;
  delivered: number;
  rejected: number;
  superseded: number;
  oldestPendingAt: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

export interface OutboxMessage {
  id: string;
  entityId: string;
  entityType: string;
  status: 'pending' | 'delivered' | 'rejected' | 'superseded';
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
  /** A BroadcastPlayLog's content: the province bulletin id, the cluster's entity id, the result. */
  playLog?: { broadcast: string; device: string | null; result: string | null };
}

export interface ProvinceBroadcast {
  id: string;
  broadcastId: string;
  priority: 'normal' | 'priority' | 'emergency';
  title: string;
  audioUrl: string;
  audioId: string | null;
  sha256: string;
  zoneIds: string[];
  clusterIds: string[];
  volume: number | null;
  status: 'awaiting_operator' | 'dispatched' | 'scheduled' | 'declined';
  receivedAt: string;
  receivedFrom: string;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
}

type BroadcastRow = {
  id: string;
  broadcast_id: string;
  priority: ProvinceBroadcast['priority'];
  title: string;
  audio_url: string;
  audio_id: string | null;
  sha256: string;
  zone_ids: string[];
  cluster_ids: string[];
  volume: number | null;
  status: ProvinceBroadcast['status'];
  received_at: Date;
  received_from: string;
  decided_by: string | null;
  decided_at: Date | null;
  note: string | null;
};
const toBroadcast = (r: BroadcastRow): ProvinceBroadcast => ({
  id: r.id,
  broadcastId: r.broadcast_id,
  priority: r.priority,
  title: r.title,
  audioUrl: r.audio_url,
  audioId: r.audio_id,
  sha256: r.sha256,
  zoneIds: r.zone_ids,
  clusterIds: r.cluster_ids,
  volume: r.volume,
  status: r.status,
  receivedAt: r.received_at.toISOString(),
  receivedFrom: r.received_from,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  note: r.note,
});

export class ProvinceRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async exportDevices(): Promise<ExportDevice[]> {
    const r = await this.db.query<{
      id: string;
      kind: string;
      name: string;
      lat: number | null;
      lon: number | null;
      address: string | null;
      group_id: string | null;
      online: boolean | null;
      state: Record<string, unknown> | null;
      state_at: Date | null;
      ward_code: string;
      ward_name: string | null;
    }>(
      `SELECT d.id, d.kind, d.name, d.lat, d.lon, d.address, d.group_id, s.online, s.state, s.state_at, d.ward_code, w.name AS ward_name
         FROM devices d LEFT JOIN device_state s ON s.device_id = d.id LEFT JOIN wards w ON w.code = d.ward_code ORDER BY d.id`,
    );
    return r.rows.map((x) => ({
      id: x.id,
      kind: x.kind,
      name: x.name,
      lat: x.lat,
      lon: x.lon,
      address: x.address,
      groupId: x.group_id,
      online: x.online,
      state: x.state ?? {},
      wardCode: x.ward_code,
      ...(x.ward_name ? { wardName: x.ward_name } : {}),
      stateAt: x.state_at?.toISOString() ?? null,
    }));
  }

  /**
   * Puts entities whose content changed in the outbox, in one transaction: a new message per changed entity (its id
   * is the content hash, so doing it twice adds nothing), and an older undelivered version of it is superseded.
   */
  async enqueue(items: { entity: Entity; messageId: string; hash: string }[]): Promise<number> {
    if (!items.length) return 0;
    return this.db.transaction(async (tx) => {
      const json = JSON.stringify(items.map((i) => ({ id: i.messageId, entity_id: i.entity.id, entity_type: i.entity.type, body: i.entity, hash: i.hash })));
      const changed = await tx.query<{ id: string; entity_id: string }>(
        `SELECT i.id, i.entity_id FROM jsonb_to_recordset($1::jsonb) AS i(id text, entity_id text, hash text)
          LEFT JOIN province_exported e ON e.entity_id = i.entity_id WHERE e.body_hash IS DISTINCT FROM i.hash`,
        [json],
      );
      if (!changed.rows.length) return 0;
      const ids = changed.rows.map((r) => r.id);
      await tx.query(
        `UPDATE province_outbox SET status = 'superseded' WHERE status = 'pending' AND entity_id = ANY($1::text[]) AND NOT (id = ANY($2::text[]))`,
        [changed.rows.map((r) => r.entity_id), ids],
      );
      await tx.query(
        `INSERT INTO province_outbox (id, entity_id, entity_type, body)
         SELECT i.id, i.entity_id, i.entity_type, i.body FROM jsonb_to_recordset($1::jsonb) AS i(id text, entity_id text, entity_type text, body jsonb)
          WHERE i.id = ANY($2::text[]) ON CONFLICT (id) DO NOTHING`,
        [json, ids],
      );
      await tx.query(
        `INSERT INTO province_exported (entity_id, body_hash, message_id)
         SELECT i.entity_id, i.hash, i.id FROM jsonb_to_recordset($1::jsonb) AS i(id text, entity_id text, hash text) WHERE i.id = ANY($2::text[])
         ON CONFLICT (entity_id) DO UPDATE SET body_hash = EXCLUDED.body_hash, message_id = EXCLUDED.message_id, at = now()`,
        [json, ids],
      );
      return ids.length;
    });
  }

  /**
   * Claims up to `limit` due messages, oldest first, for `leaseMs`: their next attempt moves past the lease, so another
   * service process on the same database skips them (FOR UPDATE SKIP LOCKED) and a process that dies mid-push leaves
   * them to be retried when the lease ends. The push's outcome then sets the real next attempt.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    const r = await this.db.query<{ id: string; entity_id: string; entity_type: string; body: Entity; attempts: number; created_at: Date }>(
      `UPDATE province_outbox o SET next_attempt_at = $1::timestamptz + make_interval(secs => $3::float8 / 1000)
         FROM (SELECT id FROM province_outbox WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) c
        WHERE o.id = c.id
        RETURNING o.id, o.entity_id, o.entity_type, o.body, o.attempts, o.created_at`,
      [now, limit, leaseMs],
    );
    return r.rows
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : 1))
      .map((x) => ({ id: x.id, entityId: x.entity_id, entityType: x.entity_type, body: x.body, attempts: x.attempts }));
  }

  async nextAttemptAt(): Promise<Date | null> {
    const r = await this.db.query<{ at: Date | null }>(`SELECT min(next_attempt_at) AS at FROM province_outbox WHERE status = 'pending'`);
    return r.rows[0]?.at ?? null;
  }

  async markDelivered(ids: string[]): Promise<void> {
    if (ids.length)
      await this.db.query(
        `UPDATE province_outbox SET status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::text[]) AND status = 'pending'`,
        [ids],
      );
  }

  async markRejected(ids: string[], error: string): Promise<void> {
    if (ids.length)
      await this.db.query(`UPDATE province_outbox SET status = 'rejected', attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::text[])`, [
        ids,
        error.slice(0, 1000),
      ]);
  }

  /** One failed attempt per item, each with its own next time. */
  async markFailed(items: { id: string; nextAt: Date }[], error: string): Promise<void> {
    if (!items.length) return;
    await this.db.query(
      `UPDATE province_outbox o SET attempts = o.attempts + 1, last_error = $2, next_attempt_at = i.next_at
         FROM jsonb_to_recordset($1::jsonb) AS i(id text, next_at timestamptz) WHERE o.id = i.id AND o.status = 'pending'`,
      [JSON.stringify(items.map((i) => ({ id: i.id, next_at: i.nextAt.toISOString() }))), error.slice(0, 1000)],
    );
  }

  async backlog(): Promise<Backlog> {
    const r = await this.db.query<{ status: string; n: number; oldest: Date | null; next: Date | null }>(
      `SELECT status, count(*)::int AS n, min(created_at) AS oldest, min(next_attempt_at) AS next FROM province_outbox GROUP BY status`,
    );
    const by = new Map(r.rows.map((x) => [x.status, x]));
    const e = await this.db.query<{ last_error: string | null }>(
      `SELECT last_error FROM province_outbox WHERE status = 'pending' AND last_error IS NOT NULL ORDER BY next_attempt_at DESC LIMIT 1`,
    );
    const p = by.get('pending');
    return {
      pending: p?.n ?? 0,
      delivered: by.get('delivered')?.n ?? 0,
      rejected: by.get('rejected')?.n ?? 0,
      superseded: by.get('superseded')?.n ?? 0,
      oldestPendingAt: p?.oldest?.toISOString() ?? null,
      nextAttemptAt: p?.next?.toISOString() ?? null,
      lastError: e.rows[0]?.last_error ?? null,
    };
  }

  /**
   * Recent outbox messages, newest first, as the dashboard shows them: what, its state, attempts, and for a play log the
   * bulletin, cluster and result it reports (`broadcast` filters play logs of one province bulletin).
   */
  async messages(f: { type?: string; status?: string; broadcast?: string; limit: number }): Promise<OutboxMessage[]> {
    const r = await this.db.query<{
      id: string;
      entity_id: string;
      entity_type: string;
      status: OutboxMessage['status'];
      created_at: Date;
      attempts: number;
      next_attempt_at: Date;
      last_error: string | null;
      delivered_at: Date | null;
      ref_broadcast: string | null;
      ref_device: string | null;
      result: string | null;
    }>(
      `SELECT id, entity_id, entity_type, status, created_at, attempts, next_attempt_at, last_error, delivered_at,
              body->'refBroadcast'->>'value' AS ref_broadcast, body->'refDevice'->>'object' AS ref_device, body->'result'->>'value' AS result
         FROM province_outbox
        WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR body->'refBroadcast'->>'value' = $3)
        ORDER BY created_at DESC, id LIMIT $4`,
      [f.type ?? null, f.status ?? null, f.broadcast ?? null, f.limit],
    );
    return r.rows.map((x) => ({
      id: x.id,
      entityId: x.entity_id,
      entityType: x.entity_type,
      status: x.status,
      createdAt: x.created_at.toISOString(),
      attempts: x.attempts,
      nextAttemptAt: x.status === 'pending' ? x.next_attempt_at.toISOString() : null,
      lastError: x.last_error,
      deliveredAt: x.delivered_at?.toISOString() ?? null,
      ...(x.ref_broadcast !== null ? { playLog: { broadcast: x.ref_broadcast, device: x.ref_device, result: x.result } } : {}),
    }));
  }

  /** Pending messages waiting out a backoff become due now (an operator's "retry now"); returns how many. */
  async retryNow(now: Date): Promise<number> {
    return (await this.db.query(`UPDATE province_outbox SET next_attempt_at = $1 WHERE status = 'pending' AND next_attempt_at > $1`, [now])).rowCount;
  }

  /** Delivered, rejected and superseded messages older than the cut-off are removed (pending ones never are). */
  async pruneOutbox(before: Date): Promise<number> {
    return (await this.db.query(`DELETE FROM province_outbox WHERE status <> 'pending' AND created_at < $1`, [before])).rowCount;
  }

  async insertBroadcast(b: Omit<ProvinceBroadcast, 'receivedAt' | 'decidedBy' | 'decidedAt' | 'note'>): Promise<void> {
    await this.db.query(
      `INSERT INTO province_broadcasts (id, broadcast_id, priority, title, audio_url, audio_id, sha256, zone_ids, cluster_ids, volume, status, received_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [b.id, b.broadcastId, b.priority, b.title, b.audioUrl, b.audioId, b.sha256, b.zoneIds, b.clusterIds, b.volume, b.status, b.receivedFrom],
    );
  }

  async broadcast(id: string): Promise<ProvinceBroadcast | null> {
    const r = await this.db.query<BroadcastRow>('SELECT * FROM province_broadcasts WHERE id = $1', [id]);
    return r.rows[0] ? toBroadcast(r.rows[0]) : null;
  }

  async byWardBroadcast(broadcastIds: string[]): Promise<ProvinceBroadcast[]> {
    if (!broadcastIds.length) return [];
    const r = await this.db.query<BroadcastRow>('SELECT * FROM province_broadcasts WHERE broadcast_id = ANY($1::text[])', [broadcastIds]);
    return r.rows.map(toBroadcast);
  }

  async broadcasts(status: string | null, limit: number): Promise<ProvinceBroadcast[]> {
    const r = await this.db.query<BroadcastRow>(
      'SELECT * FROM province_broadcasts WHERE ($1::text IS NULL OR status = $1) ORDER BY received_at DESC LIMIT $2',
      [status, limit],
    );
    return r.rows.map(toBroadcast);
  }

  async decide(id: string, status: ProvinceBroadcast['status'], by: string, note: string | null): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE province_broadcasts SET status = $2, decided_by = $3, decided_at = now(), note = $4 WHERE id = $1 AND status = 'awaiting_operator'`,
      [id, status, by, note],
    );
    return r.rowCount === 1;
  }

  /** Play-log events of the given ward broadcasts since `since` (catch-up after a restart). */
  async playLogEvents(
    event: string,
    broadcastIds: string[],
    since: Date,
  ): Promise<{ time: Date; deviceId: string; kind: string; data: Record<string, unknown> }[]> {
    if (!broadcastIds.length) return [];
    const r = await this.db.query<{ time: Date; device_id: string; kind: string; data: Record<string, unknown> }>(
      `SELECT e.time, e.device_id, d.kind, e.data FROM device_events e JOIN devices d ON d.id = e.device_id
        WHERE e.event = $1 AND e.time >= $2 AND e.data->>'broadcastId' = ANY($3::text[]) ORDER BY e.time`,
      [event, since, broadcastIds],
    );
    return r.rows.map((x) => ({ time: x.time, deviceId: x.device_id, kind: x.kind, data: x.data }));
  }

  async deviceKinds(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const r = await this.db.query<{ id: string; kind: string }>('SELECT id, kind FROM devices WHERE id = ANY($1::text[])', [ids]);
    return new Map(r.rows.map((x) => [x.id, x.kind]));
  }

  async recentBroadcastIds(since: Date): Promise<string[]> {
    const r = await this.db.query<{ broadcast_id: string }>(`SELECT broadcast_id FROM province_broadcasts WHERE received_at >= $1 AND status <> 'declined'`, [
      since,
    ]);
    return r.rows.map((x) => x.broadcast_id);
  }
}
