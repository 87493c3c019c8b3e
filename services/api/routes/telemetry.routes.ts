import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../common/errors.ts';
import { BUCKETS } from '../../telemetry/telemetry.service.ts';
import type { ApiDeps } from '../context.ts';
import { Id, IdParams, IsoTime, Paging } from './schemas.ts';

const Window = { from: Type.Optional(IsoTime), to: Type.Optional(IsoTime) };

function window(q: { from?: string; to?: string }, defaultHours: number): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultHours * 3600_000);
  if (!(from < to)) throw badRequest('BAD_WINDOW', `'from' must be before 'to'`);
  return { from, to };
}

export const telemetryRoutes = (deps: ApiDeps): FastifyPluginAsync => async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/state',
    { config: { role: 'viewer' }, schema: { tags: ['telemetry'], querystring: Type.Object({ kind: Type.Optional(Type.String()), zone: Type.Optional(Id), group: Type.Optional(Id), ...Paging }, { additionalProperties: false }) } },
    async (req) => ({ items: await deps.reads.states({ kind: req.query.kind, zoneId: req.query.zone, groupId: req.query.group, limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 }) }),
  );

  app.get('/devices/:id/state', { config: { role: 'viewer' }, schema: { tags: ['telemetry'], params: IdParams } }, async (req) => {
    await deps.devices.get(req.params.id);
    const [s] = await deps.reads.states({ deviceId: req.params.id, limit: 1, offset: 0 });
    return s;
  });

  app.get(
    '/devices/:id/series',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['telemetry'],
        params: IdParams,
        querystring: Type.Object(
          {
            metric: Type.String({ maxLength: 64 }),
            ...Window,
            bucket: Type.Optional(Type.Union(Object.keys(BUCKETS).map((b) => Type.Literal(b)))),
            agg: Type.Optional(Type.Union([Type.Literal('avg'), Type.Literal('min'), Type.Literal('max'), Type.Literal('last'), Type.Literal('delta')])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const { from, to } = window(req.query, 24);
      return deps.telemetry.series({ deviceId: req.params.id, metric: req.query.metric, from, to, bucket: req.query.bucket ?? '1h', agg: req.query.agg });
    },
  );

  app.get('/devices/:id/events', { config: { role: 'viewer' }, schema: { tags: ['telemetry'], params: IdParams, querystring: Type.Object({ ...Window, limit: Paging.limit }, { additionalProperties: false }) } }, async (req) => {
    await deps.devices.get(req.params.id);
    const { from, to } = window(req.query, 24 * 30);
    return { items: await deps.reads.events(req.params.id, from, to, req.query.limit ?? 100) };
  });

  app.get('/devices/:id/status-history', { config: { role: 'viewer' }, schema: { tags: ['telemetry'], params: IdParams, querystring: Type.Object({ ...Window, limit: Paging.limit }, { additionalProperties: false }) } }, async (req) => {
    await deps.devices.get(req.params.id);
    const { from, to } = window(req.query, 24 * 30);
    return { items: await deps.reads.statusHistory(req.params.id, from, to, req.query.limit ?? 100) };
  });

  app.get('/dead-letters', { config: { role: 'operator' }, schema: { tags: ['telemetry'], querystring: Type.Object({ device: Type.Optional(Id), reason: Type.Optional(Type.String()), limit: Paging.limit }, { additionalProperties: false }) } }, async (req) => ({
    items: await deps.reads.deadLetters({ deviceId: req.query.device, reasonCode: req.query.reason, limit: req.query.limit ?? 100 }),
  }));

  app.get('/audit', { config: { role: 'admin' }, schema: { tags: ['audit'], querystring: Type.Object({ actor: Type.Optional(Type.String()), action: Type.Optional(Type.String()), target: Type.Optional(Type.String()), since: Type.Optional(IsoTime), limit: Paging.limit }, { additionalProperties: false }) } }, async (req) => ({
    items: await deps.audit.list({ actor: req.query.actor, action: req.query.action, targetId: req.query.target, since: req.query.since, limit: req.query.limit ?? 100 }),
  }));
};
