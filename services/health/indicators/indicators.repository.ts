import type { Db } from '../../db/db.ts';
import { counterCeiling, counterStepsCte } from '../../telemetry/counter-steps.ts';

export interface IndicatorDevice {
  id: string;
  kind: string;
  name: string;
  groupId: string | null;
  /** Installation date, or the registration date when none was entered. */
  since: number;
  asset: Record<string, unknown>;
  online: boolean | null;
  state: Record<string, unknown>;
}

export interface PlayLog {
  deviceId: string;
  broadcastId: string;
  start: number;
  end: number;
  result: string;
}

export interface Emergency {
  id: string;
  title: string;
  requestedAt: number;
  firstAirAt: number | null;
}

export interface Fault {
  deviceId: string;
  raisedAt: number;
  /** When it was cleared (by a repair or an operator), if before the cut-off. */
  closedAt: number | null;
}

export interface Repair {
  deviceId: string;
  raisedAt: number;
  clearedAt: number;
}

const ms = (d: Date | string): number => new Date(d).getTime();
const HOUR = 3600_000;

/**
 * Splits [from, to) into whole rollup hours before `mark` and raw ranges: the head up to the first whole hour and
 * the tail from `mark` (or from the last whole hour before `to`) on. Exported for unit tests.
 */
export function splitAtRollup(from: number, to: number, mark: number | null): { rollup: [number, number] | null; raw: [number, number][] } {
  const first = Math.ceil(from / HOUR) * HOUR;
  const last = Math.min(mark ?? -Infinity, Math.floor(to / HOUR) * HOUR);
  if (last <= first) return { rollup: null, raw: [[from, to]] };
  const raw: [number, number][] = [];
  if (from < first) raw.push([from, first]);
  if (last < to) raw.push([last, to]);
  return { rollup: [first, last], raw };
}

