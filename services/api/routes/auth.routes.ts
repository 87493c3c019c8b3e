import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiDeps } from '../context.ts';
import { Role } from './schemas.ts';
import { Items, NoContent, replies } from '../schemas/common.ts';
import { ApiToken, Login, Me, NewApiToken, User } from '../schemas/core.ts';

const Username = Type.String({ pattern: '^[a-z0-9._-]{3,64}$' });
const Password = Type.String({ minLength: 10, maxLength: 256 });

export const authRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/auth/login',
      {
        config: { public: true, action: 'auth.login' },
        schema: {
          tags: ['auth'],
          body: Type.Object({ username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
          response: replies({ 200: Login }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'user', id: req.body.username };
        const r = await deps.auth.login(req.body.username, req.body.password, req.ip);
        req.principal = { actor: r.user.username, userId: r.user.id, role: r.user.role, tokenId: '', via: 'session' };
        return r;
      },
    );
    app.post(
      '/auth/logout',
      { config: { role: 'viewer', action: 'auth.logout' }, schema: { tags: ['auth'], response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        if (req.principal) await deps.auth.logout(req.principal);
        return reply.status(204).send();
      },
    );
    app.get('/auth/me', { config: { role: 'viewer' }, schema: { tags: ['auth'], response: replies({ 200: Me }) } }, async (req) => {
      const p = req.principal!;
      const scope = p.scope;
      return { ...p, scope: !scope ? undefined : scope.all ? { all: true as const } : { all: false as const, wards: [...scope.wards] } };
    });
    app.post(
      '/auth/password',
      {
        config: { role: 'viewer', action: 'auth.change-password' },
        schema: {
          tags: ['auth'],
          body: Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, { additionalProperties: false }),
          response: replies({ 204: NoContent }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'user', id: req.principal!.actor };
        await deps.auth.changeOwnPassword(req.principal!, req.body.currentPassword, req.body.newPassword);
        return reply.status(204).send();
      },
    );

    app.get('/users', { config: { role: 'admin' }, schema: { tags: ['users'], response: replies({ 200: Items(User) }) } }, async () => ({
      items: await deps.auth.listUsers(),
    }));
    app.post(
      '/users',
      {
        config: { role: 'admin', action: 'user.create' },
        schema: {
          tags: ['users'],
          body: Type.Object(
            { username: Username, displayName: Type.Optional(Type.String({ maxLength: 128 })), role: Role, password: Password },
            { additionalProperties: false },
          ),
          response: replies({ 201: User }),
        },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'user', id: req.body.username, details: { role: req.body.role } };
        return reply.status(201).send(await deps.auth.createUser(req.body));
      },
    );
    app.patch(
      '/users/:username',
      {
        config: { role: 'admin', action: 'user.update' },
        schema: {
          tags: ['users'],
          params: Type.Object({ username: Username }),
          body: Type.Object(
            {
              displayName: Type.Optional(Type.String({ maxLength: 128 })),
              role: Type.Optional(Role),
              disabled: Type.Optional(Type.Boolean()),
              password: Type.Optional(Password),
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: User }),
        },
      },
      async (req) => {
        req.auditTarget = {
          type: 'user',
          id: req.params.username,
          details: { role: req.body.role, disabled: req.body.disabled, passwordChanged: Boolean(req.body.password) },
        };
        return deps.auth.updateUser(req.params.username, req.body);
      },
    );

    app.get('/tokens', { config: { role: 'admin' }, schema: { tags: ['tokens'], response: replies({ 200: Items(ApiToken) }) } }, async () => ({
      items: await deps.auth.listApiTokens(),
    }));
    app.post(
      '/tokens',
      {
        config: { role: 'admin', action: 'token.create' },
        schema: {
          tags: ['tokens'],
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 64 }), role: Role, expiresAt: Type.Optional(Type.String({ format: 'date-time' })) },
            { additionalProperties: false },
          ),
          response: replies({ 201: NewApiToken }),
        },
      },
      async (req, reply) => {
        const r = await deps.auth.createApiToken(req.principal!, req.body.name, req.body.role, req.body.expiresAt ? new Date(req.body.expiresAt) : null);
        req.auditTarget = { type: 'token', id: r.record.id, details: { name: req.body.name, role: req.body.role } };
        return reply.status(201).send({ token: r.token, ...r.record, note: 'The token is shown only now; store it safely.' });
      },
    );
    app.delete(
      '/tokens/:id',
      {
        config: { role: 'admin', action: 'token.revoke' },
        schema: { tags: ['tokens'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: replies({ 204: NoContent }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'token', id: req.params.id };
        await deps.auth.revokeApiToken(req.params.id);
        return reply.status(204).send();
      },
    );
  };
