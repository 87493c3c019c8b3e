import { defaultWard } from '../../auth/ward-scope.ts';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IdParams, IsoTime } from '../../api/routes/schemas.ts';
import { badRequest } from '../../common/errors.ts';
import { CommandId, TargetSchema } from '../commands/command.schemas.ts';
import type { Origin, Target } from '../commands/command.types.ts';
import type { LightingReports } from './lighting-report.service.ts';
import type { LightingService } from './lighting.service.ts';
import { Items, NoContent, replies } from '../../api/schemas/common.ts';
import {
  Assigned,
  Assignment,
  Drift,
  Energy,
  LightingCalendar,
  LightingCommands,
  LightingPush,
  Program,
  SavedCalendar,
  SavedProgram,
  Site,
} from '../../api/schemas/control.ts';

const Step = Type.Object(
  {
    at: Type.Union([
      Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'fixed local time HH:MM' }),
      Type.Literal('sunset'),
      Type.Literal('sunrise'),
    ]),
    offsetMin: Type.Optional(Type.Integer({ minimum: -180, maximum: 180 })),
    level: Type.Integer({ minimum: 0, maximum: 100 }),
    rampS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  },
  { additionalProperties: false },
);
const Rule = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 128 })),
    from: Type.String({ pattern: '^(\\d{4}-)?\\d{2}-\\d{2}$' }),
    to: Type.String({ pattern: '^(\\d{4}-)?\\d{2}-\\d{2}$' }),
    weekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true })),
    programId: Id,
  },
  { additionalProperties: false },
);
const Scope = Type.Object(
  { device: Type.Optional(Id), zone: Type.Optional(Id), ward: Type.Optional(Type.String({ pattern: '^\\d{5}$' })) },
  { additionalProperties: false },
);

function scopeTarget(q: { device?: string; zone?: string; ward?: string }): Target | null {
  const given = [q.device, q.zone, q.ward].filter((x) => x !== undefined).length;
  if (given > 1) throw badRequest('ONE_SCOPE', 'give at most one of device, zone, ward');
  if (q.device) return { type: 'device', id: q.device };
  if (q.zone) return { type: 'zone', id: q.zone };
  if (q.ward) return { type: 'ward', code: q.ward };
  return null;
}

const OverrideList = Type.Object({
  items: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      level: Type.Integer(),
      rampS: Type.Integer(),
      startsAt: IsoTime,
      expiresAt: IsoTime,
      commandId: Type.String(),
      setBy: Type.String(),
    }),
  ),
});
const SunList = Type.Object({
  site: Type.Object({ lat: Type.Number(), lon: Type.Number(), tz: Type.String() }),
  days: Type.Array(Type.Object({ date: Type.String(), sunrise: Type.Union([IsoTime, Type.Null()]), sunset: Type.Union([IsoTime, Type.Null()]) })),
});

const origin = (req: FastifyRequest): Origin => ({ actor: req.principal?.actor ?? 'anonymous', role: req.principal?.role ?? null, origin: 'lighting' });

