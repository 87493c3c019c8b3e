import { scopedWards } from '../../auth/ward-scope.ts';
import type { Db } from '../../db/db.ts';
import type { CalendarRule } from './calendar.ts';
import type { ProgramStep } from './program.ts';
import { counterCeiling } from '../../telemetry/counter-steps.ts';

export interface ProgramRecord {
  id: string;
  name: string;
  steps: ProgramStep[];
  createdAt: string;
  updatedAt: string;
}

export interface CalendarRecord {
  id: string;
  name: string;
  defaultProgramId: string;
  rules: CalendarRule[];
  createdAt: string;
  updatedAt: string;
}

/** A ward assignment (target id = the ward code) applies to every light without a device or zone assignment. */
export type AssignTargetType = 'zone' | 'device' | 'ward';

export interface AssignmentRecord {
  targetType: AssignTargetType;
  targetId: string;
  calendarId: string | null;
  programId: string | null;
  assignedBy: string;
  assignedAt: string;
}

export interface LightRecord {
  id: string;
  kind: string;
  lat: number | null;
  lon: number | null;
  asset: Record<string, unknown>;
  /** Residential group and zone memberships (direct). */
  zoneIds: string[];
  /** The light's ward (its ward-wide program applies, issue 14). */
  wardCode: string;
  state: Record<string, unknown>;
  stateAt: Date | null;
  online: boolean | null;
}

export interface OverrideRecord {
  deviceId: string;
  level: number;
  rampS: number;
  startsAt: Date;
  expiresAt: Date;
  commandId: string;
  setBy: string;
}

export interface EnergyRow {
  deviceId: string;
  bucket: string;
  usedKWh: number;
  burningH: number;
}

const iso = (d: Date): string => new Date(d).toISOString();

/** All SQL of lighting: programs, calendars, assignments, overrides, pushed programs, energy. */
export class LightingRepository {
  private readonly db: Db;
  private readonly tz: string;
  constructor(db: Db, tz: string) {
    this.db = db;
    this.tz = tz;
  }

