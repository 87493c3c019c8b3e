import type { Db } from '../../db/db.ts';

export type Comparator = '>=' | '>' | '<=' | '<';

export interface PlanTarget {
  wardCode: string;
  indicator: string;
  period: string;
  comparator: Comparator;
  target: number;
  source: string;
  basis: 'plan' | 'proposal';
  updatedBy: string;
  updatedAt: string;
}

interface Row {
  ward_code: string;
  indicator: string;
  period: string;
  comparator: Comparator;
  target: number;
  source: string;
  basis: 'plan' | 'proposal';
  updated_by: string;
  updated_at: Date;
}

const toTarget = (r: Row): PlanTarget => ({
  wardCode: r.ward_code,
  indicator: r.indicator,
  period: r.period,
  comparator: r.comparator,
  target: Number(r.target),
  source: r.source,
  basis: r.basis,
  updatedBy: r.updated_by,
  updatedAt: new Date(r.updated_at).toISOString(),
});

/** SQL of the plan targets (migrations/0070_plan_targets.sql). */
export class TargetsRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async list(wardCode: string, periods?: readonly string[]): Promise<PlanTarget[]> {
    const r = periods
      ? await this.db.query<Row>(`SELECT * FROM plan_targets WHERE ward_code = $1 AND period = ANY($2::text[]) ORDER BY period, indicator`, [wardCode, periods])
      : await this.db.query<Row>(`SELECT * FROM plan_targets WHERE ward_code = $1 ORDER BY period, indicator`, [wardCode]);
    return r.rows.map(toTarget);
  }

  async count(wardCode: string): Promise<number> {
    const r = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM plan_targets WHERE ward_code = $1`, [wardCode]);
    return r.rows[0]?.n ?? 0;
  }

  async upsert(t: Omit<PlanTarget, 'updatedAt'>): Promise<PlanTarget> {
    const r = await this.db.query<Row>(
      `INSERT INTO plan_targets (ward_code, indicator, period, comparator, target, source, basis, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (ward_code, indicator, period) DO UPDATE SET comparator = EXCLUDED.comparator, target = EXCLUDED.target,
         source = EXCLUDED.source, basis = EXCLUDED.basis, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING *`,
      [t.wardCode, t.indicator, t.period, t.comparator, t.target, t.source, t.basis, t.updatedBy],
    );
    return toTarget(r.rows[0] as Row);
  }

  async remove(wardCode: string, indicator: string, period: string): Promise<boolean> {
    const r = await this.db.query(`DELETE FROM plan_targets WHERE ward_code = $1 AND indicator = $2 AND period = $3`, [wardCode, indicator, period]);
    return (r.rowCount ?? 0) > 0;
  }
}