export const lightingRoutes =
  (lighting: LightingService, reports: LightingReports, wardCode: string): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['lighting'];

    app.get('/lighting/site', { config: { role: 'viewer' }, schema: { tags, response: replies({ 200: Site }) } }, async () => lighting.site());
    app.put(
      '/lighting/site',
      {
        config: { role: 'admin', action: 'lighting.site' },
        schema: {
          tags,
          body: Type.Object(
            { lat: Type.Number({ minimum: -66, maximum: 66 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
            { additionalProperties: false },
          ),
          response: replies({ 200: Site }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'lighting-site', id: 'ward', details: req.body };
        return lighting.setSite(req.body.lat, req.body.lon);
      },
    );

    app.get('/lighting/programs', { config: { role: 'viewer' }, schema: { tags, response: replies({ 200: Items(Program) }) } }, async () => ({
      items: await lighting.programs(),
    }));
    app.put(
      '/lighting/programs/:id',
      {
        config: { role: 'operator', action: 'lighting.program.save' },
        schema: {
          tags,
          params: IdParams,
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 128 }), steps: Type.Array(Step, { minItems: 1, maxItems: 24 }) },
            { additionalProperties: false },
          ),
          response: replies({ 200: SavedProgram, 201: SavedProgram }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'lighting-program', id: req.params.id, details: { steps: req.body.steps.length } };
        const r = await lighting.saveProgram({ id: req.params.id, ...req.body });
        const pushed = await lighting.push({}, origin(req));
        return reply.status(r.created ? 201 : 200).send({ ...r.program, pushed: { commands: pushed.commands.map((c) => c.id), lights: pushed.lights } });
      },
    );
    app.delete(
      '/lighting/programs/:id',
      { config: { role: 'operator', action: 'lighting.program.delete' }, schema: { tags, params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'lighting-program', id: req.params.id };
        await lighting.deleteProgram(req.params.id);
        return reply.status(204).send();
      },
    );

    app.get('/lighting/calendars', { config: { role: 'viewer' }, schema: { tags, response: replies({ 200: Items(LightingCalendar) }) } }, async () => ({
      items: await lighting.calendars(),
    }));
    app.put(
      '/lighting/calendars/:id',
      {
        config: { role: 'operator', action: 'lighting.calendar.save' },
        schema: {
          tags,
          params: IdParams,
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 128 }), defaultProgramId: Id, rules: Type.Array(Rule, { maxItems: 200 }) },
            { additionalProperties: false },
          ),
          response: replies({ 200: SavedCalendar, 201: SavedCalendar }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'lighting-calendar', id: req.params.id, details: { rules: req.body.rules.length } };
        const r = await lighting.saveCalendar({ id: req.params.id, ...req.body });
        const pushed = await lighting.push({}, origin(req));
        return reply.status(r.created ? 201 : 200).send({ ...r.calendar, pushed: { commands: pushed.commands.map((c) => c.id), lights: pushed.lights } });
      },
    );
    app.delete(
      '/lighting/calendars/:id',
      { config: { role: 'operator', action: 'lighting.calendar.delete' }, schema: { tags, params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'lighting-calendar', id: req.params.id };
        await lighting.deleteCalendar(req.params.id);
        return reply.status(204).send();
      },
    );

    app.get('/lighting/assignments', { config: { role: 'viewer' }, schema: { tags, response: replies({ 200: Items(Assignment) }) } }, async () => ({
      items: await lighting.assignments(),
    }));
    const AssignTarget = Type.Union([Type.Literal('zone'), Type.Literal('device'), Type.Literal('ward')], {
      description: "'ward' (id = the ward code): the default for lights without a device or zone assignment",
    });
    app.put(
      '/lighting/assignments',
      {
        config: { role: 'operator', action: 'lighting.assign' },
        schema: {
          tags,
          body: Type.Object(
            {
              targetType: AssignTarget,
              targetId: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
              calendarId: Type.Optional(Id),
              programId: Type.Optional(Id),
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: Assigned }),
        },
      },
      async (req) => {
        req.auditTarget = { type: req.body.targetType, id: req.body.targetId, details: { calendarId: req.body.calendarId, programId: req.body.programId } };
        await lighting.assign(req.body, req.principal?.actor ?? 'anonymous');
        const pushed = await lighting.push({}, origin(req));
        return { assigned: req.body, pushed: { commands: pushed.commands.map((c) => c.id), lights: pushed.lights, unassigned: pushed.unassigned } };
      },
    );
    app.delete(
      '/lighting/assignments/:targetType/:targetId',
      {
        config: { role: 'operator', action: 'lighting.unassign' },
        schema: {
          tags,
          params: Type.Object({ targetType: AssignTarget, targetId: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }) }),
          response: replies({ 204: NoContent }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: req.params.targetType, id: req.params.targetId };
        await lighting.unassign(req.params.targetType, req.params.targetId);
        return reply.status(204).send();
      },
    );

    app.get(
      '/lighting/overrides',
      {
        config: { role: 'viewer' },
        schema: { tags, description: 'Manual overrides in force now, one row per light, soonest end first.', response: replies({ 200: OverrideList }) },
      },
      async () => ({
        items: (await lighting.activeOverrides()).map((o) => ({
          deviceId: o.deviceId,
          level: o.level,
          rampS: o.rampS,
          startsAt: o.startsAt.toISOString(),
          expiresAt: o.expiresAt.toISOString(),
          commandId: o.commandId,
          setBy: o.setBy,
        })),
      }),
    );
    app.get(
      '/lighting/sun',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          description: "Sunrise and sunset at the ward's lighting site, from today (the times programs' sun steps follow).",
          querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 })) }, { additionalProperties: false }),
          response: replies({ 200: SunList }),
        },
      },
      async (req) => lighting.sunTimes(req.query.days ?? 7),
    );

    app.post(
      '/lighting/override',
      {
        config: { role: 'operator', action: 'lighting.override' },
        schema: {
          tags,
          description: 'On (100), off (0) or dim, until expiresAt or for durationS (one of them is required, at most 24 h); then the program resumes.',
          body: Type.Object(
            {
              id: Type.Optional(CommandId),
              target: TargetSchema,
              level: Type.Integer({ minimum: 0, maximum: 100 }),
              rampS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
              expiresAt: Type.Optional(IsoTime),
              durationS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
            },
            { additionalProperties: false },
          ),
          response: replies({ 201: LightingCommands }),
        },
      },
      async (req, reply) => {
        req.auditTarget = {
          type: 'lighting',
          id: JSON.stringify(req.body.target).slice(0, 120),
          details: { level: req.body.level, expiresAt: req.body.expiresAt, durationS: req.body.durationS },
        };
        const r = await lighting.override(req.body, origin(req));
        return reply.status(201).send(r);
      },
    );
    app.post(
      '/lighting/resume',
      {
        config: { role: 'operator', action: 'lighting.resume' },
        schema: { tags, body: Type.Object({ target: TargetSchema }, { additionalProperties: false }), response: replies({ 201: LightingCommands }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'lighting', id: JSON.stringify(req.body.target).slice(0, 120) };
        return reply.status(201).send(await lighting.resume(req.body, origin(req)));
      },
    );
    app.post(
      '/lighting/push',
      {
        config: { role: 'operator', action: 'lighting.push' },
        schema: {
          tags,
          body: Type.Object(
            { deviceIds: Type.Optional(Type.Array(Id, { maxItems: 50_000 })), force: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: replies({ 200: LightingPush }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'lighting', id: 'programs', details: { force: req.body.force ?? false } };
        return lighting.push(req.body, origin(req));
      },
    );

    app.get(
      '/lighting/drift',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ ...Scope.properties, problems: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: replies({ 200: Drift }),
        },
      },
      async (req) => reports.drift(scopeTarget(req.query), req.query.problems ?? false),
    );
    app.get(
      '/lighting/energy',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          description: 'kWh used and saved against full rated power; no scope = the whole ward',
          querystring: Type.Object(
            { ...Scope.properties, from: IsoTime, to: IsoTime, bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')])) },
            { additionalProperties: false },
          ),
          response: replies({ 200: Energy }),
        },
      },
      async (req) => {
        const from = new Date(req.query.from);
        const to = new Date(req.query.to);
        if (!(from < to)) throw badRequest('BAD_PERIOD', "'from' must be before 'to'");
        if (to.getTime() - from.getTime() > 400 * 86_400_000) throw badRequest('BAD_PERIOD', 'at most 400 days at once');
        const target = scopeTarget(req.query) ?? { type: 'ward', code: defaultWard(wardCode) };
        return reports.energy(target, from, to, req.query.bucket ?? 'day');
      },
    );
  };
