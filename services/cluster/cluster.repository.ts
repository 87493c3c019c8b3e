import type { Queryable } from '../db/db.ts';

/** SQL for the cluster tables (migrations/0080_cluster.sql). Every time is the database's clock. */
export class ClusterRepository {
  private readonly db: Queryable;

  constructor(db: Queryable) {
    this.db = db;
  }

  /** Registers or renews a node's lease. */
  async renewNode(nodeId: string, leaseMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO cluster_nodes (node_id, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (node_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [nodeId, leaseMs],
    );
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.db.query('DELETE FROM cluster_nodes WHERE node_id = $1', [nodeId]);
  }

  async liveNodes(): Promise<string[]> {
    const r = await this.db.query<{ node_id: string }>('SELECT node_id FROM cluster_nodes WHERE expires_at > now() ORDER BY node_id');
    return r.rows.map((x) => x.node_id);
  }

  /**
   * Nodes whose lease ran out, removed in the same statement so only one survivor handles each. A node that left
   * connection rows without a node row (it died before its first renewal) counts as dead too.
   */
  async takeDeadNodes(): Promise<string[]> {
    const r = await this.db.query<{ node_id: string }>(
      `WITH dead AS (DELETE FROM cluster_nodes WHERE expires_at <= now() RETURNING node_id)
       SELECT node_id FROM dead
       UNION
       SELECT DISTINCT c.node_id FROM cluster_connections c
        WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.node_id = c.node_id)
          AND c.since < now() - interval '30 seconds'`,
    );
    return r.rows.map((x) => x.node_id);
  }

  /*
   * The ownership changes return the database's clock_timestamp() of the change itself, and the status rows they cause
   * carry that time: a survivor releasing a dead node's device and that device's new node taking it serialize on the
   * row, so their status rows are in the order the database saw (node clocks need not agree to the millisecond).
   */

  /** This node now holds the device's connection (a move from another node included); returns when, by the database. */
  async own(deviceId: string, nodeId: string): Promise<Date> {
    const r = await this.db.query<{ at: Date }>(
      `INSERT INTO cluster_connections (device_id, node_id, since) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (device_id) DO UPDATE SET node_id = EXCLUDED.node_id, since = clock_timestamp()
       RETURNING clock_timestamp() AS at`,
      [deviceId, nodeId],
    );
    return new Date(r.rows[0]!.at);
  }

  /** Drops the device's row only if this node still owns it; null = it moved on (or was released already). */
  async disown(deviceId: string, nodeId: string): Promise<Date | null> {
    const r = await this.db.query<{ at: Date }>('DELETE FROM cluster_connections WHERE device_id = $1 AND node_id = $2 RETURNING clock_timestamp() AS at', [
      deviceId,
      nodeId,
    ]);
    return r.rows[0] ? new Date(r.rows[0].at) : null;
  }

  /** Every device still recorded on a node, released; returns their ids and when. */
  async releaseNode(nodeId: string): Promise<{ deviceId: string; at: Date }[]> {
    const r = await this.db.query<{ device_id: string; at: Date }>(
      'DELETE FROM cluster_connections WHERE node_id = $1 RETURNING device_id, clock_timestamp() AS at',
      [nodeId],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, at: new Date(x.at) }));
  }

  async owner(deviceId: string): Promise<string | null> {
    const r = await this.db.query<{ node_id: string }>('SELECT node_id FROM cluster_connections WHERE device_id = $1', [deviceId]);
    return r.rows[0]?.node_id ?? null;
  }

  /**
   * Takes or renews the named lease for `holder`: succeeds when nobody holds it, the holder already does, or the
   * current lease expired. Returns true when `holder` holds it afterwards.
   */
  async acquire(name: string, holder: string, leaseMs: number): Promise<boolean> {
    const r = await this.db.query<{ holder: string }>(
      `INSERT INTO cluster_leases (name, holder, expires_at, acquired_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond', now())
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
         acquired_at = CASE WHEN cluster_leases.holder = EXCLUDED.holder THEN cluster_leases.acquired_at ELSE now() END
       WHERE cluster_leases.holder = EXCLUDED.holder OR cluster_leases.expires_at <= now()
       RETURNING holder`,
      [name, holder, leaseMs],
    );
    return r.rows[0]?.holder === holder;
  }

  async release(names: string[], holder: string): Promise<void> {
    if (!names.length) return;
    await this.db.query('DELETE FROM cluster_leases WHERE name = ANY($1::text[]) AND holder = $2', [names, holder]);
  }

  async leases(): Promise<{ name: string; holder: string; expiresAt: Date }[]> {
    const r = await this.db.query<{ name: string; holder: string; expires_at: Date }>('SELECT name, holder, expires_at FROM cluster_leases ORDER BY name');
    return r.rows.map((x) => ({ name: x.name, holder: x.holder, expiresAt: new Date(x.expires_at) }));
  }
}
