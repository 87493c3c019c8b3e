import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiDeps } from '../context.ts';
import { Id, IdParams } from './schemas.ts';
import { Items, NoContent, Nullable, replies } from '../schemas/common.ts';
import { Zone } from '../schemas/core.ts';
import { ZoneService } from '../../registry/zone.service.ts';

const ZoneKind = Type.Union([Type.Literal('residential_group'), Type.Literal('lighting_zone'), Type.Literal('broadcast_zone'), Type.Literal('area')]);

export const zoneRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const zones = new ZoneService(deps.zones, deps.wards);

    app.get(
      '/zones',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['zones'],
          querystring: Type.Object({ kind: Type.Optional(ZoneKind), ward: Type.Optional(Type.String()) }, { additionalProperties: false }),
          response: replies({ 200: Items(Zone) }),
        },
      },
      async (req) => ({
        items: await zones.list({ kind: req.query.kind, wardCode: req.query.ward }),
      }),
    );

    app.get('/zones/:id', { config: { role: 'viewer' }, schema: { tags: ['zones'], params: IdParams, response: replies({ 200: Zone }) } }, async (req) => {
      return zones.get(req.params.id);
    });

    app.post(
      '/zones',
      {
        config: { role: 'admin', action: 'zone.create' },
        schema: {
          tags: ['zones'],
          body: Type.Object(
            {
              id: Id,
              name: Type.String({ minLength: 1, maxLength: 128 }),
              kind: ZoneKind,
              wardCode: Type.Optional(Type.String({ pattern: '^\\d{5}$' })),
              parentId: Type.Optional(Type.Union([Id, Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: replies({ 201: Zone }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'zone', id: req.body.id };
        return reply.status(201).send(await zones.create(req.body));
      },
    );

    app.patch(
      '/zones/:id',
      {
        config: { role: 'admin', action: 'zone.update' },
        schema: {
          tags: ['zones'],
          params: IdParams,
          body: Type.Object(
            { name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), parentId: Type.Optional(Type.Union([Id, Type.Null()])) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: replies({ 200: Zone }),
        },
      },
      async (req) => {
        return zones.update(req.params.id, req.body);
      },
    );

    app.delete(
      '/zones/:id',
      { config: { role: 'admin', action: 'zone.delete' }, schema: { tags: ['zones'], params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        await zones.delete(req.params.id);
        return reply.status(204).send();
      },
    );

    app.put(
      '/zones/:id/devices',
      {
        config: { role: 'operator', action: 'zone.set-members' },
        schema: {
          tags: ['zones'],
          params: IdParams,
          body: Type.Object({ deviceIds: Type.Array(Id, { maxItems: 100000 }) }, { additionalProperties: false }),
          response: replies({ 200: Nullable(Zone) }),
        },
      },
      async (req) => {
        const r = await zones.setMembers(req.params.id, req.body.deviceIds);
        req.auditTarget = { type: 'zone', id: req.params.id, details: { devices: r.devices } };
        return r.zone;
      },
    );
  };
