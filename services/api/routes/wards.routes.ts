import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiDeps } from '../context.ts';
import { Items, replies } from '../schemas/common.ts';
import { Ward, WardMembership } from '../schemas/core.ts';

const WardCode = Type.String({ pattern: '^\\d{5}$', description: 'mã ĐVHC (5 digits)' });
const ProvinceCode = Type.String({ pattern: '^(\\d{2})?$', description: 'mã tỉnh (2 digits), or empty' });
const Username = Type.String({ pattern: '^[a-z0-9._-]{3,64}$' });
const Membership = Type.Object(
  {
    wards: Type.Array(WardCode, { maxItems: 1000, description: 'The wards the user sees and (with the role) controls' }),
    province: Type.Optional(Type.Boolean({ description: 'Every ward of the deployment (a province viewer or operator); default false' })),
  },
  { additionalProperties: false },
);

/** Province tenancy (docs/scale.md): the deployment's wards and who belongs to which. Admins see and manage every ward. */
export const wardRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/wards',
      { config: { role: 'viewer' }, schema: { tags: ['wards'], description: 'The wards the caller sees', response: replies({ 200: Items(Ward) }) } },
      async () => ({ items: await deps.wards.list() }),
    );
    app.get(
      '/wards/:code',
      { config: { role: 'viewer' }, schema: { tags: ['wards'], params: Type.Object({ code: WardCode }), response: replies({ 200: Ward }) } },
      async (req) => deps.wards.get(req.params.code),
    );
    app.post(
      '/wards',
      {
        config: { role: 'admin', action: 'ward.create' },
        schema: {
          tags: ['wards'],
          body: Type.Object(
            { code: WardCode, name: Type.String({ minLength: 1, maxLength: 128 }), provinceCode: Type.Optional(ProvinceCode) },
            { additionalProperties: false },
          ),
          response: replies({ 201: Ward }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'ward', id: req.body.code, details: { name: req.body.name } };
        return reply.status(201).send(await deps.wards.create(req.body));
      },
    );
    app.patch(
      '/wards/:code',
      {
        config: { role: 'admin', action: 'ward.update' },
        schema: {
          tags: ['wards'],
          params: Type.Object({ code: WardCode }),
          body: Type.Object(
            { name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), provinceCode: Type.Optional(ProvinceCode) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: replies({ 200: Ward }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'ward', id: req.params.code };
        return deps.wards.update(req.params.code, req.body);
      },
    );
    app.get(
      '/users/:username/wards',
      {
        config: { role: 'admin' },
        schema: { tags: ['users', 'wards'], params: Type.Object({ username: Username }), response: replies({ 200: WardMembership }) },
      },
      async (req) => {
        const u = await deps.auth.findUser(req.params.username);
        return { username: u.username, role: u.role, ...(await deps.wards.membership(u.id)) };
      },
    );
    app.put(
      '/users/:username/wards',
      {
        config: { role: 'admin', action: 'user.set-wards' },
        schema: { tags: ['users', 'wards'], params: Type.Object({ username: Username }), body: Membership, response: replies({ 200: WardMembership }) },
      },
      async (req) => {
        const u = await deps.auth.findUser(req.params.username);
        const m = await deps.wards.setMembership(u.id, { province: req.body.province ?? false, wards: req.body.wards });
        req.auditTarget = { type: 'user', id: u.username, details: { wards: m.wards, province: m.province } };
        return { username: u.username, role: u.role, ...m };
      },
    );
  };