  async getSetting<T>(key: string): Promise<T | null> {
    const r = await this.db.query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
    return r.rows[0]?.value ?? null;
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value', [
      key,
      JSON.stringify(value),
    ]);
  }

  async programs(): Promise<ProgramRecord[]> {
    const r = await this.db.query<{ id: string; name: string; steps: ProgramStep[]; created_at: Date; updated_at: Date }>(
      'SELECT * FROM lighting_programs ORDER BY id',
    );
    return r.rows.map((x) => ({ id: x.id, name: x.name, steps: x.steps, createdAt: iso(x.created_at), updatedAt: iso(x.updated_at) }));
  }

  async program(id: string): Promise<ProgramRecord | null> {
    return (await this.programs()).find((p) => p.id === id) ?? null;
  }

  /** Creates or replaces; true when it was new. */
  async saveProgram(p: { id: string; name: string; steps: ProgramStep[] }): Promise<boolean> {
    const r = await this.db.query<{ created: boolean }>(
      `INSERT INTO lighting_programs (id, name, steps) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, steps = EXCLUDED.steps, updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [p.id, p.name, JSON.stringify(p.steps)],
    );
    return r.rows[0]?.created ?? false;
  }

  async programInUse(id: string): Promise<string[]> {
    const r = await this.db.query<{ what: string }>(
      `SELECT 'calendar ' || id AS what FROM lighting_calendars WHERE default_program_id = $1 OR rules @> jsonb_build_array(jsonb_build_object('programId', $1::text))
       UNION ALL SELECT 'assignment ' || target_type || ' ' || target_id FROM lighting_assignments WHERE program_id = $1`,
      [id],
    );
    return r.rows.map((x) => x.what);
  }

  async deleteProgram(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM lighting_programs WHERE id = $1', [id])).rowCount > 0;
  }

  async calendars(): Promise<CalendarRecord[]> {
    const r = await this.db.query<{ id: string; name: string; default_program_id: string; rules: CalendarRule[]; created_at: Date; updated_at: Date }>(
      'SELECT * FROM lighting_calendars ORDER BY id',
    );
    return r.rows.map((x) => ({
      id: x.id,
      name: x.name,
      defaultProgramId: x.default_program_id,
      rules: x.rules,
      createdAt: iso(x.created_at),
      updatedAt: iso(x.updated_at),
    }));
  }

  async saveCalendar(c: { id: string; name: string; defaultProgramId: string; rules: CalendarRule[] }): Promise<boolean> {
    const r = await this.db.query<{ created: boolean }>(
      `INSERT INTO lighting_calendars (id, name, default_program_id, rules) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, default_program_id = EXCLUDED.default_program_id, rules = EXCLUDED.rules, updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [c.id, c.name, c.defaultProgramId, JSON.stringify(c.rules)],
    );
    return r.rows[0]?.created ?? false;
  }

  async deleteCalendar(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM lighting_calendars WHERE id = $1', [id])).rowCount > 0;
  }

  async assignments(): Promise<AssignmentRecord[]> {
    const r = await this.db.query<{
      target_type: AssignTargetType;
      target_id: string;
      calendar_id: string | null;
      program_id: string | null;
      assigned_by: string;
      assigned_at: Date;
    }>(
      // In a ward scope: the assignments of the caller's wards, zones and devices.
      `SELECT * FROM lighting_assignments a WHERE $1::text[] IS NULL
         OR (a.target_type = 'ward' AND a.target_id = ANY($1::text[]))
         OR (a.target_type = 'zone' AND EXISTS (SELECT 1 FROM zones z WHERE z.id = a.target_id AND z.ward_code = ANY($1::text[])))
         OR (a.target_type = 'device' AND EXISTS (SELECT 1 FROM devices d WHERE d.id = a.target_id AND d.ward_code = ANY($1::text[])))
       ORDER BY target_type, target_id`,
      [scopedWards()],
    );
    return r.rows.map((x) => ({
      targetType: x.target_type,
      targetId: x.target_id,
      calendarId: x.calendar_id,
      programId: x.program_id,
      assignedBy: x.assigned_by,
      assignedAt: iso(x.assigned_at),
    }));
  }

  async assign(a: { targetType: AssignTargetType; targetId: string; calendarId: string | null; programId: string | null; by: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO lighting_assignments (target_type, target_id, calendar_id, program_id, assigned_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (target_type, target_id) DO UPDATE SET calendar_id = EXCLUDED.calendar_id, program_id = EXCLUDED.program_id,
         assigned_by = EXCLUDED.assigned_by, assigned_at = now()`,
      [a.targetType, a.targetId, a.calendarId, a.programId, a.by],
    );
  }

  async unassign(targetType: string, targetId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM lighting_assignments WHERE target_type = $1 AND target_id = $2', [targetType, targetId])).rowCount > 0;
  }

  async zoneParents(): Promise<Map<string, string | null>> {
    const r = await this.db.query<{ id: string; parent_id: string | null }>('SELECT id, parent_id FROM zones');
    return new Map(r.rows.map((x) => [x.id, x.parent_id]));
  }

  /** Lights (devices of the given kinds), optionally only some, with memberships and latest state. */
  async lights(kinds: string[], ids: string[] | null): Promise<LightRecord[]> {
    const r = await this.db.query<{
      id: string;
      kind: string;
      lat: number | null;
      lon: number | null;
      asset: Record<string, unknown>;
      group_id: string | null;
      zone_ids: string[] | null;
      state: Record<string, unknown> | null;
      state_at: Date | null;
      online: boolean | null;
      ward_code: string;
    }>(
      `SELECT d.id, d.kind, d.lat, d.lon, d.asset, d.group_id, d.ward_code,
              (SELECT array_agg(z.zone_id) FROM device_zones z WHERE z.device_id = d.id) AS zone_ids,
              s.state, s.state_at, s.online
       FROM devices d LEFT JOIN device_state s ON s.device_id = d.id
       WHERE d.kind = ANY($1::text[]) AND ($2::text[] IS NULL OR d.id = ANY($2::text[])) AND ($3::text[] IS NULL OR d.ward_code = ANY($3::text[])) ORDER BY d.id`,
      [kinds, ids, scopedWards()],
    );
    return r.rows.map((x) => ({
      id: x.id,
      kind: x.kind,
      lat: x.lat,
      lon: x.lon,
      asset: x.asset,
      wardCode: x.ward_code,
      zoneIds: [...(x.group_id ? [x.group_id] : []), ...(x.zone_ids ?? [])],
      state: x.state ?? {},
      stateAt: x.state_at ? new Date(x.state_at) : null,
      online: x.online,
    }));
  }

  async setOverrides(deviceIds: string[], o: Omit<OverrideRecord, 'deviceId'>): Promise<void> {
    if (!deviceIds.length) return;
    await this.db.query(
      `INSERT INTO lighting_overrides (device_id, level, ramp_s, starts_at, expires_at, command_id, set_by)
       SELECT u, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7 FROM unnest($1::text[]) AS u
       ON CONFLICT (device_id) DO UPDATE SET level = EXCLUDED.level, ramp_s = EXCLUDED.ramp_s, starts_at = EXCLUDED.starts_at,
         expires_at = EXCLUDED.expires_at, command_id = EXCLUDED.command_id, set_by = EXCLUDED.set_by`,
      [deviceIds, o.level, o.rampS, o.startsAt.toISOString(), o.expiresAt.toISOString(), o.commandId, o.setBy],
    );
  }

  async clearOverrides(deviceIds: string[]): Promise<number> {
    if (!deviceIds.length) return 0;
    return (await this.db.query('DELETE FROM lighting_overrides WHERE device_id = ANY($1::text[])', [deviceIds])).rowCount;
  }

  async activeOverrides(now: Date): Promise<Map<string, OverrideRecord>> {
    const r = await this.db.query<{ device_id: string; level: number; ramp_s: number; starts_at: Date; expires_at: Date; command_id: string; set_by: string }>(
      'SELECT * FROM lighting_overrides WHERE expires_at > $1::timestamptz',
      [now.toISOString()],
    );
    return new Map(
      r.rows.map((x) => [
        x.device_id,
        {
          deviceId: x.device_id,
          level: x.level,
          rampS: x.ramp_s,
          startsAt: new Date(x.starts_at),
          expiresAt: new Date(x.expires_at),
          commandId: x.command_id,
          setBy: x.set_by,
        },
      ]),
    );
  }

  async pushedPrograms(): Promise<Map<string, { programId: string; hash: string; commandId: string; pushedAt: string }>> {
    const r = await this.db.query<{ device_id: string; program_id: string; program_hash: string; command_id: string; pushed_at: Date }>(
      'SELECT * FROM lighting_device_programs',
    );
    return new Map(r.rows.map((x) => [x.device_id, { programId: x.program_id, hash: x.program_hash, commandId: x.command_id, pushedAt: iso(x.pushed_at) }]));
  }

  async recordPush(deviceIds: string[], programId: string, hash: string, commandId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO lighting_device_programs (device_id, program_id, program_hash, command_id)
       SELECT u, $2, $3, $4 FROM unnest($1::text[]) AS u
       ON CONFLICT (device_id) DO UPDATE SET program_id = EXCLUDED.program_id, program_hash = EXCLUDED.program_hash,
         command_id = EXCLUDED.command_id, pushed_at = now()`,
      [deviceIds, programId, hash, commandId],
    );
  }

  /**
   * Counter increases per device and local day or month: energy (kWh) and burning hours (h). The reading just before
   * the window is each device's baseline; a value below the previous one is a counter reset, and then the new value
   * itself is the increase (as in TelemetryRepository.counterDeltas). Energy readings outside the declared range
   * (stored before ingest enforced it) are skipped.
   */
  async energy(ids: string[], m: { energy: string; hours: string }, from: Date, to: Date, unit: 'day' | 'month'): Promise<EnergyRow[]> {
    if (!ids.length) return [];
    const fmt = unit === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM';
    const tz = this.tz.replace(/'/g, '');
    const r = await this.db.query<{ device_id: string; bucket: string; used: number | null; hours: number | null }>(
      `WITH base AS (
         SELECT b.device_id, b.time, b.data FROM unnest($1::text[]) AS u(id)
         CROSS JOIN LATERAL (SELECT device_id, time, data FROM telemetry WHERE device_id = u.id AND time < $4::timestamptz AND data ? $2
                               AND (data->>$2)::float8 BETWEEN 0 AND $6::float8
                             ORDER BY time DESC LIMIT 1) b
       ), pts AS (
         SELECT device_id, time, data FROM telemetry WHERE device_id = ANY($1::text[]) AND time >= $4::timestamptz AND time < $5::timestamptz AND data ? $2
           AND (data->>$2)::float8 BETWEEN 0 AND $6::float8
         UNION ALL SELECT device_id, time, data FROM base
       ), steps AS (
         SELECT device_id, time, (data->>$2)::float8 AS e, (data->>$3)::float8 AS h,
                lag((data->>$2)::float8) OVER w AS pe, lag((data->>$3)::float8) OVER w AS ph
         FROM pts WINDOW w AS (PARTITION BY device_id ORDER BY time)
       )
       SELECT device_id, to_char(time AT TIME ZONE '${tz}', '${fmt}') AS bucket,
              sum(CASE WHEN pe IS NULL THEN 0 WHEN e >= pe THEN e - pe ELSE e END) AS used,
              sum(CASE WHEN ph IS NULL OR h IS NULL THEN 0 WHEN h >= ph THEN h - ph ELSE h END) AS hours
       FROM steps WHERE time >= $4::timestamptz GROUP BY 1, 2 ORDER BY 1, 2`,
      [ids, m.energy, m.hours, from.toISOString(), to.toISOString(), counterCeiling(m.energy)],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, bucket: x.bucket, usedKWh: x.used ?? 0, burningH: x.hours ?? 0 }));
  }
}
