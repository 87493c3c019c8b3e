import { requireWard, scopedWards, visibleOrNull } from '../auth/ward-scope.ts';
import type { Db } from '../db/db.ts';

export interface DeviceRecord {
  id: string;
  kind: string;
  name: string;
  wardCode: string;
  groupId: string | null;
  zoneIds: string[];
  lat: number | null;
  lon: number | null;
  address: string | null;
  asset: Record<string, unknown>;
  tags: string[];
  installedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceFilter {
  kind?: string;
  zoneId?: string;
  groupId?: string;
  wardCode?: string;
  tag?: string;
  q?: string;
  limit: number;
  offset: number;
}

export type NewDevice = Omit<DeviceRecord, 'createdAt' | 'updatedAt' | 'zoneIds'>;
export type DevicePatch = Partial<Omit<NewDevice, 'id' | 'kind'>>;

interface Row {
  id: string;
  kind: string;
  name: string;
  ward_code: string;
  group_id: string | null;
  zone_ids: string[] | null;
  lat: number | null;
  lon: number | null;
  address: string | null;
  asset: Record<string, unknown>;
  tags: string[];
  installed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT d.*, (SELECT coalesce(array_agg(z.zone_id ORDER BY z.zone_id), '{}') FROM device_zones z WHERE z.device_id = d.id) AS zone_ids FROM devices d`;

const toRecord = (r: Row): DeviceRecord => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  wardCode: r.ward_code,
  groupId: r.group_id,
  zoneIds: r.zone_ids ?? [],
  lat: r.lat,
  lon: r.lon,
  address: r.address,
  asset: r.asset,
  tags: r.tags,
  installedAt: r.installed_at ? new Date(r.installed_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const COLUMNS: Record<keyof DevicePatch, string> = {
  name: 'name',
  wardCode: 'ward_code',
  groupId: 'group_id',
  lat: 'lat',
  lon: 'lon',
  address: 'address',
  asset: 'asset',
  tags: 'tags',
  installedAt: 'installed_at',
};

export class DeviceRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async list(f: DeviceFilter): Promise<{ items: DeviceRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.kind) add('d.kind = ?', f.kind);
    if (f.groupId) add('d.group_id = ?', f.groupId);
    if (f.wardCode) {
      requireWard(f.wardCode);
      add('d.ward_code = ?', f.wardCode);
    }
    if (f.tag) add('? = ANY(d.tags)', f.tag);
    if (f.zoneId) add('EXISTS (SELECT 1 FROM device_zones z WHERE z.device_id = d.id AND z.zone_id = ?)', f.zoneId);
    if (f.q) add('(d.id ILIKE ? OR d.name ILIKE ?)', `%${f.q}%`);
    const scope = scopedWards();
    if (scope) add('d.ward_code = ANY(?::text[])', scope);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices d ${w}`, params);
    const rows = await this.db.query<Row>(`${SELECT} ${w} ORDER BY d.id LIMIT ${f.limit} OFFSET ${f.offset}`, params);
    return { items: rows.rows.map(toRecord), total: total.rows[0]?.n ?? 0 };
  }

  /** A device in the caller's ward scope (services/auth/ward-scope.ts); null when absent or in another ward. */
  async get(id: string): Promise<DeviceRecord | null> {
    const r = await this.db.query<Row>(`${SELECT} WHERE d.id = $1`, [id]);
    return visibleOrNull(r.rows[0] ? toRecord(r.rows[0]) : null);
  }

  /** Creates the device and its credential in one transaction. */
  async create(d: NewDevice, zoneIds: string[], secretHash: string): Promise<DeviceRecord> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO devices (id, kind, name, ward_code, group_id, lat, lon, address, asset, tags, installed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [d.id, d.kind, d.name, d.wardCode, d.groupId, d.lat, d.lon, d.address, JSON.stringify(d.asset), d.tags, d.installedAt],
      );
      for (const z of zoneIds) await tx.query('INSERT INTO device_zones (device_id, zone_id) VALUES ($1, $2)', [d.id, z]);
      await tx.query('INSERT INTO device_credentials (device_id, secret_hash) VALUES ($1, $2)', [d.id, secretHash]);
    });
    return (await this.get(d.id)) as DeviceRecord;
  }

  async update(id: string, patch: DevicePatch, zoneIds?: string[]): Promise<DeviceRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [k, col] of Object.entries(COLUMNS) as [keyof DevicePatch, string][]) {
      if (patch[k] === undefined) continue;
      params.push(k === 'asset' ? JSON.stringify(patch[k]) : patch[k]);
      sets.push(`${col} = $${params.length}`);
    }
    const found = await this.db.transaction(async (tx) => {
      const r = await tx.query(`UPDATE devices SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, params);
      if (r.rowCount === 0) return false;
      if (zoneIds) {
        await tx.query('DELETE FROM device_zones WHERE device_id = $1', [id]);
        for (const z of zoneIds) await tx.query('INSERT INTO device_zones (device_id, zone_id) VALUES ($1, $2)', [id, z]);
      }
      return true;
    });
    return found ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM devices WHERE id = $1', [id])).rowCount > 0;
  }

  async setSecretHash(id: string, hash: string): Promise<boolean> {
    const r = await this.db.query('UPDATE device_credentials SET secret_hash = $2, rotated_at = now() WHERE device_id = $1', [id, hash]);
    return r.rowCount > 0;
  }

  async credentialOf(id: string): Promise<{ kind: string; secretHash: string } | null> {
    const r = await this.db.query<{ kind: string; secret_hash: string }>(
      'SELECT d.kind, c.secret_hash FROM devices d JOIN device_credentials c ON c.device_id = d.id WHERE d.id = $1',
      [id],
    );
    const row = r.rows[0];
    return row ? { kind: row.kind, secretHash: row.secret_hash } : null;
  }

  async existingZones(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    // Only zones of the caller's wards: another ward's zone is as unknown as one that does not exist.
    const r = await this.db.query<{ id: string }>('SELECT id FROM zones WHERE id = ANY($1::text[]) AND ($2::text[] IS NULL OR ward_code = ANY($2::text[]))', [
      ids,
      scopedWards(),
    ]);
    return r.rows.map((x) => x.id);
  }
}
