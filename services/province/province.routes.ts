import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IsoTime } from '../api/routes/schemas.ts';
import { AppError, notFound, unauthorized } from '../common/errors.ts';
import type { Origin } from '../control/commands/command.types.ts';
import type { OutboxExporter } from './exporter.ts';
import type { ProvinceService } from './province.service.ts';
import { Items, replies } from '../api/schemas/common.ts';
import { ProvinceBroadcast, ProvinceBroadcastBody, ProvinceExportRun, ProvinceOutbox, ProvinceReceived } from '../api/schemas/wifi-province.ts';

const ProvinceBody = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,39}$', description: "the province's bulletin id (idempotency key)" }),
    title: Type.String({ minLength: 1, maxLength: 256 }),
    priority: Type.Union([Type.Literal('normal'), Type.Literal('priority'), Type.Literal('emergency')], { description: 'Circular 39/2020/TT-BTTTT' }),
    audioUrl: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
    zoneIds: Type.Optional(Type.Array(Id, { maxItems: 200, uniqueItems: true })),
    clusterIds: Type.Optional(Type.Array(Id, { maxItems: 5000, uniqueItems: true })),
    volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);
const Decision = Type.Object(
  { accept: Type.Boolean(), startAt: Type.Optional(IsoTime), note: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The province's credential (SW_PROVINCE_INBOUND_TOKEN): a bearer token valid on the inbound province routes only,
 * compared as SHA-256 digests in constant time. No token configured: the inbound API answers 503 (closed).
 */
function provinceAuth(token: string): (req: FastifyRequest) => void {
  const want = token ? digest(token) : null;
  return (req) => {
    if (!want) throw new AppError('PROVINCE_API_CLOSED', 503, 'the province API is not configured here (SW_PROVINCE_INBOUND_TOKEN)');
    const h = req.headers.authorization;
    const given = h?.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), want)) throw unauthorized('a valid province token is required');
    req.principal = { actor: 'province', userId: null, role: 'operator', tokenId: 'province', via: 'api' };
  };
}

const baseUrlOf = (publicBaseUrl: string, req: FastifyRequest): string => publicBaseUrl || `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`;
const origin = (req: FastifyRequest): Origin => ({ actor: req.principal?.actor ?? 'anonymous', role: req.principal?.role ?? null, origin: 'radio' });

export function provinceRoutes(d: {
  service: ProvinceService;
  exporter: OutboxExporter | null;
  inboundToken: string;
  publicBaseUrl: string;
  exportNow: () => Promise<unknown>;
}): FastifyPluginAsync {
  const auth = provinceAuth(d.inboundToken);
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    // Inbound, for the province's radio system: public to the operator-token check, guarded by the province token.
    app.post(
      '/province/broadcasts',
      {
        config: { public: true, action: 'province.broadcast.receive' },
        onRequest: async (req) => auth(req),
        schema: { tags: ['province'], body: ProvinceBody, response: replies({ 200: ProvinceReceived, 201: ProvinceReceived }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'province-broadcast', id: req.body.id, details: { priority: req.body.priority, title: req.body.title } };
        const r = await d.service.receive(req.body, 'province', baseUrlOf(d.publicBaseUrl, req));
        req.auditTarget = {
          type: 'province-broadcast',
          id: req.body.id,
          details: {
            priority: req.body.priority,
            title: req.body.title,
            status: r.broadcast.status,
            broadcastId: r.broadcast.broadcastId,
            dispatched: r.dispatched,
            repeated: !r.created,
          },
        };
        return reply.code(r.created ? 201 : 200).send(r);
      },
    );
    app.get(
      '/province/broadcasts/:id',
      {
        config: { public: true },
        onRequest: async (req) => auth(req),
        schema: { tags: ['province'], params: Type.Object({ id: Type.String({ maxLength: 40 }) }), response: replies({ 200: ProvinceBroadcastBody }) },
      },
      async (req) => {
        const b = await d.service.get(req.params.id);
        if (!b) throw notFound('Province bulletin', req.params.id);
        return { broadcast: b };
      },
    );
    // Ward side.
    app.get(
      '/province/inbox',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['province'],
          querystring: Type.Object({ status: Type.Optional(Type.String({ maxLength: 32 })) }),
          response: replies({ 200: Items(ProvinceBroadcast) }),
        },
      },
      async (req) => ({ items: await d.service.list(req.query.status ?? null, 500) }),
    );
    app.post(
      '/province/inbox/:id/decision',
      {
        config: { role: 'operator', action: 'province.broadcast.decide' },
        schema: {
          tags: ['province'],
          params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
          body: Decision,
          response: replies({ 200: ProvinceBroadcastBody }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'province-broadcast', id: req.params.id, details: { accept: req.body.accept, startAt: req.body.startAt ?? null } };
        return { broadcast: await d.service.decide(req.params.id, req.body, origin(req), baseUrlOf(d.publicBaseUrl, req)) };
      },
    );
    app.get('/province/outbox', { config: { role: 'viewer' }, schema: { tags: ['province'], response: replies({ 200: ProvinceOutbox }) } }, async () => {
      if (!d.exporter) return { enabled: false };
      return { enabled: true, ...(await d.exporter.backlog()) };
    });
    app.post(
      '/province/export/run',
      { config: { role: 'admin', action: 'province.export.run' }, schema: { tags: ['province'], response: replies({ 200: ProvinceExportRun }) } },
      async () => d.exportNow(),
    );
  };
}
