import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { forbidden } from '../common/errors.ts';
import { roleAtLeast } from '../auth/roles.ts';
import { ALL_WARDS, openScope } from '../auth/ward-scope.ts';
import type { ApiDeps } from './context.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  return undefined;
}

/**
 * Every route states its least role (or that it is public); a route that states neither fails the build, so a new
 * route cannot ship unprotected by accident. Every mutating request writes an audit row with its outcome.
 */
export interface RouteEntry {
  method: string;
  url: string;
  role: string | null;
  /** The route's request schemas (body, querystring, params), for tests that walk the table with hostile input. */
  schema?: RouteOptions['schema'];
}

export function installSecurity(app: FastifyInstance, deps: ApiDeps): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const cfg = route.config as { role?: string; public?: boolean } | undefined;
    if (route.url.startsWith('/docs')) return;
    if (!cfg?.role && !cfg?.public) {
      throw new Error(`route ${String(route.method)} ${route.url} declares neither a role nor public: true`);
    }
    for (const method of [route.method].flat()) table.push({ method, url: route.url, role: cfg.role ?? null, schema: route.schema });
  });

  const isScrapeToken = scrapeTokenCheck(deps.config.metricsToken);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const cfg = req.routeOptions.config;
    if (cfg.public || !cfg.role) return;
    if (cfg.scrape && isScrapeToken(bearer(req))) {
      req.principal = { actor: 'metrics-scraper', userId: null, role: 'viewer', tokenId: '', via: 'api' };
      return;
    }
    const principal = await deps.auth.authenticate(bearer(req));
    req.principal = principal;
    if (!roleAtLeast(principal.role, cfg.role)) throw forbidden(`This action needs the '${cfg.role}' role; you are '${principal.role}'`);
  });

  // Province tenancy: the rest of the request (handler, services, repositories) runs in the caller's ward scope.
  // A callback hook, so the handler runs inside the scope's async context; the scope ends when the response has gone.
  app.addHook('preHandler', (req: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    if (!req.principal) return done();
    const scope = req.principal.role === 'admin' ? ALL_WARDS : (req.principal.scope ?? ALL_WARDS);
    req.wardScope = openScope(scope);
    req.wardScope.run(done);
  });
  app.addHook('onResponse', async (req: FastifyRequest) => {
    req.wardScope?.end();
  });

  // onSend runs before the response leaves, so once a client sees the answer its audit row exists.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (!MUTATING.has(req.method) || req.routeOptions.url === undefined) return payload;
    const cfg = req.routeOptions.config;
    const ok = reply.statusCode < 400;
    const params = (req.params ?? {}) as Record<string, string>;
    const { ward, wards } = auditWard(req);
    try {
      await deps.audit.insert({
        actor: req.principal?.actor ?? 'anonymous',
        actorRole: req.principal?.role ?? null,
        action: cfg.action ?? `${req.method} ${req.routeOptions.url}`,
        targetType: req.auditTarget?.type ?? null,
        targetId: req.auditTarget?.id ?? params.id ?? params.username ?? null,
        result: ok ? 'ok' : 'error',
        details: { status: reply.statusCode, ...(req.auditTarget?.details ?? {}), ...(wards ? { touchedWards: wards } : {}) },
        ip: req.ip,
        wardCode: ward,
      });
    } catch (err) {
      req.log.error({ err }, 'audit row could not be written');
    }
    return payload;
  });
  return table;
}

/** The ward of an audit row: the one ward the request's objects belonged to, else the caller's only ward. */
function auditWard(req: FastifyRequest): { ward: string | null; wards?: string[] } {
  const touched = req.wardScope?.touched() ?? [];
  const scope = req.wardScope?.scope;
  const own = scope && !scope.all && scope.wards.length === 1 ? scope.wards[0] : undefined;
  if (touched.length === 1) return { ward: touched[0] ?? null };
  if (touched.length === 0) return { ward: own ?? null };
  return { ward: null, wards: touched.sort() };
}

/**
 * The scrape credential (SW_METRICS_TOKEN): a static secret Prometheus reads from a file, valid on scrape routes only,
 * so a leaked Prometheus config exposes metrics and nothing else. Compared as SHA-256 digests in constant time.
 */
function scrapeTokenCheck(configured: string): (given: string | undefined) => boolean {
  if (!configured) return () => false;
  const want = createHash('sha256').update(configured).digest();
  return (given) => given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), want);
}