/** SQL behind the plan's indicators: devices, counter deltas and gauge means from the hourly rollup, play logs, repairs. */
export class IndicatorsRepository {
  private readonly db: Db;
  private readonly now: () => number;
  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }

  /** The devices of these wards (one ward's report, or every ward for the province aggregate). */
  async devices(wardCodes: readonly string[]): Promise<IndicatorDevice[]> {
    const r = await this.db.query<{
      id: string;
      kind: string;
      name: string;
      group_id: string | null;
      since: Date;
      asset: Record<string, unknown>;
      online: boolean | null;
      state: Record<string, unknown> | null;
    }>(
      `SELECT d.id, d.kind, d.name, d.group_id, coalesce(d.installed_at, d.created_at) AS since, d.asset, s.online, s.state
       FROM devices d LEFT JOIN device_state s ON s.device_id = d.id WHERE d.ward_code = ANY($1::text[]) ORDER BY d.id`,
      [wardCodes],
    );
    return r.rows.map((x) => ({
      id: x.id,
      kind: x.kind,
      name: x.name,
      groupId: x.group_id,
      since: ms(x.since),
      asset: x.asset,
      online: x.online,
      state: x.state ?? {},
    }));
  }

  async groups(wardCodes: readonly string[]): Promise<{ id: string; name: string }[]> {
    const r = await this.db.query<{ id: string; name: string }>(
      `SELECT id, name FROM zones WHERE kind = 'residential_group' AND ward_code = ANY($1::text[]) ORDER BY ward_code, id`,
      [wardCodes],
    );
    return r.rows;
  }

  /**
   * Increase of a cumulative counter per device over [from, to), by the per-reading rule of
   * services/telemetry/counter-steps.ts (a reset counts from zero, never a negative or max − min figure): whole hours
   * from counter_hourly up to its last refreshed hour, the rest (the real-time tail, and an unaligned head) from
   * the raw readings, so a report "as of" now includes the current hour exactly as the API's energy view does.
   */
  async counterDeltas(ids: readonly string[], metric: string, from: number, to: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!ids.length || to <= from) return out;
    const add = (rows: { device_id: string; v: number | null }[]): void => {
      for (const r of rows) out.set(r.device_id, (out.get(r.device_id) ?? 0) + Number(r.v ?? 0));
    };
    const mark = await this.rollupEnd('SELECT max(bucket) AS m FROM counter_hourly WHERE metric = $1', [metric]);
    const split = splitAtRollup(from, to, mark);
    if (split.rollup) {
      add(
        (
          await this.db.query<{ device_id: string; v: number }>(
            `SELECT device_id, sum(increase)::float8 AS v FROM counter_hourly
         WHERE device_id = ANY($1::text[]) AND metric = $2 AND bucket >= $3 AND bucket < $4 GROUP BY device_id`,
            [ids, metric, new Date(split.rollup[0]), new Date(split.rollup[1])],
          )
        ).rows,
      );
    }
    for (const [a, b] of split.raw) {
      add(
        (
          await this.db.query<{ device_id: string; v: number }>(
            `WITH ${counterStepsCte({ ids: '$1', metric: '$2', from: '$3', to: '$4', max: '$5' })}
         SELECT device_id, sum(inc)::float8 AS v FROM cs_steps GROUP BY device_id`,
            [ids, metric, new Date(a), new Date(b), counterCeiling(metric)],
          )
        ).rows,
      );
    }
    return out;
  }

  /**
   * Sum and count of a gauge's readings per device over [from, to) (booleans are 0/1: sum/count = share true): whole
   * hours from the hourly rollup up to its last refreshed hour, the real-time tail from the raw readings.
   */
  async gaugeSums(ids: readonly string[], metric: string, from: number, to: number): Promise<Map<string, { sum: number; count: number }>> {
    const out = new Map<string, { sum: number; count: number }>();
    if (!ids.length || to <= from) return out;
    const add = (rows: { device_id: string; s: number | null; n: number | null }[]): void => {
      for (const r of rows) {
        const o = out.get(r.device_id) ?? { sum: 0, count: 0 };
        out.set(r.device_id, { sum: o.sum + Number(r.s ?? 0), count: o.count + Number(r.n ?? 0) });
      }
    };
    const mark = await this.rollupEnd('SELECT max(bucket) AS m FROM telemetry_hourly', []);
    const split = splitAtRollup(from, to, mark);
    if (split.rollup) {
      add(
        (
          await this.db.query<{ device_id: string; s: number; n: number }>(
            `SELECT device_id, sum((stats->$2->>1)::float8)::float8 AS s, sum((stats->$2->>0)::float8)::float8 AS n
         FROM telemetry_hourly WHERE device_id = ANY($1::text[]) AND bucket >= $3 AND bucket < $4 AND stats ? $2 GROUP BY device_id`,
            [ids, metric, new Date(split.rollup[0]), new Date(split.rollup[1])],
          )
        ).rows,
      );
    }
    for (const [a, b] of split.raw) {
      add(
        (
          await this.db.query<{ device_id: string; s: number; n: number }>(
            `SELECT device_id, sum((data->>$2)::float8)::float8 AS s, count(*)::float8 AS n FROM telemetry
         WHERE device_id = ANY($1::text[]) AND time >= $3 AND time < $4 AND jsonb_typeof(data->$2) = 'number' GROUP BY device_id`,
            [ids, metric, new Date(a), new Date(b)],
          )
        ).rows,
      );
    }
    return out;
  }

  /**
   * Where a rollup stops being trusted: its newest hour may still have been filling when it was refreshed (plain
   * PostgreSQL and the counter rollup refresh up to now), so that hour and everything after come from the raw rows.
   * Never later than the current hour (a device clock ahead must not hide the tail). null: the rollup is empty.
   */
  private async rollupEnd(sql: string, params: unknown[]): Promise<number | null> {
    const r = await this.db.query<{ m: Date | null }>(sql, params);
    const m = r.rows[0]?.m;
    if (!m) return null;
    return Math.min(ms(m), Math.floor(this.now() / HOUR) * HOUR);
  }

  /** Play-log events whose airing started in [from, to); start/end must be ISO times (others are skipped). */
  async playLogs(ids: readonly string[], event: string, from: number, to: number): Promise<PlayLog[]> {
    if (!ids.length) return [];
    const r = await this.db.query<{ device_id: string; bid: string; s: Date; e: Date; result: string }>(
      `SELECT device_id, bid, s, e, result FROM (
         SELECT device_id, data->>'broadcastId' AS bid, coalesce(data->>'result', 'ok') AS result,
                CASE WHEN data->>'start' ~ '^\\d{4}-\\d{2}-\\d{2}T' THEN (data->>'start')::timestamptz END AS s,
                CASE WHEN data->>'end' ~ '^\\d{4}-\\d{2}-\\d{2}T' THEN (data->>'end')::timestamptz END AS e
         FROM device_events WHERE device_id = ANY($1::text[]) AND event = $2 AND time >= $3::timestamptz - interval '1 day' AND time < $4::timestamptz + interval '1 day') p
       WHERE s IS NOT NULL AND e IS NOT NULL AND bid IS NOT NULL AND s >= $3::timestamptz AND s < $4::timestamptz`,
      [ids, event, new Date(from), new Date(to)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, broadcastId: x.bid, start: ms(x.s), end: ms(x.e), result: x.result }));
  }

  /** Whether the control module's broadcasts table exists (it is another module's; absent = "not available"). */
  async hasBroadcasts(): Promise<boolean> {
    const r = await this.db.query<{ t: string | null }>(`SELECT to_regclass('broadcasts')::text AS t`);
    return r.rows[0]?.t !== null && r.rows[0]?.t !== undefined;
  }

  /** Emergency broadcasts requested in [from, to) and the first moment any cluster aired them. */
  /**
   * Emergency bulletins requested in [from, to); with `wardCodes`, only those addressed to or aired on a cluster of
   * these wards (null: every bulletin of the deployment).
   */
  async emergencies(event: string, from: number, to: number, wardCodes: readonly string[] | null): Promise<Emergency[]> {
    const r = await this.db.query<{ id: string; title: string; requested_at: Date; first_air: Date | null }>(
      `SELECT b.id, b.title, b.requested_at,
              (SELECT min((e.data->>'start')::timestamptz) FROM device_events e
               WHERE e.event = $3 AND e.data->>'broadcastId' = b.id AND e.data->>'start' ~ '^\\d{4}-\\d{2}-\\d{2}T'
                 AND coalesce(e.data->>'result', 'ok') <> 'failed' AND e.time >= b.requested_at - interval '1 hour') AS first_air
       FROM broadcasts b WHERE b.priority = 'emergency' AND b.requested_at >= $1 AND b.requested_at < $2
         AND ($4::text[] IS NULL OR EXISTS (SELECT 1 FROM devices d WHERE d.ward_code = ANY($4::text[])
                     AND (d.id = ANY(b.cluster_ids) OR EXISTS (SELECT 1 FROM broadcast_airings a WHERE a.broadcast_id = b.id AND a.cluster_id = d.id)
                          OR EXISTS (SELECT 1 FROM device_events e WHERE e.device_id = d.id AND e.event = $3 AND e.data->>'broadcastId' = b.id))))
       ORDER BY b.requested_at`,
      [new Date(from), new Date(to), event, wardCodes],
    );
    return r.rows.map((x) => ({ id: x.id, title: x.title, requestedAt: ms(x.requested_at), firstAirAt: x.first_air ? ms(x.first_air) : null }));
  }

  /** Critical alarms the condition itself cleared in [from, to) (a repair), flapping excluded. */
  async repairs(ids: readonly string[], from: number, to: number): Promise<Repair[]> {
    if (!ids.length) return [];
    const r = await this.db.query<{ device_id: string; raised_at: Date; cleared_at: Date }>(
      `SELECT device_id, raised_at, cleared_at FROM alarms
       WHERE device_id = ANY($1::text[]) AND state = 'cleared' AND cleared_by = 'system' AND severity = 'critical'
         AND rule <> 'flapping' AND cleared_at >= $2 AND cleared_at < $3`,
      [ids, new Date(from), new Date(to)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, raisedAt: ms(x.raised_at), clearedAt: ms(x.cleared_at) }));
  }

  /** Critical alarms raised in [from, to), flapping excluded, and when they were cleared if before `to`. */
  async faults(ids: readonly string[], from: number, to: number): Promise<Fault[]> {
    if (!ids.length) return [];
    const r = await this.db.query<{ device_id: string; raised_at: Date; closed_at: Date | null }>(
      `SELECT device_id, raised_at,
              CASE WHEN state = 'cleared' AND cleared_at < $3 THEN cleared_at END AS closed_at
       FROM alarms
       WHERE device_id = ANY($1::text[]) AND severity = 'critical' AND rule <> 'flapping' AND raised_at >= $2 AND raised_at < $3`,
      [ids, new Date(from), new Date(to)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, raisedAt: ms(x.raised_at), closedAt: x.closed_at ? ms(x.closed_at) : null }));
  }
}
