import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../common/errors.ts';
import { BUCKETS } from '../../telemetry/telemetry.service.ts';
import type { ApiDeps } from '../context.ts';
import { Id, IdParams, IsoTime, Paging } from './schemas.ts';
import { Items, json, replies } from '../schemas/common.ts';
import { AuditRecord, DeadLetter, DeviceEvent, DeviceState, Fleet, Series, StatusChange } from '../schemas/core.ts';

const Window = { from: Type.Optional(IsoTime), to: Type.Optional(IsoTime) };
const gzipAsync = promisify(gzip);
/** Column order of `GET /fleet` rows. */
export const FLEET_FIELDS = ['id', 'kind', 'name', 'groupId', 'zoneIds', 'lat', 'lon', 'online', 'lastSeen', 'statusReason', 'state'] as const;

function window(q: { from?: string; to?: string }, defaultHours: number): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - defaultHours * 3600_000);
  if (!(from < to)) throw badRequest('BAD_WINDOW', `'from' must be before 'to'`);
  return { from, to };
}

export const telemetryRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/state',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['telemetry'],
          querystring: Type.Object(
            { kind: Type.Optional(Type.String()), zone: Type.Optional(Id), group: Type.Optional(Id), ...Paging },
            { additionalProperties: false },
          ),
          response: replies({ 200: Items(DeviceState) }),
        },
      },
      async (req) => ({
        items: await deps.reads.states({
          kind: req.query.kind,
          zoneId: req.query.zone,
          groupId: req.query.group,
          limit: req.query.limit ?? 100,
          offset: req.query.offset ?? 0,
        }),
      }),
    );

    // The dashboard's snapshot of the whole fleet in one compact answer: rows as arrays in `fields` order.
    // A ward is ~1 MB of JSON: gzip (fast level, off the event loop) when the client takes it, e.g. a browser over a VPN.
    app.get(
      '/fleet',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['telemetry'],
          description: 'Every device with position, status and latest state; items are arrays in the order of `fields`.',
          response: replies({ 200: json(Fleet, 'The fleet, already encoded (and gzipped when the client takes it)') }),
        },
      },
      async (req, reply) => {
        const body = `{"fields":${JSON.stringify(FLEET_FIELDS)},"items":${await deps.reads.fleetJson()}}`;
        reply.type('application/json; charset=utf-8').header('vary', 'accept-encoding');
        if (body.length < 8192 || !/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.send(body);
        return reply.header('content-encoding', 'gzip').send(await gzipAsync(body, { level: 1 }));
      },
    );

    app.get(
      '/devices/:id/state',
      { config: { role: 'viewer' }, schema: { tags: ['telemetry'], params: IdParams, response: replies({ 200: DeviceState }) } },
      async (req) => {
        await deps.devices.get(req.params.id);
        const [s] = await deps.reads.states({ deviceId: req.params.id, limit: 1, offset: 0 });
        return s;
      },
    );

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
          response: replies({ 200: Series }),
        },
      },
      async (req) => {
        const { from, to } = window(req.query, 24);
        return deps.telemetry.series({ deviceId: req.params.id, metric: req.query.metric, from, to, bucket: req.query.bucket ?? '1h', agg: req.query.agg });
      },
    );

    app.get(
      '/devices/:id/events',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['telemetry'],
          params: IdParams,
          querystring: Type.Object({ ...Window, limit: Paging.limit }, { additionalProperties: false }),
          response: replies({ 200: Items(DeviceEvent) }),
        },
      },
      async (req) => {
        await deps.devices.get(req.params.id);
        const { from, to } = window(req.query, 24 * 30);
        return { items: await deps.reads.events(req.params.id, from, to, req.query.limit ?? 100) };
      },
    );

    app.get(
      '/devices/:id/status-history',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['telemetry'],
          params: IdParams,
          querystring: Type.Object({ ...Window, limit: Paging.limit }, { additionalProperties: false }),
          response: replies({ 200: Items(StatusChange) }),
        },
      },
      async (req) => {
        await deps.devices.get(req.params.id);
        const { from, to } = window(req.query, 24 * 30);
        return { items: await deps.reads.statusHistory(req.params.id, from, to, req.query.limit ?? 100) };
      },
    );

    app.get(
      '/dead-letters',
      {
        config: { role: 'operator' },
        schema: {
          tags: ['telemetry'],
          querystring: Type.Object({ device: Type.Optional(Id), reason: Type.Optional(Type.String()), limit: Paging.limit }, { additionalProperties: false }),
          response: replies({ 200: Items(DeadLetter) }),
        },
      },
      async (req) => ({
        items: await deps.reads.deadLetters({ deviceId: req.query.device, reasonCode: req.query.reason, limit: req.query.limit ?? 100 }),
      }),
    );

    app.get(
      '/audit',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['audit'],
          querystring: Type.Object(
            {
              actor: Type.Optional(Type.String()),
              action: Type.Optional(Type.String()),
              target: Type.Optional(Type.String()),
              ward: Type.Optional(Type.String({ pattern: '^\\d{5}$' })),
              since: Type.Optional(IsoTime),
              limit: Paging.limit,
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: Items(AuditRecord) }),
        },
      },
      async (req) => ({
        items: await deps.audit.list({
          actor: req.query.actor,
          action: req.query.action,
          targetId: req.query.target,
          wardCode: req.query.ward,
          since: req.query.since,
          limit: req.query.limit ?? 100,
        }),
      }),
    );
  };
