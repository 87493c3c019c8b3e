import type { Db } from '../../db/db.ts';
import { UptimeRepository, type MaintenanceWindow, type Scope } from './uptime.repository.ts';

/** Planned maintenance windows. Declaring or removing one marks the rollup of the devices it covers for recompute. */
export class PlannedMaintenanceRepository {
  private readonly db: Db;
  private readonly uptime: UptimeRepository;
  constructor(db: Db) {
    this.db = db;
    this.uptime = new UptimeRepository(db);
  }

  list(from: number, to: number): Promise<MaintenanceWindow[]> {
    return this.uptime.maintenanceOverlapping(from, to);
  }

  async get(id: string): Promise<MaintenanceWindow | null> {
    const r = await this.db.query<{ starts_at: Date; ends_at: Date }>('SELECT starts_at, ends_at FROM maintenance_windows WHERE id = $1', [id]);
    const row = r.rows[0];
    if (!row) return null;
    const all = await this.uptime.maintenanceOverlapping(new Date(row.starts_at).getTime(), new Date(row.ends_at).getTime());
    return all.find((w) => w.id === id) ?? null;
  }

  async create(w: { title: string; scope: Scope; from: number; to: number; createdBy: string }): Promise<string> {
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
