import { scopedWards } from '../../auth/ward-scope.ts';
import type { Db, Queryable } from '../../db/db.ts';
import type { AlarmSeverity } from '../../../devices/types.ts';
import type { Alarm, AlarmState, NewAlarm } from './alarm-lifecycle.ts';
import type { RuleOverride } from './alarm-rules.ts';

/** Province tenancy: an alarm is in the caller's scope when its device is (services/auth/ward-scope.ts); $2 holds the wards. */
const IN_SCOPE = `($2::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = alarms.device_id AND wd.ward_code = ANY($2::text[])))`;

export interface AlarmFilter {
  state?: AlarmState | 'open';
  severity?: AlarmSeverity;
  deviceId?: string;
  kind?: string;
  rule?: string;
  groupId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

interface Row {
  id: string;
  device_id: string;
  kind: string;
  rule: string;
  severity: AlarmSeverity;
  state: AlarmState;
  message: { vi: string; en: string };
  details: Record<string, unknown>;
  raised_at: Date;
  last_raised_at: Date;
  occurrences: number;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_note: string | null;
  cleared_at: Date | null;
  cleared_by: string | null;
  clear_reason: string | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

const toAlarm = (r: Row): Alarm => ({
  id: Number(r.id),
  deviceId: r.device_id,
  kind: r.kind,
  rule: r.rule,
  severity: r.severity,
  state: r.state,
  message: r.message,
  details: r.details,
  raisedAt: new Date(r.raised_at).toISOString(),
  lastRaisedAt: new Date(r.last_raised_at).toISOString(),
  occurrences: r.occurrences,
  acknowledgedAt: iso(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
  ackNote: r.ack_note,
  clearedAt: iso(r.cleared_at),
  clearedBy: r.cleared_by,
  clearReason: r.clear_reason,
});

/** The store the alarm service works on; the SQL one here, an in-memory one in unit tests. */
export interface AlarmStore {
  atomically<T>(fn: (s: AlarmTx) => Promise<T>): Promise<T>;
}

export interface AlarmTx {
  findOpen(deviceId: string, rule: string): Promise<Alarm | null>;
  get(id: number): Promise<Alarm | null>;
  insert(a: NewAlarm): Promise<Alarm>;
  update(a: Alarm): Promise<void>;
  /** Queues a webhook notification of this change for every enabled webhook at or below the alarm's severity. */
  enqueue(alarm: Alarm, event: string, payload: Record<string, unknown>): Promise<number>;
}

class SqlAlarmTx implements AlarmTx {
  private readonly q: Queryable;
  constructor(q: Queryable) {
    this.q = q;
  }

  async findOpen(deviceId: string, rule: string): Promise<Alarm | null> {
    const r = await this.q.query<Row>(`SELECT * FROM alarms WHERE device_id = $1 AND rule = $2 AND state <> 'cleared' FOR UPDATE`, [deviceId, rule]);
    return r.rows[0] ? toAlarm(r.rows[0]) : null;
  }

  async get(id: number): Promise<Alarm | null> {
    const r = await this.q.query<Row>(`SELECT * FROM alarms WHERE id = $1 AND ${IN_SCOPE} FOR UPDATE`, [id, scopedWards()]);
    return r.rows[0] ? toAlarm(r.rows[0]) : null;
  }

  async insert(a: NewAlarm): Promise<Alarm> {
    const r = await this.q.query<Row>(
      `INSERT INTO alarms (device_id, kind, rule, severity, state, message, details, raised_at, last_raised_at, occurrences)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [a.deviceId, a.kind, a.rule, a.severity, a.state, JSON.stringify(a.message), JSON.stringify(a.details), a.raisedAt, a.lastRaisedAt, a.occurrences],
    );
    return toAlarm(r.rows[0] as Row);
  }

  async update(a: Alarm): Promise<void> {
    await this.q.query(
      `UPDATE alarms SET severity = $2, state = $3, details = $4, last_raised_at = $5, occurrences = $6, acknowledged_at = $7,
         acknowledged_by = $8, ack_note = $9, cleared_at = $10, cleared_by = $11, clear_reason = $12 WHERE id = $1`,
      [
        a.id,
        a.severity,
        a.state,
        JSON.stringify(a.details),
        a.lastRaisedAt,
        a.occurrences,
        a.acknowledgedAt,
        a.acknowledgedBy,
        a.ackNote,
        a.clearedAt,
        a.clearedBy,
        a.clearReason,
      ],
    );
  }

  async enqueue(alarm: Alarm, event: string, payload: Record<string, unknown>): Promise<number> {
    const r = await this.q.query(
      `INSERT INTO alarm_notifications (webhook_id, alarm_id, event, payload)
       SELECT w.id, $1, $2, $3 FROM alarm_webhooks w
       WHERE w.enabled AND CASE w.min_severity WHEN 'info' THEN true WHEN 'warning' THEN $4 <> 'info' ELSE $4 = 'critical' END`,
      [alarm.id, event, JSON.stringify(payload), alarm.severity],
    );
    return r.rowCount;
  }
}

export class AlarmRepository implements AlarmStore {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  atomically<T>(fn: (s: AlarmTx) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlAlarmTx(tx)));
  }

  async get(id: number): Promise<Alarm | null> {
    const r = await this.db.query<Row>(`SELECT * FROM alarms WHERE id = $1 AND ${IN_SCOPE}`, [id, scopedWards()]);
    return r.rows[0] ? toAlarm(r.rows[0]) : null;
  }

  async list(f: AlarmFilter): Promise<{ items: Alarm[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.state === 'open') where.push(`a.state <> 'cleared'`);
    else if (f.state) add('a.state = ?', f.state);
    if (f.severity) add('a.severity = ?', f.severity);
    if (f.deviceId) add('a.device_id = ?', f.deviceId);
    if (f.kind) add('a.kind = ?', f.kind);
    if (f.rule) add('a.rule = ?', f.rule);
    if (f.groupId) add('EXISTS (SELECT 1 FROM devices d WHERE d.id = a.device_id AND d.group_id = ?)', f.groupId);
    if (f.from) add('a.raised_at >= ?', f.from);
    if (f.to) add('a.raised_at < ?', f.to);
    const scope = scopedWards();
    if (scope) add('EXISTS (SELECT 1 FROM devices d WHERE d.id = a.device_id AND d.ward_code = ANY(?::text[]))', scope);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alarms a ${w}`, params);
    const rows = await this.db.query<Row>(`SELECT a.* FROM alarms a ${w} ORDER BY a.raised_at DESC, a.id DESC LIMIT ${f.limit} OFFSET ${f.offset}`, params);
    return { items: rows.rows.map(toAlarm), total: total.rows[0]?.n ?? 0 };
  }

  /** Every open alarm (active or acknowledged) by device, rule and severity: the map's fault colouring. */
  async openSummary(): Promise<{ deviceId: string; kind: string; rule: string; severity: AlarmSeverity }[]> {
    const r = await this.db.query<{ device_id: string; kind: string; rule: string; severity: AlarmSeverity }>(
      `SELECT device_id, kind, rule, severity FROM alarms WHERE state <> 'cleared' AND ${IN_SCOPE.replaceAll('$2', '$1')}`,
      [scopedWards()],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, kind: x.kind, rule: x.rule, severity: x.severity }));
  }

