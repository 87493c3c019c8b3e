import type { Db, Queryable } from '../db/db.ts';
import { mergeStates, sanitizeBatch, type AckRow, type Batch, type StateRow, type StatusRow, type TelemetryRow } from './batch.ts';

export interface WriteResult {
  telemetryInserted: number;
  eventsInserted: number;
}

/** How an incoming latest-state row meets the stored one (newer values win key by key; see upsertStates). */
const STATE_UPSERT = `ON CONFLICT (device_id) DO UPDATE SET
         state = CASE WHEN EXCLUDED.state_at IS NULL THEN device_state.state
                      WHEN device_state.state_at IS NULL OR EXCLUDED.state_at >= device_state.state_at THEN device_state.state || EXCLUDED.state
                      ELSE EXCLUDED.state || device_state.state END,
         state_at = greatest(device_state.state_at, EXCLUDED.state_at),
         last_seen = greatest(device_state.last_seen, EXCLUDED.last_seen)`;

/** A telemetry row as sent to PostgreSQL; `x` and `lastSeen` when it also carries its device's latest state. */
interface TelemetryDocRow extends TelemetryRow {
  x?: Record<string, unknown>;
  lastSeen?: string;
}

/**
 * What a latest state holds beyond a telemetry row's readings, if the state is exactly those readings plus it (jsonb
 * `data || extras` rebuilds it); null when it is not (a reading missing from the state, or a different value there).
 * Readings are numbers; the state has the same numbers, booleans where telemetry stores 1/0, and the enums and strings
 * telemetry does not store.
 */
function extrasOf(data: Record<string, number>, state: Record<string, unknown>): Record<string, unknown> | null {
  for (const k in data) {
    if (!Object.hasOwn(state, k)) return null;
    const v = state[k];
    if (v !== data[k] && !(typeof v === 'boolean' && data[k] === (v ? 1 : 0))) return null;
  }
  const extras: Record<string, unknown> = {};
  for (const k in state) {
    const v = state[k];
    if (typeof v === 'number' && Object.hasOwn(data, k)) continue;
    // `__proto__` as a key must stay an own property, as it is in the state it comes from.
    if (k === '__proto__') Object.defineProperty(extras, k, { value: v, enumerable: true, writable: true, configurable: true });
    else extras[k] = v;
  }
  return extras;
}

/**
 * The batch's telemetry and latest-state rows as two JSON documents. A device's merged latest state is nearly always
 * the state of one of its telemetry rows in the batch (same time, the same readings, plus enums and the like): that
 * state travels inside the telemetry row as `x` (the values beyond its readings) and `lastSeen`, so each reading is
 * serialised (and parsed by PostgreSQL) once rather than twice. Every other state row goes in the states document.
 */
export function batchDocuments(b: Batch): { telemetry: string; states: string } {
  if (!b.states.length) return { telemetry: b.telemetry.length ? JSON.stringify(b.telemetry) : '', states: '' };
  const merged = mergeStates(b.states);
  if (!b.telemetry.length) return { telemetry: '', states: JSON.stringify(merged) };
  const open = new Map<string, StateRow>();
  for (const s of merged) if (s.stateAt !== null) open.set(s.deviceId, s);
  const carried = new Set<StateRow>();
  const rows: TelemetryDocRow[] = new Array(b.telemetry.length);
  for (let i = 0; i < b.telemetry.length; i++) {
    const r = b.telemetry[i]!;
    const s = open.get(r.deviceId);
    const x = s && s.stateAt === r.time ? extrasOf(r.data, s.state) : null;
    if (s && x) {
      open.delete(r.deviceId);
      carried.add(s);
      rows[i] = { time: r.time, deviceId: r.deviceId, data: r.data, x, lastSeen: s.lastSeen };
    } else rows[i] = r;
  }
  const rest = carried.size ? merged.filter((s) => !carried.has(s)) : merged;
  return { telemetry: JSON.stringify(rows), states: rest.length ? JSON.stringify(rest) : '' };
}

/**
 * All SQL of the ingest path. One batch = one transaction; every insert is idempotent.
 *
 * Rows are locked in one order (device id) by every batch, so concurrent writers queue instead of deadlocking, and a
 * device appears at most once per upsert statement (PostgreSQL refuses to update the same row twice in one statement).
 */
