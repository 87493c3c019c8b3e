import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IsoTime, Paging } from '../api/routes/schemas.ts';
import { badRequest, conflict } from '../common/errors.ts';
import type { WifiRepository } from './wifi.repository.ts';
import type { WifiService } from './wifi.service.ts';
import { Items, replies } from '../api/schemas/common.ts';
import { ConsentPublished, ConsentVersion, RetentionRun, WifiLogin, WifiPoint, WifiSession, WifiUniqueUsers } from '../api/schemas/wifi-province.ts';

const Period = Type.Object({ from: IsoTime, to: IsoTime }, { additionalProperties: false });
const Listing = Type.Object({ from: IsoTime, to: IsoTime, device: Type.Optional(Id), ...Paging }, { additionalProperties: false });
const ConsentBody = Type.Object(
  {
    version: Type.String({ pattern: '^[A-Za-z0-9._-]{1,32}$' }),
    textVi: Type.String({ minLength: 1, maxLength: 20_000 }),
    textEn: Type.String({ minLength: 1, maxLength: 20_000 }),
    purposes: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), { minItems: 1, maxItems: 20, uniqueItems: true }),
  },
  { additionalProperties: false },
);

const period = (q: { from: string; to: string }): { from: number; to: number } => {
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  if (!(from < to)) throw badRequest('BAD_PERIOD', "'from' must be before 'to'");
  return { from, to };
};

/** WiFi sessions, portal logins (hashes only) and consent texts; every route states its role. */
export function wifiRoutes(d: { service: WifiService; repo: WifiRepository }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/wifi/unique-users',
      { config: { role: 'viewer' }, schema: { tags: ['wifi'], querystring: Period, response: replies({ 200: WifiUniqueUsers }) } },
      async (req) => {
        const p = period(req.query);
        return { from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), ...(await d.service.uniqueUsers(p.from, p.to)) };
      },
    );
    app.get(
      '/wifi/points',
      { config: { role: 'viewer' }, schema: { tags: ['wifi'], querystring: Period, response: replies({ 200: Items(WifiPoint) }) } },
      async (req) => {
        const p = period(req.query);
        return { items: await d.repo.perPoint(new Date(p.from), new Date(p.to)) };
      },
    );
    // Hashes are personal data too (pseudonymised): listing them needs an operator.
    app.get(
      '/wifi/sessions',
      { config: { role: 'operator' }, schema: { tags: ['wifi'], querystring: Listing, response: replies({ 200: Items(WifiSession) }) } },
      async (req) => {
        const p = period(req.query);
        return {
          items: await d.repo.sessions({
            from: new Date(p.from),
            to: new Date(p.to),
            ...(req.query.device ? { deviceId: req.query.device } : {}),
            limit: req.query.limit ?? 100,
            offset: req.query.offset ?? 0,
          }),
        };
      },
    );
    app.get(
      '/wifi/portal-logins',
      { config: { role: 'operator' }, schema: { tags: ['wifi'], querystring: Listing, response: replies({ 200: Items(WifiLogin) }) } },
      async (req) => {
        const p = period(req.query);
        return { items: await d.repo.logins({ from: new Date(p.from), to: new Date(p.to), limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 }) };
      },
    );
    app.get(
      '/wifi/consent-versions',
      { config: { role: 'viewer' }, schema: { tags: ['wifi'], response: replies({ 200: Items(ConsentVersion) }) } },
      async () => ({ items: await d.repo.consentVersions() }),
    );
    app.post(
      '/wifi/consent-versions',
      {
        config: { role: 'admin', action: 'wifi.consent.publish' },
        schema: { tags: ['wifi'], body: ConsentBody, response: replies({ 201: ConsentPublished }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'wifi-consent', id: req.body.version, details: { purposes: req.body.purposes } };
        const ok = await d.repo.insertConsentVersion({ ...req.body, publishedBy: req.principal?.actor ?? 'unknown' });
        if (!ok)
          throw conflict(
            'CONSENT_VERSION_EXISTS',
            `consent version '${req.body.version}' is published already; its text cannot change — publish a new version`,
          );
        return reply.code(201).send({ version: req.body.version });
      },
    );
    app.post(
      '/wifi/retention/run',
      { config: { role: 'admin', action: 'wifi.retention.run' }, schema: { tags: ['wifi'], response: replies({ 200: RetentionRun }) } },
      async () => d.service.purge(),
    );
  };
}
