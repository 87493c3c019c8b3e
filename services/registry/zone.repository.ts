import { requireWard, scopedWards, visibleOrNull } from '../auth/ward-scope.ts';
import type { Db } from '../db/db.ts';

export type ZoneKind = 'residential_group' | 'lighting_zone' | 'broadcast_zone' | 'area';

export interface ZoneRecord {
  id: string;
  name: string;
  kind: ZoneKind;
  wardCode: string;
  parentId: string | null;
  deviceCount: number;
  createdAt: string;
}

interface Row {
  id: string;
  name: string;
  kind: ZoneKind;
  ward_code: string;
  parent_id: string | null;
  device_count: number;
  created_at: Date;
}

const SELECT = `SELECT z.*, (SELECT count(*)::int FROM devices d WHERE d.group_id = z.id
  OR EXISTS (SELECT 1 FROM device_zones dz WHERE dz.zone_id = z.id AND dz.device_id = d.id)) AS device_count FROM zones z`;

const toRecord = (r: Row): ZoneRecord => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  wardCode: r.ward_code,
  parentId: r.parent_id,
  deviceCount: r.device_count,
  createdAt: new Date(r.created_at).toISOString(),
});

export class ZoneRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** Zones in the caller's ward scope (services/auth/ward-scope.ts); naming another ward is refused (403). */
  async list(filter: { kind?: string; wardCode?: string }): Promise<ZoneRecord[]> {
    if (filter.wardCode) requireWard(filter.wardCode);
    const r = await this.db.query<Row>(
      `${SELECT} WHERE ($1::text IS NULL OR z.kind = $1) AND ($2::text IS NULL OR z.ward_code = $2) AND ($3::text[] IS NULL OR z.ward_code = ANY($3::text[])) ORDER BY z.id`,
      [filter.kind ?? null, filter.wardCode ?? null, scopedWards()],
    );
    return r.rows.map(toRecord);
  }

  async get(id: string): Promise<ZoneRecord | null> {
    const r = await this.db.query<Row>(`${SELECT} WHERE z.id = $1`, [id]);
    return visibleOrNull(r.rows[0] ? toRecord(r.rows[0]) : null);
  }

  async create(z: { id: string; name: string; kind: ZoneKind; wardCode: string; parentId: string | null }): Promise<ZoneRecord> {
    await this.db.query('INSERT INTO zones (id, name, kind, ward_code, parent_id) VALUES ($1, $2, $3, $4, $5)', [z.id, z.name, z.kind, z.wardCode, z.parentId]);
    return (await this.get(z.id)) as ZoneRecord;
  }

  async update(id: string, patch: { name?: string; parentId?: string | null }): Promise<ZoneRecord | null> {
    const r = await this.db.query(
      `UPDATE zones SET name = coalesce($2, name), parent_id = CASE WHEN $3::boolean THEN $4 ELSE parent_id END, updated_at = now() WHERE id = $1`,
      [id, patch.name ?? null, patch.parentId !== undefined, patch.parentId ?? null],
    );
    return r.rowCount ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM zones WHERE id = $1 AND ($2::text[] IS NULL OR ward_code = ANY($2::text[]))', [id, scopedWards()])).rowCount > 0;
  }

  /** Replaces the zone's members (for zones that are not residential groups, which devices carry themselves). */
  async setMembers(id: string, deviceIds: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM device_zones WHERE zone_id = $1', [id]);
      if (deviceIds.length) {
        await tx.query('INSERT INTO device_zones (device_id, zone_id) SELECT unnest($2::text[]), $1', [id, deviceIds]);
      }
    });
  }

  async existingDevices(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const r = await this.db.query<{ id: string }>('SELECT id FROM devices WHERE id = ANY($1::text[]) AND ($2::text[] IS NULL OR ward_code = ANY($2::text[]))', [
      ids,
      scopedWards(),
    ]);
    return r.rows.map((x) => x.id);
  }
}
