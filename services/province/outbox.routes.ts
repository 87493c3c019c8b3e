/**
 * The province outbox as the dashboard's "Kết nối tỉnh" page reads it: recent messages (what went up, whether it was
 * delivered, the play logs of province bulletins reported back), and the administrator's "retry now".
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { replies } from '../api/schemas/common.ts';
import { conflict } from '../common/errors.ts';
import type { OutboxExporter } from './exporter.ts';
import type { ProvinceRepository } from './province.repository.ts';

const Status = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('rejected'), Type.Literal('superseded')]);
const Query = Type.Object(
  {
    type: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{0,63}$', description: 'NGSI-LD entity type, e.g. BroadcastPlayLog' })),
    status: Type.Optional(Status),
    broadcast: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,39}$', description: "play logs of this province bulletin (the province's id)" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
const Message = Type.Object({
  id: Type.String(),
  entityId: Type.String(),
  entityType: Type.String(),
  status: Status,
  createdAt: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: Type.Union([Type.String(), Type.Null()]),
  playLog: Type.Optional(
    Type.Object({ broadcast: Type.String(), device: Type.Union([Type.String(), Type.Null()]), result: Type.Union([Type.String(), Type.Null()]) }),
  ),
});

export function outboxRoutes(d: { repo: ProvinceRepository; exporter: OutboxExporter | null }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/province/outbox/messages',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['province'],
          description: 'Recent outbox messages, newest first (device entities, indicators and play logs; no personal data).',
          querystring: Query,
          response: replies({ 200: Type.Object({ enabled: Type.Boolean(), items: Type.Array(Message) }) }),
        },
      },
      async (req) => ({
        enabled: d.exporter !== null,
        items: await d.repo.messages({
          ...(req.query.type ? { type: req.query.type } : {}),
          ...(req.query.status ? { status: req.query.status } : {}),
          ...(req.query.broadcast ? { broadcast: req.query.broadcast } : {}),
          limit: req.query.limit ?? 100,
        }),
      }),
    );
    app.post(
      '/province/outbox/retry',
      {
        config: { role: 'admin', action: 'province.outbox.retry' },
        schema: {
          tags: ['province'],
          description: 'Messages waiting out a backoff are pushed now (after the province fixed its side).',
          response: replies({ 200: Type.Object({ rescheduled: Type.Integer({ minimum: 0 }) }) }),
        },
      },
      async (req) => {
        if (!d.exporter) throw conflict('PROVINCE_EXPORT_DISABLED', 'no province broker is configured here (SW_PROVINCE_BROKER_URL)');
        const rescheduled = await d.exporter.retryNow();
        req.auditTarget = { type: 'province-outbox', id: 'outbox', details: { rescheduled } };
        return { rescheduled };
      },
    );
  };
}
