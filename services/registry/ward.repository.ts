import type { Db } from '../db/db.ts';

export interface WardRecord {
  code: string;
  name: string;
  provinceCode: string;
  devices: number;
  zones: number;
}

interface Row {
  code: string;
  name: string;
  province_code: string;
  devices: number;
  zones: number;
}

const toWard = (r: Row): WardRecord => ({ code: r.code, name: r.name, provinceCode: r.province_code, devices: r.devices, zones: r.zones });

const SELECT = `SELECT w.code, w.name, w.province_code,
  (SELECT count(*)::int FROM devices d WHERE d.ward_code = w.code) AS devices,
  (SELECT count(*)::int FROM zones z WHERE z.ward_code = w.code) AS zones
  FROM wards w`;

/** Wards of the deployment and who belongs to which (migrations/0090_tenancy.sql). */
export class WardRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async list(codes: readonly string[] | null): Promise<WardRecord[]> {
    const r = await this.db.query<Row>(`${SELECT} WHERE ($1::text[] IS NULL OR w.code = ANY($1::text[])) ORDER BY w.code`, [codes]);
    return r.rows.map(toWard);
  }

  async get(code: string): Promise<WardRecord | null> {
    const r = await this.db.query<Row>(`${SELECT} WHERE w.code = $1`, [code]);
    return r.rows[0] ? toWard(r.rows[0]) : null;
  }

  async deviceIds(wards: readonly string[]): Promise<string[]> {
    return (await this.db.query<{ id: string }>('SELECT id FROM devices WHERE ward_code = ANY($1::text[])', [wards])).rows.map((r) => r.id);
  }

  async codes(): Promise<string[]> {
    return (await this.db.query<{ code: string }>('SELECT code FROM wards ORDER BY code')).rows.map((r) => r.code);
  }

  /** Inserts a ward; false when it exists. */
  async insert(w: { code: string; name: string; provinceCode: string }): Promise<boolean> {
    const r = await this.db.query('INSERT INTO wards (code, name, province_code) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [
      w.code,
      w.name,
      w.provinceCode,
    ]);
    return r.rowCount > 0;
  }

  async update(code: string, p: { name?: string | undefined; provinceCode?: string | undefined }): Promise<boolean> {
    const r = await this.db.query('UPDATE wards SET name = COALESCE($2, name), province_code = COALESCE($3, province_code) WHERE code = $1', [
      code,
      p.name ?? null,
      p.provinceCode ?? null,
    ]);
    return r.rowCount > 0;
  }

  /** The configured ward at start: created if missing; its name follows SW_WARD_NAME, as reports did before tenancy. */
  async ensure(code: string, name: string): Promise<void> {
    await this.db.query(`INSERT INTO wards (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`, [code, name]);
  }

  /** Makes every user without a membership a member of this ward, once per deployment (a settings flag). */
  async backfillMembers(code: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const flag = await tx.query(`INSERT INTO settings (key, value) VALUES ('tenancy.members-backfilled', to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING`, [
        code,
      ]);
      if (flag.rowCount === 0) return 0;
      const r = await tx.query(
        `INSERT INTO user_wards (user_id, ward_code) SELECT u.id, $1 FROM users u
         WHERE NOT EXISTS (SELECT 1 FROM user_wards m WHERE m.user_id = u.id) ON CONFLICT DO NOTHING`,
        [code],
      );
      return r.rowCount;
    });
  }

  async membership(userId: string): Promise<{ province: boolean; wards: string[] } | null> {
    const r = await this.db.query<{ province_scope: boolean; wards: string[] }>(
      `SELECT u.province_scope, ARRAY(SELECT m.ward_code FROM user_wards m WHERE m.user_id = u.id ORDER BY m.ward_code) AS wards FROM users u WHERE u.id = $1`,
      [userId],
    );
    const row = r.rows[0];
    return row ? { province: row.province_scope, wards: row.wards } : null;
  }

  async setMembership(userId: string, m: { province: boolean; wards: readonly string[] }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET province_scope = $2, updated_at = now() WHERE id = $1', [userId, m.province]);
      await tx.query('DELETE FROM user_wards WHERE user_id = $1', [userId]);
      if (m.wards.length) await tx.query('INSERT INTO user_wards (user_id, ward_code) SELECT $1, unnest($2::text[])', [userId, m.wards]);
    });
  }
}