export class IngestRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  writeBatch(input: Batch): Promise<WriteResult> {
    // Telemetry and latest-state rows (nearly every row of a batch) travel as one JSON document each: one native
    // JSON.stringify instead of a JSON text per row escaped again into a PostgreSQL array literal.
    let b = input;
    let { telemetry, states } = batchDocuments(b);
    // Text PostgreSQL refuses (NUL characters) is escaped first: one odd byte must not cost the whole batch. JSON writes
    // U+0000 as `\u0000`, so the documents show whether the (rare) full sanitizing pass is needed; the other row kinds
    // are few and always get it.
    if (b.events.length || b.statuses.length || b.deadLetters.length || b.acks?.length || telemetry.includes('\\u0000') || states.includes('\\u0000')) {
      b = sanitizeBatch(input);
      if (b !== input) ({ telemetry, states } = batchDocuments(b));
    }
    return this.db.transaction(async (tx) => {
      // Rows a status change updates must exist first; without status rows the latest-state upsert creates its own.
      if (b.statuses.length) await this.ensureStateRows(tx, b);
      let telemetryInserted = 0;
      let eventsInserted = 0;
      // Telemetry and latest state in one statement (one parse of the telemetry document); else the states on their own.
      if (telemetry) telemetryInserted = await this.insertTelemetryAndStates(tx, telemetry, states || '[]');
      else if (states) await this.upsertStates(tx, states);
      if (b.events.length) {
        const r = await tx.query(
          `INSERT INTO device_events (time, device_id, event, active, severity, data)
           SELECT u.* FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::jsonb[])
             AS u(time, device_id, event, active, severity, data)
           WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u.device_id)
           ON CONFLICT DO NOTHING`,
          [
            b.events.map((e) => e.time),
            b.events.map((e) => e.deviceId),
            b.events.map((e) => e.event),
            b.events.map((e) => e.active),
            b.events.map((e) => e.severity),
            b.events.map((e) => JSON.stringify(e.data)),
          ],
        );
        eventsInserted = r.rowCount;
      }
      const statuses = [...b.statuses].sort((x, y) =>
        x.deviceId < y.deviceId ? -1 : x.deviceId > y.deviceId ? 1 : x.time < y.time ? -1 : x.time > y.time ? 1 : 0,
      );
      for (const s of statuses) await this.recordStatus(tx, s);
      if (b.deadLetters.length) {
        const d = b.deadLetters;
        await tx.query(
          `INSERT INTO dead_letters (received_at, device_id, topic, reason_code, reason, payload, payload_size, dedup_key)
           SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[])
           ON CONFLICT (dedup_key) DO NOTHING`,
          [
            d.map((x) => x.receivedAt),
            d.map((x) => x.deviceId),
            d.map((x) => x.topic),
            d.map((x) => x.reasonCode),
            d.map((x) => x.reason),
            d.map((x) => x.payload),
            d.map((x) => x.payloadSize),
            d.map((x) => x.key ?? null),
          ],
        );
      }
      if (b.acks?.length) await this.insertAcks(tx, b.acks);
      return { telemetryInserted, eventsInserted };
    });
  }

  private async insertAcks(tx: Queryable, acks: AckRow[]): Promise<void> {
    await tx.query(
      `INSERT INTO ingest_command_acks (device_id, command_id, status, ack_time, result, error)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[])
       ON CONFLICT DO NOTHING`,
      [
        acks.map((a) => a.deviceId),
        acks.map((a) => a.commandId),
        acks.map((a) => a.status),
        acks.map((a) => a.time),
        acks.map((a) => JSON.stringify(a.result)),
        acks.map((a) => a.error),
      ],
    );
  }

  /** Stored command acks not yet applied by the control module (oldest first); `minAgeS` skips ones being applied now. */
  async pendingAcks(limit: number, minAgeS: number): Promise<AckRow[]> {
    const r = await this.db.query<{
      device_id: string;
      command_id: string;
      status: string;
      ack_time: Date | string;
      result: Record<string, unknown>;
      error: string | null;
    }>(
      `SELECT device_id, command_id, status, ack_time, result, error FROM ingest_command_acks
       WHERE received_at <= now() - make_interval(secs => $2) ORDER BY received_at LIMIT $1`,
      [limit, minAgeS],
    );
    return r.rows.map((x) => ({
      deviceId: x.device_id,
      commandId: x.command_id,
      status: x.status,
      time: new Date(x.ack_time).toISOString(),
      result: x.result,
      error: x.error,
    }));
  }

  /** Forgets acks the control module has applied. */
  async deleteAcks(acks: AckRow[]): Promise<void> {
    if (!acks.length) return;
    await this.db.query(
      `DELETE FROM ingest_command_acks i USING unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS a(device_id, command_id, status, ack_time)
       WHERE i.device_id = a.device_id AND i.command_id = a.command_id AND i.status = a.status AND i.ack_time = a.ack_time`,
      [acks.map((a) => a.deviceId), acks.map((a) => a.commandId), acks.map((a) => a.status), acks.map((a) => a.time)],
    );
  }

  /**
   * Latest state: newer values win key by key, so a late (replayed) message never hides a newer reading. `states` is
   * mergeStates' output as JSON: one row per device, sorted by device id (the lock order).
   */
  private async upsertStates(tx: Queryable, states: string): Promise<void> {
    await tx.query(
      `INSERT INTO device_state (device_id, state, state_at, last_seen)
       SELECT u."deviceId", u.state, u."stateAt", u."lastSeen"
       FROM json_to_recordset($1::json) AS u("deviceId" text, state jsonb, "stateAt" timestamptz, "lastSeen" timestamptz)
       WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u."deviceId")
       ORDER BY u."deviceId"
       ${STATE_UPSERT}`,
      [states],
    );
  }

  /**
   * The telemetry rows, and the latest state of every device the batch touches: states carried by a telemetry row
   * (`x`, see batchDocuments()) are rebuilt as `data || x`, the others come from `states`. A device is in one of the two
   * only, and all of them go through one upsert in device-id order (the lock order). Returns telemetry rows inserted.
   */
  private async insertTelemetryAndStates(tx: Queryable, telemetry: string, states: string): Promise<number> {
    const r = await tx.query<{ n: number }>(
      `WITH u AS MATERIALIZED (
         SELECT * FROM json_to_recordset($1::json) AS u(time timestamptz, "deviceId" text, data jsonb, x jsonb, "lastSeen" timestamptz)),
       t AS (
         INSERT INTO telemetry (time, device_id, data) SELECT u.time, u."deviceId", u.data FROM u ON CONFLICT DO NOTHING RETURNING 1),
       s AS (
         INSERT INTO device_state (device_id, state, state_at, last_seen)
         SELECT w.device_id, w.state, w.state_at, w.last_seen FROM (
           SELECT u."deviceId" AS device_id, u.data || u.x AS state, u.time AS state_at, u."lastSeen" AS last_seen FROM u WHERE u.x IS NOT NULL
           UNION ALL
           SELECT v."deviceId", v.state, v."stateAt", v."lastSeen"
           FROM json_to_recordset($2::json) AS v("deviceId" text, state jsonb, "stateAt" timestamptz, "lastSeen" timestamptz)) w
         WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = w.device_id)
         ORDER BY w.device_id
         ${STATE_UPSERT}
         RETURNING 1)
       SELECT count(*)::int AS n FROM t`,
      [telemetry, states],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** Creates the missing latest-state rows of every device the batch touches, in one statement and in id order. */
  private async ensureStateRows(tx: Queryable, b: Batch): Promise<void> {
    const ids = [...new Set([...b.states.map((s) => s.deviceId), ...b.statuses.map((s) => s.deviceId)])].sort();
    if (!ids.length) return;
    await tx.query(
      `INSERT INTO device_state (device_id)
       SELECT u.id FROM unnest($1::text[]) AS u(id) WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = u.id) ORDER BY u.id
       ON CONFLICT (device_id) DO NOTHING`,
      [ids],
    );
  }

  /** Records a status change only when it is one (online differs), so repeats do not pile up in the history. */
  private async recordStatus(tx: Queryable, s: StatusRow): Promise<void> {
    await tx.query(
      `WITH changed AS (
         UPDATE device_state SET online = $2, status_changed_at = $3, status_reason = $4
         WHERE device_id = $1 AND online IS DISTINCT FROM $2
           AND (status_changed_at IS NULL OR status_changed_at <= $3)
         RETURNING device_id)
       INSERT INTO status_events (time, device_id, online, reason) SELECT $3, device_id, $2, $4 FROM changed`,
      [s.deviceId, s.online, s.time, s.reason],
    );
  }
}
