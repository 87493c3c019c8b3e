import { scopedWards } from '../../auth/ward-scope.ts';
import type { Db, Queryable } from '../../db/db.ts';

export interface ScheduleRow {
  id: string;
  job: string;
  ref: string | null;
  dtstart: Date;
  rrule: string | null;
  leadS: number;
  catchUpS: number;
  nextAt: Date | null;
  fireAt: Date | null;
  enabled: boolean;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface ClaimedRun {
  scheduleId: string;
  job: string;
  ref: string | null;
  payload: Record<string, unknown>;
  occurrenceAt: Date;
  leadS: number;
  catchUpS: number;
}

export interface RunRow {
  scheduleId: string;
  occurrenceAt: string;
  status: 'claimed' | 'fired' | 'skipped' | 'failed';
  claimedBy: string;
  claimedAt: string;
  finishedAt: string | null;
  latenessMs: number | null;
  detail: Record<string, unknown>;
}

interface DbRow {
  id: string;
  job: string;
  ref: string | null;
  dtstart: Date;
  rrule: string | null;
  lead_s: number;
  catch_up_s: number;
  next_at: Date | null;
  fire_at: Date | null;
  enabled: boolean;
  payload: Record<string, unknown>;
  created_at: Date;
}

const toRow = (r: DbRow): ScheduleRow => ({
  id: r.id,
  job: r.job,
  ref: r.ref,
  dtstart: new Date(r.dtstart),
  rrule: r.rrule,
  leadS: r.lead_s,
  catchUpS: r.catch_up_s,
  nextAt: r.next_at ? new Date(r.next_at) : null,
  fireAt: r.fire_at ? new Date(r.fire_at) : null,
  enabled: r.enabled,
  payload: r.payload,
  createdAt: new Date(r.created_at),
});

/** What to do with the due schedules found: the plan decides which occurrences fire, which are skipped, what is next. */
export type Planner = (s: ScheduleRow) => { fire: number[]; skip: number[]; next: number | null };

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Province tenancy: in a caller's ward scope, a schedule is visible when it reaches one of their wards (payload.wards,
 * written by services/control/scheduler/scheduled-commands.ts); the service's own schedules carry none.
 */
const VISIBLE = (p: string): string => `(${p}::text[] IS NULL OR (payload ? 'wards' AND payload->'wards' ?| ${p}::text[]))`;

