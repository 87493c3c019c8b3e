import type { Db } from '../../db/db.ts';
import type { AlarmSeverity } from '../../../devices/types.ts';

export interface Webhook {
  id: string;
  name: string;
  url: string;
  minSeverity: AlarmSeverity;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface DueNotification {
  id: number;
  webhookId: string;
  url: string;
  secretEnc: string;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface Delivery {
  id: number;
  webhookId: string;
  alarmId: number;
  event: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** Webhook targets and the notification outbox. */
export class WebhookRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async create(w: { name: string; url: string; secretEnc: string; minSeverity: AlarmSeverity; createdBy: string }): Promise<Webhook> {
    const r = await this.db.query<{ id: string }>(
      'INSERT INTO alarm_webhooks (name, url, secret_enc, min_severity, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [w.name, w.url, w.secretEnc, w.minSeverity, w.createdBy],
    );
    return (await this.list()).find((x) => x.id === r.rows[0]?.id) as Webhook;
  }

  async list(): Promise<Webhook[]> {
    const r = await this.db.query<{
      id: string;
      name: string;
      url: string;
      min_severity: AlarmSeverity;
      enabled: boolean;
      created_by: string;
      created_at: Date;
    }>('SELECT id, name, url, min_severity, enabled, created_by, created_at FROM alarm_webhooks ORDER BY created_at');
    return r.rows.map((w) => ({
      id: w.id,
      name: w.name,
      url: w.url,
      minSeverity: w.min_severity,
      enabled: w.enabled,
      createdBy: w.created_by,
      createdAt: new Date(w.created_at).toISOString(),
    }));
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM alarm_webhooks WHERE id = $1', [id])).rowCount > 0;
  }

  async due(now: number, limit: number): Promise<DueNotification[]> {
    const r = await this.db.query<{
      id: string;
      webhook_id: string;
      url: string;
      secret_enc: string;
      event: string;
      payload: Record<string, unknown>;
      attempts: number;
    }>(
      `SELECT n.id, n.webhook_id, w.url, w.secret_enc, n.event, n.payload, n.attempts
       FROM alarm_notifications n JOIN alarm_webhooks w ON w.id = n.webhook_id
       WHERE n.state = 'pending' AND n.next_attempt_at <= $1 ORDER BY n.id LIMIT $2`,
      [new Date(now), limit],
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      webhookId: x.webhook_id,
      url: x.url,
      secretEnc: x.secret_enc,
      event: x.event,
      payload: x.payload,
      attempts: x.attempts,
    }));
  }

  async nextDue(): Promise<number | null> {
    const r = await this.db.query<{ t: Date | null }>(`SELECT min(next_attempt_at) AS t FROM alarm_notifications WHERE state = 'pending'`);
    const t = r.rows[0]?.t;
    return t ? new Date(t).getTime() : null;
  }

  async markSent(id: number, attempts: number): Promise<void> {
    await this.db.query(`UPDATE alarm_notifications SET state = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1`, [id, attempts]);
  }

  async markRetry(id: number, attempts: number, next: number, error: string): Promise<void> {
    await this.db.query('UPDATE alarm_notifications SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1', [
      id,
      attempts,
      new Date(next),
      error,
    ]);
  }

  async markFailed(id: number, attempts: number, error: string): Promise<void> {
    await this.db.query(`UPDATE alarm_notifications SET state = 'failed', attempts = $2, last_error = $3 WHERE id = $1`, [id, attempts, error]);
  }

  async deliveries(f: { webhookId?: string; alarmId?: number; limit: number }): Promise<Delivery[]> {
    const r = await this.db.query<{
      id: string;
      webhook_id: string;
      alarm_id: string;
      event: string;
      state: Delivery['state'];
      attempts: number;
      last_error: string | null;
      created_at: Date;
      sent_at: Date | null;
    }>(
      `SELECT id, webhook_id, alarm_id, event, state, attempts, last_error, created_at, sent_at FROM alarm_notifications
       WHERE ($1::uuid IS NULL OR webhook_id = $1) AND ($2::bigint IS NULL OR alarm_id = $2) ORDER BY id DESC LIMIT $3`,
      [f.webhookId ?? null, f.alarmId ?? null, f.limit],
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      webhookId: x.webhook_id,
      alarmId: Number(x.alarm_id),
      event: x.event,
      state: x.state,
      attempts: x.attempts,
      lastError: x.last_error,
      createdAt: new Date(x.created_at).toISOString(),
      sentAt: x.sent_at ? new Date(x.sent_at).toISOString() : null,
    }));
  }
}
