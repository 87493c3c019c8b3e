import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { forbidden } from '../common/errors.ts';
import { roleAtLeast } from '../auth/roles.ts';
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

  // onSend runs before the response leaves, so once a client sees the answer its audit row exists.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    if (!MUTATING.has(req.method) || req.routeOptions.url === undefined) return payload;
    const cfg = req.routeOptions.config;
    const ok = reply.statusCode < 400;
    const params = (req.params ?? {}) as Record<string, string>;
    try {
      await deps.audit.insert({
        actor: req.principal?.actor ?? 'anonymous',
        actorRole: req.principal?.role ?? null,
        action: cfg.action ?? `${req.method} ${req.routeOptions.url}`,
        targetType: req.auditTarget?.type ?? null,
        targetId: req.auditTarget?.id ?? params.id ?? params.username ?? null,
        result: ok ? 'ok' : 'error',
        details: { status: reply.statusCode, ...(req.auditTarget?.details ?? {}) },
        ip: req.ip,
      });
    } catch (err) {
      req.log.error({ err }, 'audit row could not be written');
    }
    return payload;
  });
  return table;
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
