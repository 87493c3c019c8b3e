import { requireWard, scopedWards } from '../../auth/ward-scope.ts';
import type { Db } from '../../db/db.ts';
import type { CommandCounts, DeliveryState, DeliveryView, Target } from './command.types.ts';

export interface TargetDevice {
  id: string;
  kind: string;
  /** The device's ward (province tenancy). */
  wardCode?: string;
}

export interface CommandRow {
  id: string;
  name: string;
  params: Record<string, unknown>;
  target: Target;
  requestHash: string;
  origin: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  maxAttempts: number;
  deviceCount: number;
  cancelledAt: Date | null;
  cancelledBy: string | null;
}

export interface NewDelivery {
  deviceId: string;
  kind: string;
  state: 'queued' | 'sent';
  ackTimeoutS: number;
}

export interface AckUpdate {
  commandId: string;
  deviceId: string;
  status: string;
  time: Date;
  result: Record<string, unknown>;
  error: string | null;
}

/** A delivery claimed for sending: everything needed to build the MQTT payload. */
export interface Outgoing {
  commandId: string;
  deviceId: string;
  name: string;
  params: Record<string, unknown>;
  expiresAt: Date;
  attempts: number;
}

export interface Changed {
  commandId: string;
  deviceId: string;
  state: DeliveryState;
}

interface CommandDbRow {
  id: string;
  name: string;
  params: Record<string, unknown>;
  target: Target;
  request_hash: string;
  origin: string;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  max_attempts: number;
  device_count: number;
  cancelled_at: Date | null;
  cancelled_by: string | null;
}

const toCommand = (r: CommandDbRow): CommandRow => ({
  id: r.id,
  name: r.name,
  params: r.params,
  target: r.target,
  requestHash: r.request_hash,
  origin: r.origin,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  expiresAt: new Date(r.expires_at),
  maxAttempts: r.max_attempts,
  deviceCount: r.device_count,
  cancelledAt: r.cancelled_at ? new Date(r.cancelled_at) : null,
  cancelledBy: r.cancelled_by,
});

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

interface DeliveryDbRow {
  device_id: string;
  kind: string;
  state: DeliveryState;
  attempts: number;
  sent_at: Date | null;
  ack_deadline: Date | null;
  acked_at: Date | null;
  finished_at: Date | null;
  ack_status: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  final_by: 'device' | 'service' | null;
}

const toDelivery = (x: DeliveryDbRow): DeliveryView => ({
  deviceId: x.device_id,
  kind: x.kind,
  state: x.state,
  attempts: x.attempts,
  sentAt: iso(x.sent_at),
  ackDeadline: iso(x.ack_deadline),
  ackedAt: iso(x.acked_at),
  finishedAt: iso(x.finished_at),
  ackStatus: x.ack_status,
  result: x.result,
  error: x.error,
  finalBy: x.final_by,
});
const changed = (r: { command_id: string; device_id: string; state: DeliveryState }): Changed => ({
  commandId: r.command_id,
  deviceId: r.device_id,
  state: r.state,
});

/** Devices of a zone: residential-group members and zone members, including every sub-zone. */
const ZONE_TREE = `WITH RECURSIVE tree AS (SELECT id FROM zones WHERE id = $1 UNION SELECT z.id FROM zones z JOIN tree t ON z.parent_id = t.id)`;

/** All SQL of the command lifecycle. State changes are conditional UPDATEs, so several processes never double-apply. */
/** SQL: the command `c` reached a device of the wards in parameter `p`. */
const VISIBLE = (p: string): string =>
  `EXISTS (SELECT 1 FROM command_deliveries cd JOIN devices dv ON dv.id = cd.device_id WHERE cd.command_id = c.id AND dv.ward_code = ANY(${p}::text[]))`;

