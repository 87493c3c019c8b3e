import type { Db } from '../db/db.ts';

export interface AuditEntry {
  actor: string;
  actorRole: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  result: 'ok' | 'error';
  details: Record<string, unknown>;
  ip: string | null;
  /** The ward the action was about (province tenancy); null or absent: none or several (then listed in details.wards). */
  wardCode?: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

interface Row {
  id: number;
  at: Date;
  actor: string;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  result: 'ok' | 'error';
  details: Record<string, unknown>;
  ip: string | null;
  ward_code: string | null;
}

export class AuditRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async insert(e: AuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_log (actor, actor_role, action, target_type, target_id, result, details, ip, ward_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [e.actor, e.actorRole, e.action, e.targetType, e.targetId, e.result, JSON.stringify(e.details), e.ip, e.wardCode ?? null],
    );
  }

  async list(f: { actor?: string; action?: string; targetId?: string; wardCode?: string | undefined; since?: string; limit: number }): Promise<AuditRecord[]> {
    const r = await this.db.query<Row>(
      `SELECT * FROM audit_log WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
         AND ($3::text IS NULL OR target_id = $3) AND ($4::timestamptz IS NULL OR at >= $4) AND ($6::text IS NULL OR ward_code = $6)
       ORDER BY id DESC LIMIT $5`,
      [f.actor ?? null, f.action ?? null, f.targetId ?? null, f.since ?? null, f.limit, f.wardCode ?? null],
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      at: new Date(x.at).toISOString(),
      actor: x.actor,
      actorRole: x.actor_role,
      action: x.action,
      targetType: x.target_type,
      targetId: x.target_id,
      result: x.result,
      details: x.details,
      ip: x.ip,
      wardCode: x.ward_code,
    }));
  }
}
