/** All SQL of the camera feature: ONVIF connections, the snapshot index, and the camera view of devices. */
import { noteWard, scopedWards } from '../auth/ward-scope.ts';
import { notFound } from '../common/errors.ts';
import type { Db } from '../db/db.ts';
import type { DeviceInfo, MediaProfile, PtzPreset } from './camera-driver.ts';

export interface StoredConnection {
  deviceId: string;
  address: string;
  username: string;
  /** AES-256-GCM sealed (services/common/crypto.ts); never leaves the service. */
  passwordSealed: string;
  profileToken: string | null;
}

export interface ConnectionFacts {
  deviceInfo: DeviceInfo;
  profiles: MediaProfile[];
  hasPtz: boolean;
  verifiedAt: Date;
}

/** One camera as the API shows it: device fields, connection (without the password), latest status. */
export interface CameraRecord {
  id: string;
  name: string;
  wardCode: string;
  groupId: string | null;
  zoneIds: string[];
  lat: number | null;
  lon: number | null;
  address: string | null;
  tags: string[];
  installedAt: string | null;
  createdAt: string;
  onvif: {
    address: string;
    username: string;
    profileToken: string | null;
    deviceInfo: DeviceInfo;
    profiles: MediaProfile[];
    hasPtz: boolean;
    verifiedAt: string;
    updatedAt: string;
  };
  status: { online: boolean | null; lastSeen: string | null; changedAt: string | null; reason: string | null };
}

export interface SnapshotRow {
  id: string;
  deviceId: string;
  takenAt: string;
  trigger: 'on-demand' | 'schedule' | 'probe';
  requestedBy: string | null;
  full: { path: string; format: 'jpeg' | 'webp'; width: number; height: number; bytes: number };
  thumb: { path: string; width: number; height: number; bytes: number };
  source: { width: number; height: number; bytes: number };
}

export type NewSnapshot = Omit<SnapshotRow, 'id' | 'takenAt'> & { takenAt: Date };

type Row = Record<string, unknown>;
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const CAMERA_SELECT = `
  SELECT d.id, d.name, d.ward_code, d.group_id, d.lat, d.lon, d.address, d.tags, d.installed_at, d.created_at,
         (SELECT coalesce(array_agg(z.zone_id ORDER BY z.zone_id), '{}') FROM device_zones z WHERE z.device_id = d.id) AS zone_ids,
         c.address AS onvif_address, c.username, c.profile_token, c.manufacturer, c.model, c.firmware_version,
         c.serial_number, c.hardware_id, c.profiles, c.has_ptz, c.verified_at, c.updated_at AS onvif_updated_at,
         s.online, s.last_seen, s.status_changed_at, s.status_reason
  FROM camera_connections c
  JOIN devices d ON d.id = c.device_id
  LEFT JOIN device_state s ON s.device_id = c.device_id`;

function toCamera(r: Row): CameraRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    wardCode: r.ward_code as string,
    groupId: (r.group_id as string | null) ?? null,
    zoneIds: (r.zone_ids as string[] | null) ?? [],
    lat: num(r.lat),
    lon: num(r.lon),
    address: (r.address as string | null) ?? null,
    tags: (r.tags as string[] | null) ?? [],
    installedAt: iso(r.installed_at),
    createdAt: iso(r.created_at) ?? '',
    onvif: {
      address: r.onvif_address as string,
      username: r.username as string,
      profileToken: (r.profile_token as string | null) ?? null,
      deviceInfo: {
        manufacturer: r.manufacturer as string,
        model: r.model as string,
        firmwareVersion: r.firmware_version as string,
        serialNumber: r.serial_number as string,
        hardwareId: r.hardware_id as string,
      },
      profiles: (r.profiles as MediaProfile[] | null) ?? [],
      hasPtz: r.has_ptz === true,
      verifiedAt: iso(r.verified_at) ?? '',
      updatedAt: iso(r.onvif_updated_at) ?? '',
    },
    status: {
      online: (r.online as boolean | null) ?? null,
      lastSeen: iso(r.last_seen),
      changedAt: iso(r.status_changed_at),
      reason: (r.status_reason as string | null) ?? null,
    },
  };
}

function toSnapshot(r: Row): SnapshotRow {
  return {
    id: r.id as string,
    deviceId: r.device_id as string,
    takenAt: iso(r.taken_at) ?? '',
    trigger: r.trigger as SnapshotRow['trigger'],
    requestedBy: (r.requested_by as string | null) ?? null,
    full: {
      path: r.full_path as string,
      format: r.full_format as 'jpeg' | 'webp',
      width: Number(r.full_width),
      height: Number(r.full_height),
      bytes: Number(r.full_bytes),
    },
    thumb: { path: r.thumb_path as string, width: Number(r.thumb_width), height: Number(r.thumb_height), bytes: Number(r.thumb_bytes) },
    source: { width: Number(r.source_width), height: Number(r.source_height), bytes: Number(r.source_bytes) },
  };
}