  async openKeys(): Promise<{ deviceId: string; rule: string }[]> {
    const r = await this.db.query<{ device_id: string; rule: string }>(`SELECT device_id, rule FROM alarms WHERE state <> 'cleared'`);
    return r.rows.map((x) => ({ deviceId: x.device_id, rule: x.rule }));
  }

  async counts(): Promise<{ state: AlarmState; severity: AlarmSeverity; n: number }[]> {
    const r = await this.db.query<{ state: AlarmState; severity: AlarmSeverity; n: number }>(
      `SELECT state, severity, count(*)::int AS n FROM alarms WHERE state <> 'cleared' AND ${IN_SCOPE.replaceAll('$2', '$1')} GROUP BY 1, 2`,
      [scopedWards()],
    );
    return r.rows;
  }

  // ---- rule overrides -------------------------------------------------------------------------------------------

  async overrides(): Promise<RuleOverride[]> {
    const r = await this.db.query<{ kind: string; rule: string; enabled: boolean | null; severity: AlarmSeverity | null; params: Record<string, number> }>(
      'SELECT kind, rule, enabled, severity, params FROM alarm_rule_settings ORDER BY kind, rule',
    );
    return r.rows;
  }

  async putOverride(o: RuleOverride, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO alarm_rule_settings (kind, rule, enabled, severity, params, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, now(), $6)
       ON CONFLICT (kind, rule) DO UPDATE SET enabled = EXCLUDED.enabled, severity = EXCLUDED.severity, params = EXCLUDED.params,
         updated_at = now(), updated_by = EXCLUDED.updated_by`,
      [o.kind, o.rule, o.enabled, o.severity, JSON.stringify(o.params), by],
    );
  }

  async deleteOverride(kind: string, rule: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM alarm_rule_settings WHERE kind = $1 AND rule = $2', [kind, rule])).rowCount > 0;
  }
}