export class CommandRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Whether the zone exists in the caller's ward scope (services/auth/ward-scope.ts). */
  async zoneExists(id: string): Promise<boolean> {
    return (
      (await this.db.query('SELECT 1 FROM zones WHERE id = $1 AND ($2::text[] IS NULL OR ward_code = ANY($2::text[]))', [id, scopedWards()])).rows.length > 0
    );
  }

  /** The target's devices, only those in the caller's ward scope (a command from the API never reaches another ward). */
  async resolveTarget(t: Target, kind: string | null): Promise<TargetDevice[]> {
    const sel = 'SELECT d.id, d.kind, d.ward_code AS "wardCode" FROM devices d';
    const k = 'AND ($2::text IS NULL OR d.kind = $2) AND ($3::text[] IS NULL OR d.ward_code = ANY($3::text[]))';
    const scope = scopedWards();
    let r;
    switch (t.type) {
      case 'device':
        r = await this.db.query<TargetDevice>(`${sel} WHERE d.id = $1 ${k}`, [t.id, kind, scope]);
        break;
      case 'devices':
        r = await this.db.query<TargetDevice>(`${sel} WHERE d.id = ANY($1::text[]) ${k} ORDER BY d.id`, [t.ids, kind, scope]);
        break;
      case 'zone':
        r = await this.db.query<TargetDevice>(
          `${ZONE_TREE} ${sel} WHERE (d.group_id IN (SELECT id FROM tree)
             OR EXISTS (SELECT 1 FROM device_zones z WHERE z.device_id = d.id AND z.zone_id IN (SELECT id FROM tree))) ${k} ORDER BY d.id`,
          [t.id, kind, scope],
        );
        break;
      case 'kind':
        r = await this.db.query<TargetDevice>(`${sel} WHERE d.kind = $1 ${k} ORDER BY d.id`, [t.kind, kind, scope]);
        break;
      case 'tag':
        r = await this.db.query<TargetDevice>(`${sel} WHERE $1 = ANY(d.tags) ${k} ORDER BY d.id`, [t.tag, kind, scope]);
        break;
      case 'ward':
        requireWard(t.code);
        r = await this.db.query<TargetDevice>(`${sel} WHERE d.ward_code = $1 ${k} ORDER BY d.id`, [t.code, kind, scope]);
        break;
    }
    return r.rows;
  }

  async find(id: string): Promise<CommandRow | null> {
    // In a ward scope, a command is visible when it reached at least one device of the caller's wards.
    const scope = scopedWards();
    const r = await this.db.query<CommandDbRow>(`SELECT * FROM commands c WHERE c.id = $1 AND ($2::text[] IS NULL OR ${VISIBLE('$2')})`, [id, scope]);
    return r.rows[0] ? toCommand(r.rows[0]) : null;
  }

  /** Stores a command and its deliveries at once; false when the id exists already (idempotent retry or clash). */
  async insert(c: Omit<CommandRow, 'cancelledAt' | 'cancelledBy'>, deliveries: NewDelivery[], now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const ins = await tx.query(
        `INSERT INTO commands (id, name, params, target, request_hash, origin, created_by, created_at, expires_at, max_attempts, device_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          c.id,
          c.name,
          JSON.stringify(c.params),
          JSON.stringify(c.target),
          c.requestHash,
          c.origin,
          c.createdBy,
          c.createdAt.toISOString(),
          c.expiresAt.toISOString(),
          c.maxAttempts,
          c.deviceCount,
        ],
      );
      if (ins.rows.length === 0) return false;
      await tx.query(
        `INSERT INTO command_deliveries (command_id, device_id, kind, state, attempts, ack_timeout_s, expires_at, sent_at, ack_deadline, updated_at)
         SELECT $1, u.device_id, u.kind, u.state, CASE WHEN u.state = 'sent' THEN 1 ELSE 0 END, u.ack_timeout_s, $2::timestamptz,
                CASE WHEN u.state = 'sent' THEN $3::timestamptz END,
                CASE WHEN u.state = 'sent' THEN $3::timestamptz + make_interval(secs => u.ack_timeout_s) END, $3::timestamptz
         FROM unnest($4::text[], $5::text[], $6::text[], $7::int[]) AS u(device_id, kind, state, ack_timeout_s)`,
        [
          c.id,
          c.expiresAt.toISOString(),
          now.toISOString(),
          deliveries.map((d) => d.deviceId),
          deliveries.map((d) => d.kind),
          deliveries.map((d) => d.state),
          deliveries.map((d) => d.ackTimeoutS),
        ],
      );
      return true;
    });
  }

  /**
   * Records device acknowledgements. The device's word wins over the service's own timeout, expiry or cancel (the
   * command did reach it), but never over an earlier device answer. 'in_progress' keeps the delivery open and
   * extends its deadline by the kind's ack timeout.
   */
  async applyAcks(acks: AckUpdate[], now: Date): Promise<Changed[]> {
    if (!acks.length) return [];
    const r = await this.db.query<{ command_id: string; device_id: string; state: DeliveryState }>(
      `UPDATE command_deliveries d SET
         state = CASE WHEN a.status = 'ok' THEN 'acknowledged' WHEN a.status = 'in_progress' THEN d.state ELSE 'failed' END,
         ack_status = a.status, result = a.result, error = a.error, acked_at = a.time,
         finished_at = CASE WHEN a.status = 'in_progress' THEN d.finished_at ELSE $7::timestamptz END,
         final_by = CASE WHEN a.status = 'in_progress' THEN d.final_by ELSE 'device' END,
         ack_deadline = CASE WHEN a.status = 'in_progress' THEN $7::timestamptz + make_interval(secs => d.ack_timeout_s) ELSE d.ack_deadline END,
         updated_at = $7::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[]) AS a(command_id, device_id, status, result, error, time)
       WHERE d.command_id = a.command_id AND d.device_id = a.device_id
         AND d.final_by IS DISTINCT FROM 'device'
         AND NOT (a.status = 'in_progress' AND d.state <> 'sent')
       RETURNING d.command_id, d.device_id, d.state`,
      [
        acks.map((a) => a.commandId),
        acks.map((a) => a.deviceId),
        acks.map((a) => a.status),
        acks.map((a) => JSON.stringify(a.result)),
        acks.map((a) => a.error),
        acks.map((a) => a.time.toISOString()),
        now.toISOString(),
      ],
    );
    return r.rows.map(changed);
  }

  async expireDue(now: Date): Promise<Changed[]> {
    const r = await this.db.query<{ command_id: string; device_id: string; state: DeliveryState }>(
      `UPDATE command_deliveries SET state = 'expired', final_by = 'service', finished_at = $1::timestamptz, updated_at = $1::timestamptz,
         error = CASE WHEN attempts = 0 THEN 'expired before the device could be reached' ELSE 'expired before the device acknowledged' END
       WHERE state IN ('queued', 'sent') AND expires_at <= $1::timestamptz
       RETURNING command_id, device_id, state`,
      [now.toISOString()],
    );
    return r.rows.map(changed);
  }

  /** Sent deliveries past their ack deadline: back to the queue for another attempt, or failed after the last one. */
  async timeoutDue(now: Date): Promise<Changed[]> {
    const r = await this.db.query<{ command_id: string; device_id: string; state: DeliveryState }>(
      `UPDATE command_deliveries d SET
         state = CASE WHEN d.attempts >= c.max_attempts THEN 'failed' ELSE 'queued' END,
         final_by = CASE WHEN d.attempts >= c.max_attempts THEN 'service' END,
         finished_at = CASE WHEN d.attempts >= c.max_attempts THEN $1::timestamptz END,
         error = CASE WHEN d.attempts >= c.max_attempts THEN 'no acknowledgement after ' || d.attempts || ' attempt(s)'
                      ELSE 'attempt ' || d.attempts || ': no acknowledgement within ' || d.ack_timeout_s || ' s' END,
         updated_at = $1::timestamptz
       FROM commands c
       WHERE c.id = d.command_id AND d.state = 'sent' AND d.ack_deadline <= $1::timestamptz
       RETURNING d.command_id, d.device_id, d.state`,
      [now.toISOString()],
    );
    return r.rows.map(changed);
  }

  /**
   * Queued deliveries worth trying now: of the given devices, or (sweep) of devices the database knows online for a
   * couple of seconds, so a device that has just connected has had time to subscribe.
   */
  async queued(now: Date, deviceIds: string[] | null, limit: number): Promise<{ commandId: string; deviceId: string }[]> {
    const r = deviceIds
      ? await this.db.query<{ command_id: string; device_id: string }>(
          `SELECT command_id, device_id FROM command_deliveries
           WHERE state = 'queued' AND device_id = ANY($1::text[]) AND expires_at > $2::timestamptz LIMIT $3`,
          [deviceIds, now.toISOString(), limit],
        )
      : await this.db.query<{ command_id: string; device_id: string }>(
          `SELECT d.command_id, d.device_id FROM command_deliveries d JOIN device_state s ON s.device_id = d.device_id
           WHERE d.state = 'queued' AND d.expires_at > $1::timestamptz AND s.online
             AND s.status_changed_at <= $1::timestamptz - interval '2 seconds'
           ORDER BY d.updated_at LIMIT $2`,
          [now.toISOString(), limit],
        );
    return r.rows.map((x) => ({ commandId: x.command_id, deviceId: x.device_id }));
  }

  /** Moves queued deliveries to sent (only those still queued: another process may have taken some). */
  async claim(pairs: { commandId: string; deviceId: string }[], now: Date): Promise<Outgoing[]> {
    if (!pairs.length) return [];
    const r = await this.db.query<{ command_id: string; device_id: string; attempts: number; name: string; params: Record<string, unknown>; expires_at: Date }>(
      `WITH claimed AS (
         UPDATE command_deliveries d SET state = 'sent', attempts = d.attempts + 1, sent_at = $3::timestamptz,
           ack_deadline = $3::timestamptz + make_interval(secs => d.ack_timeout_s), updated_at = $3::timestamptz
         FROM unnest($1::text[], $2::text[]) AS p(command_id, device_id)
         WHERE d.command_id = p.command_id AND d.device_id = p.device_id AND d.state = 'queued'
         RETURNING d.command_id, d.device_id, d.attempts)
       SELECT k.command_id, k.device_id, k.attempts, c.name, c.params, c.expires_at FROM claimed k JOIN commands c ON c.id = k.command_id`,
      [pairs.map((p) => p.commandId), pairs.map((p) => p.deviceId), now.toISOString()],
    );
    return r.rows.map((x) => ({
      commandId: x.command_id,
      deviceId: x.device_id,
      attempts: x.attempts,
      name: x.name,
      params: x.params,
      expiresAt: new Date(x.expires_at),
    }));
  }

  async cancel(id: string, by: string, now: Date): Promise<Changed[]> {
    return this.db.transaction(async (tx) => {
      await tx.query('UPDATE commands SET cancelled_at = $2::timestamptz, cancelled_by = $3 WHERE id = $1 AND cancelled_at IS NULL', [
        id,
        now.toISOString(),
        by,
      ]);
      const r = await tx.query<{ command_id: string; device_id: string; state: DeliveryState }>(
        `UPDATE command_deliveries SET state = 'cancelled', final_by = 'service', finished_at = $2::timestamptz, updated_at = $2::timestamptz,
           error = 'cancelled by ' || $3
         WHERE command_id = $1 AND state IN ('queued', 'sent') RETURNING command_id, device_id, state`,
        [id, now.toISOString(), by],
      );
      return r.rows.map(changed);
    });
  }

  async counts(ids: string[]): Promise<Map<string, CommandCounts>> {
    const out = new Map<string, CommandCounts>();
    if (!ids.length) return out;
    const r = await this.db.query<{ command_id: string; state: DeliveryState; n: number }>(
      'SELECT command_id, state, count(*)::int AS n FROM command_deliveries WHERE command_id = ANY($1::text[]) GROUP BY 1, 2',
      [ids],
    );
    for (const id of ids) out.set(id, { queued: 0, sent: 0, acknowledged: 0, failed: 0, expired: 0, cancelled: 0 });
    for (const x of r.rows) {
      const c = out.get(x.command_id);
      if (c) c[x.state] = x.n;
    }
    return out;
  }

  async list(f: { name?: string; deviceId?: string; origin?: string; since?: Date; limit: number; offset: number }): Promise<CommandRow[]> {
    const r = await this.db.query<CommandDbRow>(
      `SELECT * FROM commands c
       WHERE ($1::text IS NULL OR c.name = $1) AND ($3::text IS NULL OR c.origin = $3) AND ($4::timestamptz IS NULL OR c.created_at >= $4)
         AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM command_deliveries d WHERE d.command_id = c.id AND d.device_id = $2))
         AND ($7::text[] IS NULL OR ${VISIBLE('$7')})
       ORDER BY c.created_at DESC, c.id LIMIT $5 OFFSET $6`,
      [f.name ?? null, f.deviceId ?? null, f.origin ?? null, f.since?.toISOString() ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map(toCommand);
  }

  async deliveries(id: string, f: { state?: DeliveryState; limit: number; offset: number }): Promise<DeliveryView[]> {
    const r = await this.db.query<DeliveryDbRow>(
      `SELECT * FROM command_deliveries cd WHERE command_id = $1 AND ($2::text IS NULL OR state = $2)
         AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM devices dv WHERE dv.id = cd.device_id AND dv.ward_code = ANY($5::text[])))
       ORDER BY device_id LIMIT $3 OFFSET $4`,
      [id, f.state ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map(toDelivery);
  }

  /** One device's delivery of each of these commands (the device page lists what was sent to it and how it ended). */
  async deliveriesOf(deviceId: string, commandIds: string[]): Promise<Map<string, DeliveryView>> {
    if (commandIds.length === 0) return new Map();
    const r = await this.db.query<DeliveryDbRow & { command_id: string }>(
      `SELECT * FROM command_deliveries WHERE device_id = $1 AND command_id = ANY($2::text[])`,
      [deviceId, commandIds],
    );
    return new Map(r.rows.map((x) => [x.command_id, toDelivery(x)]));
  }
}
