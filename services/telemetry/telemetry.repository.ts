import { scopedWards } from '../auth/ward-scope.ts';
import type { Db } from '../db/db.ts';
import { counterCeiling } from './counter-steps.ts';

export interface SeriesPoint {
  bucket: string;
  value: number | null;
  count: number;
}

export type GaugeAgg = 'avg' | 'min' | 'max' | 'last';

export interface StateRecord {
  deviceId: string;
  kind: string;
  name: string;
  groupId: string | null;
  online: boolean | null;
  lastSeen: string | null;
  stateAt: string | null;
  statusChangedAt: string | null;
  statusReason: string | null;
  state: Record<string, unknown>;
}

interface StateRow {
  id: string;
  kind: string;
  name: string;
  group_id: string | null;
  online: boolean | null;
  last_seen: Date | null;
  state_at: Date | null;
  status_changed_at: Date | null;
  status_reason: string | null;
  state: Record<string, unknown> | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

const GAUGE_SQL: Record<GaugeAgg, string> = {
  avg: 'avg(v)',
  min: 'min(v)',
  max: 'max(v)',
  last: '(array_agg(v ORDER BY time DESC))[1]',
};

/**
 * Reads of telemetry and state. Buckets use date_bin with an origin at local midnight of a Monday in the ward's
 * time zone, so day and week buckets follow the ward's calendar; the SQL is the same on every flavour.
 */
export class TelemetryRepository {
  private readonly db: Db;
  private readonly timezone: string;
  constructor(db: Db, timezone: string) {
    this.db = db;
    this.timezone = timezone;
  }

  private origin(): string {
    return `('2000-01-03 00:00:00'::timestamp AT TIME ZONE '${this.timezone.replace(/'/g, '')}')`;
  }

  async gaugeSeries(deviceId: string, metric: string, from: Date, to: Date, bucketS: number, agg: GaugeAgg): Promise<SeriesPoint[]> {
    const r = await this.db.query<{ bucket: Date; value: number | null; count: number }>(
      `SELECT date_bin(make_interval(secs => $5), time, ${this.origin()}) AS bucket, ${GAUGE_SQL[agg]} AS value, count(*)::int AS count
       FROM (SELECT time, (data->>$2)::float8 AS v FROM telemetry
             WHERE device_id = $1 AND time >= $3 AND time < $4 AND data ? $2) p
       GROUP BY 1 ORDER BY 1`,
      [deviceId, metric, from, to, bucketS],
    );
    return r.rows.map((x) => ({ bucket: new Date(x.bucket).toISOString(), value: x.value, count: x.count }));
  }

  /**
   * Increase of a counter per bucket. The reading just before the window is the baseline; a value lower than the
   * previous one is a counter reset (node replaced, firmware restart), and then the new value itself is the increase.
   * Readings outside the kinds' declared range (stored before ingest enforced it) are skipped (counter-steps.ts).
   */
  async counterDeltas(deviceId: string, metric: string, from: Date, to: Date, bucketS: number): Promise<SeriesPoint[]> {
    const r = await this.db.query<{ bucket: Date; value: number | null; count: number }>(
      `WITH pts AS (
         SELECT time, (data->>$2)::float8 AS v FROM telemetry
         WHERE device_id = $1 AND data ? $2 AND time < $4 AND (data->>$2)::float8 BETWEEN 0 AND $6::float8
           AND time >= coalesce((SELECT max(time) FROM telemetry WHERE device_id = $1 AND data ? $2 AND time < $3
                                   AND (data->>$2)::float8 BETWEEN 0 AND $6::float8), $3)
       ), steps AS (
         SELECT time, v, v - lag(v) OVER (ORDER BY time) AS d FROM pts
       )
       SELECT date_bin(make_interval(secs => $5), time, ${this.origin()}) AS bucket,
              sum(CASE WHEN d IS NULL THEN 0 WHEN d >= 0 THEN d ELSE v END) AS value, count(*)::int AS count
       FROM steps WHERE time >= $3
       GROUP BY 1 ORDER BY 1`,
      [deviceId, metric, from, to, bucketS, counterCeiling(metric)],
    );
    return r.rows.map((x) => ({ bucket: new Date(x.bucket).toISOString(), value: x.value, count: x.count }));
  }

