import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest, conflict, notFound } from '../../common/errors.ts';
import type { ApiDeps } from '../context.ts';
import { Id, IdParams } from './schemas.ts';
import { Items, NoContent, Nullable, replies } from '../schemas/common.ts';
import { Zone } from '../schemas/core.ts';
import { checkParent } from '../../registry/zone-rules.ts';

const ZoneKind = Type.Union([Type.Literal('residential_group'), Type.Literal('lighting_zone'), Type.Literal('broadcast_zone'), Type.Literal('area')]);

export const zoneRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

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
        items: await deps.zones.list({ kind: req.query.kind, wardCode: req.query.ward }),
      }),
    );

    app.get('/zones/:id', { config: { role: 'viewer' }, schema: { tags: ['zones'], params: IdParams, response: replies({ 200: Zone }) } }, async (req) => {
      const z = await deps.zones.get(req.params.id);
      if (!z) throw notFound('Zone', req.params.id);
      return z;
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
        if (await deps.zones.get(req.body.id)) throw conflict('ZONE_EXISTS', `Zone '${req.body.id}' already exists`);
        if (req.body.parentId && !(await deps.zones.get(req.body.parentId)))
          throw badRequest('UNKNOWN_ZONE', `parent zone '${req.body.parentId}' does not exist`);
        const z = await deps.zones.create({
          id: req.body.id,
          name: req.body.name,
          kind: req.body.kind,
          wardCode: await deps.wards.resolve(req.body.wardCode),
          parentId: req.body.parentId ?? null,
        });
        return reply.status(201).send(z);
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
        if (!(await deps.zones.get(req.params.id))) throw notFound('Zone', req.params.id);
        await checkParent(deps.zones, req.params.id, req.body.parentId);
        const z = await deps.zones.update(req.params.id, req.body);
        if (!z) throw notFound('Zone', req.params.id);
        return z;
      },
    );

    app.delete(
      '/zones/:id',
      { config: { role: 'admin', action: 'zone.delete' }, schema: { tags: ['zones'], params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        if (!(await deps.zones.delete(req.params.id))) throw notFound('Zone', req.params.id);
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
        const zone = await deps.zones.get(req.params.id);
        if (!zone) throw notFound('Zone', req.params.id);
        const ids = [...new Set(req.body.deviceIds)];
        const found = new Set(await deps.zones.existingDevices(ids));
        const missing = ids.filter((d) => !found.has(d));
        if (missing.length) throw badRequest('UNKNOWN_DEVICE', `device(s) ${missing.slice(0, 20).join(', ')} do not exist`);
        await deps.zones.setMembers(req.params.id, ids);
        req.auditTarget = { type: 'zone', id: req.params.id, details: { devices: ids.length } };
        return deps.zones.get(req.params.id);
      },
    );
  };
