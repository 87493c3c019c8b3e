import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IsoTime, Paging } from '../../api/routes/schemas.ts';
import { DELIVERY_STATES } from './command.types.ts';
import type { CommandService } from './command.service.ts';
import { CommandBody, CommandId } from './command.schemas.ts';
import { Items, replies } from '../../api/schemas/common.ts';
import { CommandCancelled, CommandFollow, CommandListItem, CommandRoutedToBroadcast, CommandSent } from '../../api/schemas/control.ts';

const State = Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)));

export const commandRoutes =
  (commands: CommandService): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/commands',
      {
        config: { role: 'operator', action: 'command.send' },
        schema: { tags: ['commands'], body: CommandBody, response: replies({ 200: CommandSent, 201: Type.Union([CommandSent, CommandRoutedToBroadcast]) }) },
      },
      async (req, reply) => {
        const actor = req.principal?.actor ?? 'anonymous';
        req.auditTarget = { type: 'command', id: req.body.id ?? '(new)', details: { name: req.body.name, target: req.body.target } };
        const origin = { actor, role: req.principal?.role ?? null, origin: 'api' as const, baseUrl: `${req.protocol}://${req.host}` };
        // A loudspeaker's live command airs through the broadcast workflow: a record, the source's network check, a relay.
        const routed = await commands.sendAsBroadcast({ ...req.body, params: req.body.params ?? {} }, origin);
        if (routed) {
          req.auditTarget = {
            type: 'broadcast',
            id: routed.broadcastId,
            details: { name: req.body.name, target: req.body.target, via: 'command', commands: routed.commandIds },
          };
          return reply.status(201).send({ routedTo: 'broadcast', ...routed });
        }
        const r = await commands.send({ ...req.body, params: req.body.params ?? {} }, origin);
        req.auditTarget = {
          type: 'command',
          id: r.command.id,
          details: { name: r.command.name, target: r.command.target, devices: r.command.deviceCount, replay: !r.created },
        };
        return reply.status(r.created ? 201 : 200).send({ ...r.command, skipped: r.skipped, idempotentReplay: !r.created });
      },
    );

    app.get(
      '/commands',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['commands'],
          querystring: Type.Object(
            { name: Type.Optional(Type.String()), device: Type.Optional(Id), origin: Type.Optional(Type.String()), since: Type.Optional(IsoTime), ...Paging },
            { additionalProperties: false },
          ),
          response: replies({ 200: Items(CommandListItem) }),
        },
      },
      async (req) => {
        const q = req.query;
        return {
          items: await commands.list({
            name: q.name,
            deviceId: q.device,
            origin: q.origin,
            since: q.since ? new Date(q.since) : undefined,
            limit: q.limit ?? 100,
            offset: q.offset ?? 0,
          }),
        };
      },
    );

    app.get(
      '/commands/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['commands'],
          params: Type.Object({ id: CommandId }),
          querystring: Type.Object({ state: Type.Optional(State), ...Paging }, { additionalProperties: false }),
          response: replies({ 200: CommandFollow }),
        },
      },
      async (req) => commands.follow(req.params.id, { state: req.query.state, limit: req.query.limit ?? 1000, offset: req.query.offset ?? 0 }),
    );

    app.post(
      '/commands/:id/cancel',
      {
        config: { role: 'operator', action: 'command.cancel' },
        schema: { tags: ['commands'], params: Type.Object({ id: CommandId }), response: replies({ 200: CommandCancelled }) },
      },
      async (req) => {
        req.auditTarget = { type: 'command', id: req.params.id };
        return commands.cancel(req.params.id, req.principal?.actor ?? 'anonymous');
      },
    );
  };