  async states(f: { deviceId?: string; kind?: string; zoneId?: string; groupId?: string; limit: number; offset: number }): Promise<StateRecord[]> {
    const r = await this.db.query<StateRow>(
      `SELECT d.id, d.kind, d.name, d.group_id, s.online, s.last_seen, s.state_at, s.status_changed_at, s.status_reason, s.state
       FROM devices d LEFT JOIN device_state s ON s.device_id = d.id
       WHERE ($1::text IS NULL OR d.id = $1) AND ($2::text IS NULL OR d.kind = $2) AND ($4::text IS NULL OR d.group_id = $4)
         AND ($3::text IS NULL OR d.group_id = $3 OR EXISTS (SELECT 1 FROM device_zones z WHERE z.device_id = d.id AND z.zone_id = $3))
         AND ($7::text[] IS NULL OR d.ward_code = ANY($7::text[]))
       ORDER BY d.id LIMIT $5 OFFSET $6`,
      [f.deviceId ?? null, f.kind ?? null, f.zoneId ?? null, f.groupId ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map((x) => ({
      deviceId: x.id,
      kind: x.kind,
      name: x.name,
      groupId: x.group_id,
      online: x.online,
      lastSeen: iso(x.last_seen),
      stateAt: iso(x.state_at),
      statusChangedAt: iso(x.status_changed_at),
      statusReason: x.status_reason,
      state: x.state ?? {},
    }));
  }

  /**
   * Every device with its position and latest state, as the JSON text of an array of rows in FLEET_FIELDS order, built
   * by the database in one statement (no per-row objects in the service: the dashboard's snapshot of a whole ward).
   */
  async fleetJson(): Promise<string> {
    const r = await this.db.query<{ items: string | null }>(
      `SELECT json_agg(json_build_array(d.id, d.kind, d.name, d.group_id, coalesce(z.ids, '{}'), d.lat, d.lon, s.online,
                to_char(s.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), s.status_reason, coalesce(s.state, '{}'::jsonb)) ORDER BY d.id)::text AS items
       FROM devices d
       LEFT JOIN device_state s ON s.device_id = d.id
       LEFT JOIN (SELECT device_id, array_agg(zone_id ORDER BY zone_id) AS ids FROM device_zones GROUP BY device_id) z ON z.device_id = d.id
       WHERE $1::text[] IS NULL OR d.ward_code = ANY($1::text[])`,
      [scopedWards()],
    );
    return r.rows[0]?.items ?? '[]';
  }

  async events(
    deviceId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<{ time: string; event: string; active: boolean | null; severity: string; data: Record<string, unknown> }[]> {
    const r = await this.db.query<{ time: Date; event: string; active: boolean | null; severity: string; data: Record<string, unknown> }>(
      `SELECT time, event, active, severity, data FROM device_events WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time DESC LIMIT $4`,
      [deviceId, from, to, limit],
    );
    return r.rows.map((x) => ({ ...x, time: new Date(x.time).toISOString() }));
  }

  async statusHistory(deviceId: string, from: Date, to: Date, limit: number): Promise<{ time: string; online: boolean; reason: string }[]> {
    const r = await this.db.query<{ time: Date; online: boolean; reason: string }>(
      `SELECT time, online, reason FROM status_events WHERE device_id = $1 AND time >= $2 AND time < $3 ORDER BY time DESC LIMIT $4`,
      [deviceId, from, to, limit],
    );
    return r.rows.map((x) => ({ ...x, time: new Date(x.time).toISOString() }));
  }

  async deadLetters(f: { deviceId?: string; reasonCode?: string; limit: number }): Promise<
    {
      id: number;
      receivedAt: string;
      deviceId: string | null;
      topic: string;
      reasonCode: string;
      reason: string;
      payload: string | null;
      payloadSize: number;
    }[]
  > {
    const r = await this.db.query<{
      id: number;
      received_at: Date;
      device_id: string | null;
      topic: string;
      reason_code: string;
      reason: string;
      payload: string | null;
      payload_size: number;
    }>(
      // In a ward scope: only letters of the caller's devices (a refused connect names no device of any ward).
      `SELECT * FROM dead_letters l WHERE ($1::text IS NULL OR device_id = $1) AND ($2::text IS NULL OR reason_code = $2)
         AND ($4::text[] IS NULL OR EXISTS (SELECT 1 FROM devices d WHERE d.id = l.device_id AND d.ward_code = ANY($4::text[])))
       ORDER BY id DESC LIMIT $3`,
      [f.deviceId ?? null, f.reasonCode ?? null, f.limit, scopedWards()],
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      receivedAt: new Date(x.received_at).toISOString(),
      deviceId: x.device_id,
      topic: x.topic,
      reasonCode: x.reason_code,
      reason: x.reason,
      payload: x.payload,
      payloadSize: x.payload_size,
    }));
  }
}
