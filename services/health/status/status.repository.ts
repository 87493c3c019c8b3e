import { scopedWards } from '../../auth/ward-scope.ts';
import type { Db } from '../../db/db.ts';

export interface KindOverride {
  kind: string;
  reportIntervalS: number | null;
  maxReportIntervalS: number | null;
  missedReportsOffline: number | null;
}

export interface StaleDevice {
  deviceId: string;
  kind: string;
  /** The last sign of life: the newest of last message and last status change. */
  lastEvidence: number;
}

export interface OfflineDevice {
  deviceId: string;
  kind: string;
  since: number;
  reason: string | null;
}

export interface DeviceFacts {
  kind: string;
  asset: Record<string, unknown>;
}

/** SQL of device status: per-kind overrides, the missed-report sweep, and reads of the latest state. */
export class StatusRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async kindOverrides(): Promise<KindOverride[]> {
    const r = await this.db.query<{
      kind: string;
      report_interval_s: number | null;
      max_report_interval_s: number | null;
      missed_reports_offline: number | null;
    }>('SELECT kind, report_interval_s, max_report_interval_s, missed_reports_offline FROM health_kind_settings ORDER BY kind');
    return r.rows.map((x) => ({
      kind: x.kind,
      reportIntervalS: x.report_interval_s,
      maxReportIntervalS: x.max_report_interval_s,
      missedReportsOffline: x.missed_reports_offline,
    }));
  }

  async putKindOverride(o: KindOverride, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO health_kind_settings (kind, report_interval_s, max_report_interval_s, missed_reports_offline, updated_at, updated_by)
       VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (kind) DO UPDATE SET report_interval_s = EXCLUDED.report_interval_s, max_report_interval_s = EXCLUDED.max_report_interval_s,
         missed_reports_offline = EXCLUDED.missed_reports_offline, updated_at = now(), updated_by = EXCLUDED.updated_by`,
      [o.kind, o.reportIntervalS, o.maxReportIntervalS, o.missedReportsOffline, by],
    );
  }

  async deleteKindOverride(kind: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM health_kind_settings WHERE kind = $1', [kind])).rowCount > 0;
  }

  /** Online devices silent for longer than their kind's threshold (seconds), as of `now`. */
  async staleOnline(now: number, thresholds: { kind: string; seconds: number }[]): Promise<StaleDevice[]> {
    if (!thresholds.length) return [];
    const r = await this.db.query<{ device_id: string; kind: string; ms: number }>(
      `SELECT s.device_id, d.kind, (extract(epoch FROM greatest(s.last_seen, s.status_changed_at)) * 1000)::float8 AS ms
       FROM device_state s JOIN devices d ON d.id = s.device_id
       JOIN unnest($2::text[], $3::float8[]) AS k(kind, secs) ON k.kind = d.kind
       WHERE s.online AND greatest(s.last_seen, s.status_changed_at) < $1::timestamptz - make_interval(secs => k.secs)`,
      [new Date(now), thresholds.map((t) => t.kind), thresholds.map((t) => t.seconds)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, kind: x.kind, lastEvidence: Number(x.ms) }));
  }

  async offline(): Promise<OfflineDevice[]> {
    const r = await this.db.query<{ device_id: string; kind: string; since: Date | null; status_reason: string | null }>(
      `SELECT s.device_id, d.kind, s.status_changed_at AS since, s.status_reason FROM device_state s JOIN devices d ON d.id = s.device_id WHERE s.online = false`,
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, kind: x.kind, since: x.since ? new Date(x.since).getTime() : 0, reason: x.status_reason }));
  }

  /** Latest online flag per device (null: never reported). */
  async onlineFlags(): Promise<Map<string, boolean>> {
    const r = await this.db.query<{ device_id: string; online: boolean }>('SELECT device_id, online FROM device_state WHERE online IS NOT NULL');
    return new Map(r.rows.map((x) => [x.device_id, x.online]));
  }

  async onlineOf(ids: readonly string[]): Promise<Map<string, { online: boolean | null; changedAt: number | null }>> {
    const r = await this.db.query<{ device_id: string; online: boolean | null; changed: Date | null }>(
      'SELECT device_id, online, status_changed_at AS changed FROM device_state WHERE device_id = ANY($1::text[])',
      [ids],
    );
    return new Map(r.rows.map((x) => [x.device_id, { online: x.online, changedAt: x.changed ? new Date(x.changed).getTime() : null }]));
  }

  /** Status changes since `since`, oldest first (restores the flapping detector after a restart). */
  async changesSince(since: number): Promise<{ deviceId: string; at: number }[]> {
    const r = await this.db.query<{ device_id: string; ms: number }>(
      'SELECT device_id, (extract(epoch FROM time) * 1000)::float8 AS ms FROM status_events WHERE time >= $1 ORDER BY time',
      [new Date(since)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, at: Number(x.ms) }));
  }

  async countsByKind(): Promise<{ kind: string; devices: number; online: number; offline: number }[]> {
    const r = await this.db.query<{ kind: string; devices: number; online: number; offline: number }>(
      `SELECT d.kind, count(*)::int AS devices, count(*) FILTER (WHERE s.online)::int AS online, count(*) FILTER (WHERE s.online = false)::int AS offline
       FROM devices d LEFT JOIN device_state s ON s.device_id = d.id
       WHERE $1::text[] IS NULL OR d.ward_code = ANY($1::text[]) GROUP BY d.kind ORDER BY d.kind`,
      [scopedWards()],
    );
    return r.rows;
  }

  async facts(ids?: readonly string[]): Promise<Map<string, DeviceFacts>> {
    const r = await this.db.query<{ id: string; kind: string; asset: Record<string, unknown> }>(
      'SELECT id, kind, asset FROM devices WHERE $1::text[] IS NULL OR id = ANY($1::text[])',
      [ids ?? null],
    );
    return new Map(r.rows.map((x) => [x.id, { kind: x.kind, asset: x.asset }]));
  }
}
