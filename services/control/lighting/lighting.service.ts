import { requireWard } from '../../auth/ward-scope.ts';
/**
 * Streetlight control: manual overrides (always with an end), lighting programs and calendars assigned to zones or
 * lights, pushing each light the program of the current lighting day, and drift between what a light should be at
 * and what it reports. Which kinds are lights, and which commands and metrics they use, comes from the kinds'
 * `capabilities.lighting` (devices/): nothing here names a kind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { LightingCapability } from '../../../devices/index.ts';
import { badRequest, conflict, notFound } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { CommandService } from '../commands/command.service.ts';
import type { CommandView, Origin, Target } from '../commands/command.types.ts';
import { addDays, dateKey, toWall } from '../../common/zoned-time.ts';
import { sunTimes } from './solar.ts';
import { checkRules, lightingDay, programFor, type CalendarRule } from './calendar.ts';
import type {
  AssignmentRecord,
  AssignTargetType,
  CalendarRecord,
  LightingRepository,
  LightRecord,
  OverrideRecord,
  ProgramRecord,
} from './lighting.repository.ts';
import { checkProgram, type ProgramStep, type Site } from './program.ts';

export interface LightingOptions {
  repo: LightingRepository;
  commands: CommandService;
  log: Logger;
  tz: string;
  /** Where sun times are computed when the operator has not set the ward's site (lat, lon). */
  defaultSite: { lat: number; lon: number };
  /** The ward's code (mã ĐVHC): a 'ward' assignment with this id is every light's last fallback. */
  wardCode?: string;
  /** Whether a ward exists (province tenancy: several wards, each with its own ward-wide program); absent: only wardCode. */
  wardExists?: (code: string) => Promise<boolean>;
  clock?: () => number;
}

export interface Effective {
  programId: string | null;
  calendarId: string | null;
  /** 'device', 'zone:<id>', 'ward' or null when nothing is assigned. */
  assignedVia: string | null;
}

/** Drift tolerance in level points: dimming drivers settle within a few percent of their target. */
export const DRIFT_TOLERANCE = 5;
const SITE_KEY = 'lighting.site';
/** A pushed program is kept for a day: the next daily push replaces it. */
const PUSH_TTL_S = 86_400;

export const lightingKinds = (): { kind: string; cap: LightingCapability }[] =>
  DEVICE_KINDS.flatMap((k) => (k.capabilities?.lighting ? [{ kind: k.name, cap: k.capabilities.lighting }] : []));

function capOf(kind: string): LightingCapability {
  const c = lightingKinds().find((k) => k.kind === kind)?.cap;
  if (!c) throw new Error(`kind '${kind}' has no lighting capability`);
  return c;
}

export class LightingService {
  private readonly o: LightingOptions;
  private readonly clock: () => number;

