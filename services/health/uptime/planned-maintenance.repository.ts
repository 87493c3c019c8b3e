import { scopedWards } from '../../auth/ward-scope.ts';
import { AppError } from '../../common/errors.ts';
import type { Db } from '../../db/db.ts';
import { UptimeRepository, type MaintenanceWindow, type Scope } from './uptime.repository.ts';

/** A kind-wide window covers every ward: only a caller who sees every ward sets or removes one. */
function kindWideNeedsProvince(type: Scope['type']): void {
  if (type === 'kind' && scopedWards())
    throw new AppError(
      'WARD_FORBIDDEN',
      403,
      'A maintenance window for a whole device kind covers every ward: ask a province-wide user, or give a ward, zone or device',
    );
}

/** Planned maintenance windows. Declaring or removing one marks the rollup of the devices it covers for recompute. */
export class PlannedMaintenanceRepository {
  private readonly db: Db;
  private readonly uptime: UptimeRepository;
  constructor(db: Db) {
    this.db = db;
    this.uptime = new UptimeRepository(db);
  }

  async list(from: number, to: number): Promise<MaintenanceWindow[]> {
    return this.visible(await this.uptime.maintenanceOverlapping(from, to));
  }

  /**
   * Province tenancy: in a caller's ward scope, the windows of their wards, zones and devices, and kind-wide ones
   * (which cover their devices too). Uptime itself reads every window: another ward's window covers none of theirs.
   */
  private async visible(ws: MaintenanceWindow[]): Promise<MaintenanceWindow[]> {
    const scope = scopedWards();
    if (!scope) return ws;
    const ids = (type: string) => ws.filter((w) => w.scopeType === type).map((w) => w.scopeId);
    const zones = new Set(
      (await this.db.query<{ id: string }>('SELECT id FROM zones WHERE id = ANY($1::text[]) AND ward_code = ANY($2::text[])', [ids('zone'), scope])).rows.map(
        (r) => r.id,
      ),
    );
    const devices = new Set(
      (
        await this.db.query<{ id: string }>('SELECT id FROM devices WHERE id = ANY($1::text[]) AND ward_code = ANY($2::text[])', [ids('device'), scope])
      ).rows.map((r) => r.id),
    );
    return ws.filter(
      (w) =>
        w.scopeType === 'kind' ||
        (w.scopeType === 'ward' && scope.includes(w.scopeId)) ||
        (w.scopeType === 'zone' && zones.has(w.scopeId)) ||
        (w.scopeType === 'device' && devices.has(w.scopeId)),
    );
  }

  async get(id: string): Promise<MaintenanceWindow | null> {
    const r = await this.db.query<{ starts_at: Date; ends_at: Date }>('SELECT starts_at, ends_at FROM maintenance_windows WHERE id = $1', [id]);
    const row = r.rows[0];
    if (!row) return null;
    const all = await this.visible(await this.uptime.maintenanceOverlapping(new Date(row.starts_at).getTime(), new Date(row.ends_at).getTime()));
    return all.find((w) => w.id === id) ?? null;
  }

  async create(w: { title: string; scope: Scope; from: number; to: number; createdBy: string }): Promise<string> {
    kindWideNeedsProvince(w.scope.type);
    return this.db.transaction(async (tx) => {
      const r = await tx.query<{ id: string }>(
        'INSERT INTO maintenance_windows (title, scope_type, scope_id, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [w.title, w.scope.type, w.scope.id, new Date(w.from), new Date(w.to), w.createdBy],
      );
      await this.uptime.markScopeDirty(tx, w.scope, w.from);
      return (r.rows[0] as { id: string }).id;
    });
  }

  async delete(id: string): Promise<boolean> {
    if (scopedWards()) {
      const w = await this.get(id);
      if (!w) return false;
      kindWideNeedsProvince(w.scopeType);
    }
    return this.db.transaction(async (tx) => {
      const r = await tx.query<{ scope_type: Scope['type']; scope_id: string; starts_at: Date }>(
        'DELETE FROM maintenance_windows WHERE id = $1 RETURNING scope_type, scope_id, starts_at',
        [id],
      );
      const row = r.rows[0];
      if (!row) return false;
      await this.uptime.markScopeDirty(tx, { type: row.scope_type, id: row.scope_id }, new Date(row.starts_at).getTime());
      return true;
    });
  }
}