export class SchedulerRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async upsert(s: Omit<ScheduleRow, 'createdAt' | 'fireAt'>): Promise<void> {
    const fireAt = s.nextAt ? new Date(s.nextAt.getTime() - s.leadS * 1000) : null;
    await this.db.query(
      `INSERT INTO schedules (id, job, ref, dtstart, rrule, lead_s, catch_up_s, next_at, fire_at, enabled, payload)
       VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10, $11)
       ON CONFLICT (id) DO UPDATE SET job = EXCLUDED.job, ref = EXCLUDED.ref, dtstart = EXCLUDED.dtstart, rrule = EXCLUDED.rrule,
         lead_s = EXCLUDED.lead_s, catch_up_s = EXCLUDED.catch_up_s, next_at = EXCLUDED.next_at, fire_at = EXCLUDED.fire_at,
         enabled = EXCLUDED.enabled, payload = EXCLUDED.payload, updated_at = now()`,
      [
        s.id,
        s.job,
        s.ref,
        s.dtstart.toISOString(),
        s.rrule,
        s.leadS,
        s.catchUpS,
        s.nextAt?.toISOString() ?? null,
        fireAt?.toISOString() ?? null,
        s.enabled,
        JSON.stringify(s.payload),
      ],
    );
  }

  /** Inserts the schedule unless one with this id exists (module start-up jobs: keep the stored next occurrence). */
  async insertIfAbsent(s: Omit<ScheduleRow, 'createdAt' | 'fireAt'>): Promise<boolean> {
    const fireAt = s.nextAt ? new Date(s.nextAt.getTime() - s.leadS * 1000) : null;
    const r = await this.db.query(
      `INSERT INTO schedules (id, job, ref, dtstart, rrule, lead_s, catch_up_s, next_at, fire_at, enabled, payload)
       VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        s.id,
        s.job,
        s.ref,
        s.dtstart.toISOString(),
        s.rrule,
        s.leadS,
        s.catchUpS,
        s.nextAt?.toISOString() ?? null,
        fireAt?.toISOString() ?? null,
        s.enabled,
        JSON.stringify(s.payload),
      ],
    );
    return r.rows.length > 0;
  }

  async get(id: string): Promise<ScheduleRow | null> {
    const r = await this.db.query<DbRow>(`SELECT * FROM schedules WHERE id = $1 AND ${VISIBLE('$2')}`, [id, scopedWards()]);
    return r.rows[0] ? toRow(r.rows[0]) : null;
  }

  async list(f: { job?: string; ref?: string; limit: number; offset: number }): Promise<ScheduleRow[]> {
    const r = await this.db.query<DbRow>(
      `SELECT * FROM schedules WHERE ($1::text IS NULL OR job = $1) AND ($2::text IS NULL OR ref = $2) AND ${VISIBLE('$5')} ORDER BY id LIMIT $3 OFFSET $4`,
      [f.job ?? null, f.ref ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map(toRow);
  }

  async disable(id: string): Promise<boolean> {
    return (
      (await this.db.query(`UPDATE schedules SET enabled = false, updated_at = now() WHERE id = $1 AND ${VISIBLE('$2')}`, [id, scopedWards()])).rowCount > 0
    );
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM schedules WHERE id = $1 AND ${VISIBLE('$2')}`, [id, scopedWards()])).rowCount > 0;
  }

  /**
   * Claims due occurrences in one transaction: the due schedules are locked (SKIP LOCKED: another process takes the
   * others), each occurrence gets its run row (the primary key refuses a second claim of the same occurrence), and the
   * schedule moves on to its next occurrence. Handlers run after the commit, never inside it.
   */
  async claimDue(
    now: Date,
    limit: number,
    owner: string,
    plan: Planner,
  ): Promise<{ claimed: ClaimedRun[]; skipped: { scheduleId: string; occurrences: number[] }[] }> {
    return this.db.transaction(async (tx) => {
      const due = await tx.query<DbRow>(
        `SELECT * FROM schedules WHERE enabled AND fire_at IS NOT NULL AND fire_at <= $1::timestamptz ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now.toISOString(), limit],
      );
      const claimed: ClaimedRun[] = [];
      const skipped: { scheduleId: string; occurrences: number[] }[] = [];
      for (const row of due.rows.map(toRow)) {
        const p = plan(row);
        const got = await this.insertRuns(tx, row.id, p.fire, 'claimed', owner, now);
        for (const at of got)
          claimed.push({
            scheduleId: row.id,
            job: row.job,
            ref: row.ref,
            payload: row.payload,
            occurrenceAt: new Date(at),
            leadS: row.leadS,
            catchUpS: row.catchUpS,
          });
        const sk = await this.insertRuns(tx, row.id, p.skip, 'skipped', owner, now);
        if (sk.length) skipped.push({ scheduleId: row.id, occurrences: sk });
        const fireAt = p.next === null ? null : p.next - row.leadS * 1000;
        await tx.query(`UPDATE schedules SET next_at = $2::timestamptz, fire_at = $3::timestamptz, updated_at = now() WHERE id = $1`, [
          row.id,
          isoOrNull(p.next),
          isoOrNull(fireAt),
        ]);
      }
      return { claimed, skipped };
    });
  }

  private async insertRuns(tx: Queryable, id: string, occ: number[], status: 'claimed' | 'skipped', owner: string, now: Date): Promise<number[]> {
    if (!occ.length) return [];
    const r = await tx.query<{ occurrence_at: Date }>(
      `INSERT INTO schedule_runs (schedule_id, occurrence_at, status, claimed_by, claimed_at, finished_at, detail)
       SELECT $1::text, o, $3::text, $4::text, $5::timestamptz, CASE WHEN $3::text = 'skipped' THEN $5::timestamptz END,
              CASE WHEN $3::text = 'skipped' THEN '{"reason":"older than the catch-up window"}'::jsonb ELSE '{}'::jsonb END
       FROM unnest($2::timestamptz[]) AS o
       ON CONFLICT (schedule_id, occurrence_at) DO NOTHING RETURNING occurrence_at`,
      [id, occ.map((t) => new Date(t).toISOString()), status, owner, now.toISOString()],
    );
    return r.rows.map((x) => new Date(x.occurrence_at).getTime()).sort((a, b) => a - b);
  }

  /** Runs claimed long ago and never finished (their process died mid-run): taken over by this process. */
  async reclaimStale(now: Date, staleMs: number, owner: string): Promise<ClaimedRun[]> {
    const r = await this.db.query<{
      schedule_id: string;
      occurrence_at: Date;
      job: string;
      ref: string | null;
      payload: Record<string, unknown>;
      lead_s: number;
      catch_up_s: number;
    }>(
      `WITH taken AS (
         UPDATE schedule_runs SET claimed_by = $3, claimed_at = $1::timestamptz
         WHERE status = 'claimed' AND claimed_at < $1::timestamptz - make_interval(secs => $2::float8 / 1000)
         RETURNING schedule_id, occurrence_at)
       SELECT t.schedule_id, t.occurrence_at, s.job, s.ref, s.payload, s.lead_s, s.catch_up_s FROM taken t JOIN schedules s ON s.id = t.schedule_id`,
      [now.toISOString(), staleMs, owner],
    );
    return r.rows.map((x) => ({
      scheduleId: x.schedule_id,
      job: x.job,
      ref: x.ref,
      payload: x.payload,
      occurrenceAt: new Date(x.occurrence_at),
      leadS: x.lead_s,
      catchUpS: x.catch_up_s,
    }));
  }

  async finishRun(
    scheduleId: string,
    occurrenceAt: Date,
    status: 'fired' | 'failed' | 'skipped',
    latenessMs: number,
    detail: Record<string, unknown>,
    now: Date,
  ): Promise<void> {
    await this.db.query(
      `UPDATE schedule_runs SET status = $3, finished_at = $6::timestamptz, lateness_ms = $4, detail = $5 WHERE schedule_id = $1 AND occurrence_at = $2::timestamptz`,
      [scheduleId, occurrenceAt.toISOString(), status, Math.round(latenessMs), JSON.stringify(detail), now.toISOString()],
    );
  }

  async nextFireAt(): Promise<Date | null> {
    const r = await this.db.query<{ t: Date | null }>('SELECT min(fire_at) AS t FROM schedules WHERE enabled AND fire_at IS NOT NULL');
    const t = r.rows[0]?.t;
    return t ? new Date(t) : null;
  }

  async runs(f: { scheduleId?: string; status?: string; limit: number }): Promise<RunRow[]> {
    const r = await this.db.query<{
      schedule_id: string;
      occurrence_at: Date;
      status: RunRow['status'];
      claimed_by: string;
      claimed_at: Date;
      finished_at: Date | null;
      lateness_ms: number | null;
      detail: Record<string, unknown>;
    }>(`SELECT * FROM schedule_runs WHERE ($1::text IS NULL OR schedule_id = $1) AND ($2::text IS NULL OR status = $2) ORDER BY occurrence_at DESC LIMIT $3`, [
      f.scheduleId ?? null,
      f.status ?? null,
      f.limit,
    ]);
    return r.rows.map((x) => ({
      scheduleId: x.schedule_id,
      occurrenceAt: new Date(x.occurrence_at).toISOString(),
      status: x.status,
      claimedBy: x.claimed_by,
      claimedAt: new Date(x.claimed_at).toISOString(),
      finishedAt: x.finished_at ? new Date(x.finished_at).toISOString() : null,
      latenessMs: x.lateness_ms,
      detail: x.detail,
    }));
  }
}