const factParams = (f: ConnectionFacts): unknown[] => [
  f.deviceInfo.manufacturer,
  f.deviceInfo.model,
  f.deviceInfo.firmwareVersion,
  f.deviceInfo.serialNumber,
  f.deviceInfo.hardwareId,
  JSON.stringify(f.profiles),
  f.hasPtz,
  f.verifiedAt,
];

export class CameraRepository {
  constructor(private readonly db: Db) {}

  async insertConnection(c: StoredConnection, f: ConnectionFacts): Promise<void> {
    await this.db.query(
      `INSERT INTO camera_connections (device_id, address, username, password_sealed, profile_token,
         manufacturer, model, firmware_version, serial_number, hardware_id, profiles, has_ptz, verified_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)`,
      [c.deviceId, c.address, c.username, c.passwordSealed, c.profileToken, ...factParams(f)],
    );
  }

  async updateConnection(c: StoredConnection, f: ConnectionFacts): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE camera_connections SET address = $2, username = $3, password_sealed = $4, profile_token = $5,
         manufacturer = $6, model = $7, firmware_version = $8, serial_number = $9, hardware_id = $10,
         profiles = $11::jsonb, has_ptz = $12, verified_at = $13, presets = NULL, presets_at = NULL, updated_at = now()
       WHERE device_id = $1`,
      [c.deviceId, c.address, c.username, c.passwordSealed, c.profileToken, ...factParams(f)],
    );
    return r.rowCount > 0;
  }

  /**
   * Province tenancy: in a caller's ward scope (services/auth/ward-scope.ts), another ward's camera reads as absent.
   * Free outside a scope (the health poller, probes).
   */
  private async visible(deviceId: string): Promise<boolean> {
    const scope = scopedWards();
    if (!scope) return true;
    const r = await this.db.query<{ ward_code: string }>('SELECT ward_code FROM devices WHERE id = $1', [deviceId]);
    const ward = r.rows[0]?.ward_code;
    if (ward === undefined || !scope.includes(ward)) return false;
    noteWard(ward);
    return true;
  }

  async connection(deviceId: string): Promise<(StoredConnection & { hasPtz: boolean }) | null> {
    if (!(await this.visible(deviceId))) return null;
    const r = await this.db.query<Row>(
      'SELECT device_id, address, username, password_sealed, profile_token, has_ptz FROM camera_connections WHERE device_id = $1',
      [deviceId],
    );
    const row = r.rows[0];
    return row ? { ...toStored(row), hasPtz: row.has_ptz === true } : null;
  }

  async connections(): Promise<StoredConnection[]> {
    const r = await this.db.query<Row>('SELECT device_id, address, username, password_sealed, profile_token FROM camera_connections ORDER BY device_id');
    return r.rows.map(toStored);
  }

  /** The device registered at this ONVIF address, if any. */
  async deviceAt(address: string): Promise<string | null> {
    const r = await this.db.query<{ device_id: string }>('SELECT device_id FROM camera_connections WHERE address = $1', [address]);
    return r.rows[0]?.device_id ?? null;
  }

  async devicesAt(addresses: string[]): Promise<Map<string, string>> {
    if (!addresses.length) return new Map();
    const r = await this.db.query<{ device_id: string; address: string }>('SELECT device_id, address FROM camera_connections WHERE address = ANY($1::text[])', [
      addresses,
    ]);
    return new Map(r.rows.map((x) => [x.address, x.device_id]));
  }

  async get(deviceId: string): Promise<CameraRecord | null> {
    if (!(await this.visible(deviceId))) return null;
    const r = await this.db.query<Row>(`${CAMERA_SELECT} WHERE c.device_id = $1`, [deviceId]);
    return r.rows[0] ? toCamera(r.rows[0]) : null;
  }

  async list(f: { groupId?: string; q?: string; limit: number; offset: number }): Promise<{ items: CameraRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.groupId) {
      params.push(f.groupId);
      where.push(`d.group_id = $${params.length}`);
    }
    if (f.q) {
      params.push(`%${f.q}%`);
      where.push(`(d.id ILIKE $${params.length} OR d.name ILIKE $${params.length})`);
    }
    const scope = scopedWards();
    if (scope) {
      params.push(scope);
      where.push(`d.ward_code = ANY($${params.length}::text[])`);
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM camera_connections c JOIN devices d ON d.id = c.device_id ${w}`, params);
    params.push(f.limit, f.offset);
    const rows = await this.db.query<Row>(`${CAMERA_SELECT} ${w} ORDER BY d.id LIMIT $${params.length - 1} OFFSET $${params.length}`, params);
    return { items: rows.rows.map(toCamera), total: total.rows[0]?.n ?? 0 };
  }

  async savePresets(deviceId: string, presets: PtzPreset[], at: Date): Promise<void> {
    await this.db.query('UPDATE camera_connections SET presets = $2::jsonb, presets_at = $3 WHERE device_id = $1', [deviceId, JSON.stringify(presets), at]);
  }

  async cachedPresets(deviceId: string): Promise<{ presets: PtzPreset[]; at: string } | null> {
    const r = await this.db.query<Row>('SELECT presets, presets_at FROM camera_connections WHERE device_id = $1 AND presets IS NOT NULL', [deviceId]);
    const row = r.rows[0];
    return row ? { presets: row.presets as PtzPreset[], at: iso(row.presets_at) ?? '' } : null;
  }

  // ---- snapshots ---------------------------------------------------------------------------------------------------

  async insertSnapshot(s: NewSnapshot): Promise<SnapshotRow> {
    const r = await this.db.query<Row>(
      `INSERT INTO camera_snapshots (device_id, taken_at, trigger, requested_by, full_path, full_format, full_width, full_height,
         full_bytes, thumb_path, thumb_width, thumb_height, thumb_bytes, source_width, source_height, source_bytes)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16
       WHERE EXISTS (SELECT 1 FROM devices WHERE id = $1)
       RETURNING *`,
      [
        s.deviceId,
        s.takenAt,
        s.trigger,
        s.requestedBy,
        s.full.path,
        s.full.format,
        s.full.width,
        s.full.height,
        s.full.bytes,
        s.thumb.path,
        s.thumb.width,
        s.thumb.height,
        s.thumb.bytes,
        s.source.width,
        s.source.height,
        s.source.bytes,
      ],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`camera ${s.deviceId} no longer exists`);
    return toSnapshot(row);
  }

  async listSnapshots(deviceId: string, limit: number, offset: number): Promise<{ items: SnapshotRow[]; total: number }> {
    if (!(await this.visible(deviceId))) throw notFound('Camera', deviceId);
    const total = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM camera_snapshots WHERE device_id = $1', [deviceId]);
    const r = await this.db.query<Row>('SELECT * FROM camera_snapshots WHERE device_id = $1 ORDER BY taken_at DESC, id LIMIT $2 OFFSET $3', [
      deviceId,
      limit,
      offset,
    ]);
    return { items: r.rows.map(toSnapshot), total: total.rows[0]?.n ?? 0 };
  }

  async snapshot(deviceId: string, snapshotId: string): Promise<SnapshotRow | null> {
    if (!(await this.visible(deviceId))) return null;
    const r = await this.db.query<Row>('SELECT * FROM camera_snapshots WHERE device_id = $1 AND id = $2::uuid', [deviceId, snapshotId]);
    return r.rows[0] ? toSnapshot(r.rows[0]) : null;
  }

  async latestSnapshot(deviceId: string): Promise<SnapshotRow | null> {
    if (!(await this.visible(deviceId))) return null;
    const r = await this.db.query<Row>('SELECT * FROM camera_snapshots WHERE device_id = $1 ORDER BY taken_at DESC, id LIMIT 1', [deviceId]);
    return r.rows[0] ? toSnapshot(r.rows[0]) : null;
  }

  /** Retention follows the files: rows whose full image is no longer in the store are removed. */
  async deleteSnapshotsExcept(deviceId: string, keptFullPaths: string[]): Promise<number> {
    const r = await this.db.query('DELETE FROM camera_snapshots WHERE device_id = $1 AND NOT (full_path = ANY($2::text[]))', [deviceId, keptFullPaths]);
    return r.rowCount;
  }

  // ---- health ------------------------------------------------------------------------------------------------------

  /** Latest active flag of each fault event per camera, so a restart neither re-raises nor forgets a fault. */
  async activeFaults(deviceIds: string[], events: string[]): Promise<{ deviceId: string; event: string }[]> {
    if (!deviceIds.length || !events.length) return [];
    const r = await this.db.query<{ device_id: string; event: string; active: boolean | null }>(
      `SELECT DISTINCT ON (device_id, event) device_id, event, active FROM device_events
       WHERE device_id = ANY($1::text[]) AND event = ANY($2::text[])
       ORDER BY device_id, event, time DESC`,
      [deviceIds, events],
    );
    return r.rows.filter((x) => x.active === true).map((x) => ({ deviceId: x.device_id, event: x.event }));
  }
}

function toStored(row: Row): StoredConnection {
  return {
    deviceId: row.device_id as string,
    address: row.address as string,
    username: row.username as string,
    passwordSealed: row.password_sealed as string,
    profileToken: (row.profile_token as string | null) ?? null,
  };
}