  constructor(o: LightingOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  async site(): Promise<Site> {
    const s = await this.o.repo.getSetting<{ lat: number; lon: number }>(SITE_KEY);
    return { ...(s ?? this.o.defaultSite), tz: this.o.tz };
  }

  async setSite(lat: number, lon: number): Promise<Site> {
    await this.o.repo.putSetting(SITE_KEY, { lat, lon });
    return this.site();
  }

  // ── Programs, calendars, assignments ────────────────────────────────────────────────────────────────────────────

  programs(): Promise<ProgramRecord[]> {
    return this.o.repo.programs();
  }

  async saveProgram(p: { id: string; name: string; steps: ProgramStep[] }): Promise<{ program: ProgramRecord; created: boolean }> {
    const problem = checkProgram(p.steps, await this.site());
    if (problem) throw badRequest(problem.code, problem.message, problem.details);
    const created = await this.o.repo.saveProgram(p);
    return { program: (await this.o.repo.program(p.id)) as ProgramRecord, created };
  }

  async deleteProgram(id: string): Promise<void> {
    const users = await this.o.repo.programInUse(id);
    if (users.length) throw conflict('PROGRAM_IN_USE', `program '${id}' is used by ${users.slice(0, 5).join(', ')}`);
    if (!(await this.o.repo.deleteProgram(id))) throw notFound('Program', id);
  }

  calendars(): Promise<CalendarRecord[]> {
    return this.o.repo.calendars();
  }

  async saveCalendar(c: {
    id: string;
    name: string;
    defaultProgramId: string;
    rules: CalendarRule[];
  }): Promise<{ calendar: CalendarRecord; created: boolean }> {
    const problem = checkRules(c.rules);
    if (problem) throw badRequest('BAD_CALENDAR_RULE', problem.message, { rule: problem.index });
    const known = new Set((await this.o.repo.programs()).map((p) => p.id));
    const missing = [c.defaultProgramId, ...c.rules.map((r) => r.programId)].filter((id) => !known.has(id));
    if (missing.length) throw badRequest('UNKNOWN_PROGRAM', `program(s) ${[...new Set(missing)].join(', ')} do not exist`);
    const created = await this.o.repo.saveCalendar(c);
    return { calendar: (await this.o.repo.calendars()).find((x) => x.id === c.id) as CalendarRecord, created };
  }

  async deleteCalendar(id: string): Promise<void> {
    if (!(await this.o.repo.deleteCalendar(id))) throw notFound('Calendar', id);
  }

  assignments(): Promise<AssignmentRecord[]> {
    return this.o.repo.assignments();
  }

  async assign(a: { targetType: AssignTargetType; targetId: string; calendarId?: string; programId?: string }, by: string): Promise<void> {
    if ((a.calendarId === undefined) === (a.programId === undefined)) throw badRequest('ASSIGN_ONE', 'assign either a calendarId or a programId');
    await this.checkTarget(a.targetType, a.targetId);
    const target: Target =
      a.targetType === 'zone'
        ? { type: 'zone', id: a.targetId }
        : a.targetType === 'ward'
          ? { type: 'ward', code: a.targetId }
          : { type: 'device', id: a.targetId };
    const lights = a.targetType === 'ward' ? [] : await this.lightsIn(target);
    if (a.targetType === 'device' && lights.length === 0) throw badRequest('NOT_A_LIGHT', `device '${a.targetId}' is not a dimmable light`);
    if (a.calendarId !== undefined && !(await this.o.repo.calendars()).some((c) => c.id === a.calendarId))
      throw badRequest('UNKNOWN_CALENDAR', `calendar '${a.calendarId}' does not exist`);
    if (a.programId !== undefined && !(await this.o.repo.program(a.programId))) throw badRequest('UNKNOWN_PROGRAM', `program '${a.programId}' does not exist`);
    await this.o.repo.assign({ targetType: a.targetType, targetId: a.targetId, calendarId: a.calendarId ?? null, programId: a.programId ?? null, by });
  }

  /** A ward target must be a ward of the deployment in the caller's scope; zones and devices are checked by lightsIn. */
  private async checkTarget(type: AssignTargetType, id: string): Promise<void> {
    if (type !== 'ward') return;
    requireWard(id);
    const known = this.o.wardExists ? await this.o.wardExists(id) : id === this.o.wardCode;
    if (!known) throw badRequest('UNKNOWN_WARD', `ward '${id}' is not a ward of this deployment`);
  }

  async unassign(targetType: AssignTargetType, targetId: string): Promise<void> {
    if (targetType === 'ward') await this.checkTarget(targetType, targetId);
    else await this.lightsIn(targetType === 'zone' ? { type: 'zone', id: targetId } : { type: 'device', id: targetId });
    if (!(await this.o.repo.unassign(targetType, targetId))) throw notFound('Assignment', `${targetType}:${targetId}`);
  }

  /** Light devices in a target (ids + kind), refusing unknown zones/devices like commands do. */
  async lightsIn(target: Target): Promise<{ id: string; kind: string }[]> {
    const kinds = new Set(lightingKinds().map((k) => k.kind));
    return (await this.o.commands.resolve({ target })).filter((d) => kinds.has(d.kind));
  }

  // ── Effective programs ──────────────────────────────────────────────────────────────────────────────────────────

  /** For each light: its own assignment, else the nearest zone's (direct zones first, then parents; latest wins). */
  async effective(lights: LightRecord[], at: number): Promise<Map<string, Effective>> {
    const [assignments, parents, calendars] = await Promise.all([this.o.repo.assignments(), this.o.repo.zoneParents(), this.o.repo.calendars()]);
    const byKey = new Map(assignments.map((a) => [`${a.targetType}:${a.targetId}`, a]));
    const cal = new Map(calendars.map((c) => [c.id, c]));
    const day = lightingDay(at, this.o.tz);
    const out = new Map<string, Effective>();
    for (const l of lights) {
      const found = this.assignmentOf(l, byKey, parents);
      if (!found) {
        out.set(l.id, { programId: null, calendarId: null, assignedVia: null });
        continue;
      }
      const { a, via } = found;
      const c = a.calendarId ? cal.get(a.calendarId) : undefined;
      const programId = a.programId ?? (c ? programFor({ defaultProgramId: c.defaultProgramId, rules: c.rules }, day).programId : null);
      out.set(l.id, { programId, calendarId: a.calendarId, assignedVia: via });
    }
    return out;
  }

  private assignmentOf(l: LightRecord, byKey: Map<string, AssignmentRecord>, parents: Map<string, string | null>): { a: AssignmentRecord; via: string } | null {
    const own = byKey.get(`device:${l.id}`);
    if (own) return { a: own, via: 'device' };
    let level = [...new Set(l.zoneIds)];
    const seen = new Set<string>();
    for (let depth = 0; level.length && depth < 16; depth++) {
      const hits = level.map((z) => byKey.get(`zone:${z}`)).filter((x): x is AssignmentRecord => x !== undefined);
      if (hits.length) {
        const a = hits.sort((x, y) => y.assignedAt.localeCompare(x.assignedAt))[0] as AssignmentRecord;
        return { a, via: `zone:${a.targetId}` };
      }
      for (const z of level) seen.add(z);
      level = level.map((z) => parents.get(z) ?? null).filter((z): z is string => z !== null && !seen.has(z));
    }
    const ward = byKey.get(`ward:${l.wardCode}`);
    return ward ? { a: ward, via: 'ward' } : null;
  }

  /** Overrides in force now, with the light's kind-independent record (level, end, who set it, the command). */
  async activeOverrides(): Promise<OverrideRecord[]> {
    return [...(await this.o.repo.activeOverrides(new Date(this.clock()))).values()].sort(
      (a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.deviceId.localeCompare(b.deviceId),
    );
  }

  /** Sunrise and sunset at the ward's site for `days` local days from today (what programs' sun steps follow). */
  async sunTimes(days: number): Promise<{ site: Site; days: { date: string; sunrise: string | null; sunset: string | null }[] }> {
    const site = await this.site();
    const today = toWall(this.clock(), this.o.tz);
    const out = [];
    for (let i = 0; i < days; i++) {
      const d = addDays({ y: today.y, m: today.m, d: today.d }, i);
      const s = sunTimes(d, site.lat, site.lon);
      out.push({
        date: dateKey(d),
        sunrise: s.sunrise === null ? null : new Date(s.sunrise).toISOString(),
        sunset: s.sunset === null ? null : new Date(s.sunset).toISOString(),
      });
    }
    return { site, days: out };
  }

  // ── Commands to lights ──────────────────────────────────────────────────────────────────────────────────────────

  /** On/off/dim with an end: level 0 is off, 100 full. The node returns to its program at expiresAt. */
  async override(
    req: { target: Target; level: number; rampS?: number; expiresAt?: string; durationS?: number; id?: string },
    origin: Origin,
  ): Promise<{ commands: CommandView[]; lights: number }> {
    const now = this.clock();
    if (req.expiresAt !== undefined && req.durationS !== undefined) throw badRequest('EXPIRY_TWICE', 'give either expiresAt or durationS, not both');
    const expiresAt = req.expiresAt ?? (req.durationS !== undefined ? new Date(now + req.durationS * 1000).toISOString() : undefined);
    const groups = await this.byKind(req.target);
    const out: CommandView[] = [];
    for (const [kind, ids] of groups) {
      const cap = capOf(kind);
      const params: Record<string, unknown> = {
        level: req.level,
        reason: 'override',
        ...(req.rampS !== undefined ? { rampS: req.rampS } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      };
      const id = req.id && groups.size > 1 ? `${req.id}:${kind}` : req.id;
      const r = await this.o.commands.send(
        { id, name: cap.setLevelCommand, params, target: req.target, kind, maxAttempts: 3 },
        origin,
        ids.map((d) => ({ id: d, kind })),
      );
      if (r.created && expiresAt !== undefined) {
        await this.o.repo.setOverrides(ids, {
          level: req.level,
          rampS: req.rampS ?? 0,
          startsAt: new Date(now),
          expiresAt: new Date(expiresAt),
          commandId: r.command.id,
          setBy: origin.actor,
        });
      }
      out.push(r.command);
    }
    return { commands: out, lights: [...groups.values()].reduce((n, ids) => n + ids.length, 0) };
  }

  /** Ends overrides now: the lights go back to their programs. */
  async resume(req: { target: Target }, origin: Origin): Promise<{ commands: CommandView[]; lights: number }> {
    const groups = await this.byKind(req.target);
    const out: CommandView[] = [];
    for (const [kind, ids] of groups) {
      const r = await this.o.commands.send({ name: capOf(kind).clearOverrideCommand, params: {}, target: req.target, kind }, origin);
      await this.o.repo.clearOverrides(ids);
      out.push(r.command);
    }
    return { commands: out, lights: [...groups.values()].reduce((n, ids) => n + ids.length, 0) };
  }

  private async byKind(target: Target): Promise<Map<string, string[]>> {
    const lights = await this.lightsIn(target);
    if (!lights.length) throw badRequest('NO_LIGHTS', 'the target holds no dimmable lights');
    const groups = new Map<string, string[]>();
    for (const l of lights) groups.set(l.kind, [...(groups.get(l.kind) ?? []), l.id]);
    return groups;
  }

  /**
   * Sends each light the program of the current lighting day, where it differs from what it was sent last (or all,
   * with force). One setProgram command per (kind, program); lights that are offline get it when they reconnect.
   */
  async push(
    opts: { deviceIds?: string[]; force?: boolean; idPrefix?: string },
    origin: Origin,
  ): Promise<{ commands: CommandView[]; lights: number; unassigned: number }> {
    const now = this.clock();
    const lights = await this.o.repo.lights(
      lightingKinds().map((k) => k.kind),
      opts.deviceIds ?? null,
    );
    const [eff, programs, pushed, site] = await Promise.all([this.effective(lights, now), this.o.repo.programs(), this.o.repo.pushedPrograms(), this.site()]);
    const progById = new Map(programs.map((p) => [p.id, p]));
    const groups = new Map<string, { kind: string; program: ProgramRecord; hash: string; ids: string[] }>();
    let unassigned = 0;
    for (const l of lights) {
      const p = eff.get(l.id)?.programId ? progById.get(eff.get(l.id)?.programId ?? '') : undefined;
      if (!p) {
        unassigned++;
        continue;
      }
      const hash = createHash('sha256')
        .update(JSON.stringify({ id: p.id, steps: p.steps, lat: site.lat, lon: site.lon }))
        .digest('hex');
      if (!opts.force && pushed.get(l.id)?.hash === hash) continue;
      const key = `${l.kind}\u0000${hash}`;
      const g = groups.get(key) ?? { kind: l.kind, program: p, hash, ids: [] };
      g.ids.push(l.id);
      groups.set(key, g);
    }
    const out: CommandView[] = [];
    const day = dateKey(lightingDay(now, this.o.tz));
    for (const g of groups.values()) {
      const id = `${opts.idPrefix ?? `lp-${day}-${randomBytes(4).toString('hex')}`}:${g.kind}:${g.hash.slice(0, 12)}`;
      const params = { programId: g.program.id.slice(0, 64), steps: g.program.steps, lat: site.lat, lon: site.lon };
      const r = await this.o.commands.send(
        { id, name: capOf(g.kind).setProgramCommand, params, target: { type: 'devices', ids: g.ids }, kind: g.kind, ttlS: PUSH_TTL_S, maxAttempts: 5 },
        origin,
      );
      await this.o.repo.recordPush(g.ids, g.program.id, g.hash, r.command.id);
      out.push(r.command);
    }
    if (out.length)
      this.o.log.info({ commands: out.length, lights: [...groups.values()].reduce((n, g) => n + g.ids.length, 0), day }, 'lighting programs pushed');
    return { commands: out, lights: lights.length, unassigned };
  }
}
