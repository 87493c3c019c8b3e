/**
 * Scheduled commands: any command (an AP reboot every Monday 03:00, a zone dim on festival nights) fired by the
 * scheduler at each occurrence of a rule. Each firing is one command whose id derives from the occurrence, so a
 * repeated firing can only ever return the first command.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import { Id, IdParams, IsoTime, Paging } from '../../api/routes/schemas.ts';
import { badRequest, notFound } from '../../common/errors.ts';
import { openScope, scopedWards } from '../../auth/ward-scope.ts';
import type { CommandService } from '../commands/command.service.ts';
import { TargetSchema } from '../commands/command.schemas.ts';
import type { SendRequest } from '../commands/command.types.ts';
import type { JobRun, Scheduler } from './scheduler.service.ts';
import { Items, NoContent, replies } from '../../api/schemas/common.ts';
import { Schedule, ScheduleWithRuns } from '../../api/schemas/control.ts';

export const SCHEDULED_COMMAND_JOB = 'command.send';

interface Payload {
  command: Omit<SendRequest, 'id' | 'expiresAt'>;
  /** For commands that must end by themselves (overrides): each firing holds this long. */
  holdS?: number;
  /**
   * Province tenancy: the wards the command reached when it was scheduled (who sees the schedule), and for a creator
   * limited to some wards, those wards: every firing runs in that scope, so a kind- or tag-wide schedule of a ward
   * operator never reaches another ward's devices.
   */
  wards?: string[];
  scope?: string[];
}

function withHold(cmd: Payload['command'], holdS: number | undefined, param: string | null, at: number): Payload['command'] {
  if (!param || holdS === undefined) return cmd;
  return { ...cmd, params: { ...cmd.params, [param]: new Date(at + holdS * 1000).toISOString() } };
}

export function registerScheduledCommands(scheduler: Scheduler, commands: CommandService): void {
  scheduler.register(SCHEDULED_COMMAND_JOB, (run: JobRun) => {
    const p = run.payload as unknown as Payload;
    if (!p.scope) return fire(run, p);
    const scope = openScope({ all: false, wards: p.scope });
    return new Promise<Record<string, unknown>>((resolve, reject) => scope.run(() => void fire(run, p).then(resolve, reject))).finally(() => scope.end());
  });

  async function fire(run: JobRun, p: Payload): Promise<Record<string, unknown>> {
    const kinds = (await commands.resolve(p.command)).map((d) => d.kind);
    const cmd = withHold(p.command, p.holdS, commands.expiryParam(p.command.name, [...new Set(kinds)]), Date.now());
    const id = `sch:${run.scheduleId}:${Math.floor(run.occurrenceAt.getTime() / 1000)}`;
    const r = await commands.send({ ...cmd, id }, { actor: `scheduler:${run.scheduleId}`, role: null, origin: 'scheduler' });
    return { commandId: r.command.id, devices: r.command.deviceCount, replay: !r.created };
  }
}

const Body = Type.Object(
  {
    id: Type.Optional(Id),
    command: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 64 }),
        params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        target: TargetSchema,
        kind: Type.Optional(Type.String({ maxLength: 64 })),
        ttlS: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400 })),
        maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
      },
      { additionalProperties: false },
    ),
    holdS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'for overrides: each firing ends this long after it' })),
    startAt: IsoTime,
    rrule: Type.Optional(Type.String({ maxLength: 512, description: 'RFC 5545 subset, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=3;BYMINUTE=0' })),
    catchUpS: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400 })),
  },
  { additionalProperties: false },
);

export const scheduleRoutes =
  (scheduler: Scheduler, commands: CommandService): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['schedules'];

    app.post(
      '/schedules',
      { config: { role: 'operator', action: 'schedule.create' }, schema: { tags, body: Body, response: replies({ 201: Schedule }) } },
      async (req, reply) => {
        const b = req.body;
        const id = b.id ?? `sc-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
        req.auditTarget = { type: 'schedule', id, details: { command: b.command.name, target: b.command.target, rrule: b.rrule } };
        const start = Date.parse(b.startAt);
        if (!b.rrule && start < Date.now() - 60_000) throw badRequest('START_IN_PAST', 'a one-off schedule must start in the future');
        scheduler.parseRule(b.rrule);
        const command = { ...b.command, params: b.command.params ?? {} };
        const resolved = await commands.resolve(command);
        const kinds = [...new Set(resolved.map((d) => d.kind))];
        await commands.check(withHold(command, b.holdS, commands.expiryParam(command.name, kinds), Date.now()));
        const scope = scopedWards();
        const wards = [...new Set(resolved.flatMap((d) => (d.wardCode ? [d.wardCode] : [])))].sort();
        const payload: Payload = { command, ...(b.holdS !== undefined ? { holdS: b.holdS } : {}), wards, ...(scope ? { scope: [...scope] } : {}) };
        const s = await scheduler.schedule({
          id,
          job: SCHEDULED_COMMAND_JOB,
          dtstart: new Date(start),
          rrule: b.rrule ?? null,
          catchUpS: b.catchUpS,
          payload: payload as unknown as Record<string, unknown>,
        });
        return reply.status(201).send(s);
      },
    );

    app.get(
      '/schedules',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ job: Type.Optional(Type.String()), ...Paging }, { additionalProperties: false }),
          response: replies({ 200: Items(Schedule) }),
        },
      },
      async (req) => ({
        items: await scheduler.list({ job: req.query.job, limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 }),
      }),
    );

    app.get('/schedules/:id', { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: replies({ 200: ScheduleWithRuns }) } }, async (req) => {
      const s = await scheduler.get(req.params.id);
      if (!s) throw notFound('Schedule', req.params.id);
      return { ...s, runs: await scheduler.runs({ scheduleId: s.id, limit: 100 }) };
    });

    app.delete(
      '/schedules/:id',
      { config: { role: 'operator', action: 'schedule.cancel' }, schema: { tags, params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'schedule', id: req.params.id };
        if (!(await scheduler.cancel(req.params.id))) throw notFound('Schedule', req.params.id);
        return reply.status(204).send();
      },
    );
  };
