import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../context.ts';
import { binary, replies } from '../schemas/common.ts';
import { Readiness, ServiceStatus } from '../schemas/core.ts';
import { Type } from 'typebox';

export const systemRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { config: { public: true }, schema: { hide: true, response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
      status: 'ok',
    }));
    app.get('/ready', { config: { public: true }, schema: { hide: true, response: { 200: Readiness, 503: Readiness } } }, async (req, reply) => {
      const r = await deps.ready();
      // `?degraded=ok`: for load balancers, a degraded instance still makes every message durable (services/readiness.ts).
      const tolerated = r.status === 'degraded' && (req.query as { degraded?: string }).degraded === 'ok';
      return reply.status(r.ready || tolerated ? 200 : 503).send(r);
    });
    // Prometheus text format; scraped from the operators' network with a viewer token or the scrape credential.
    app.get(
      '/metrics',
      { config: { role: 'viewer', scrape: true }, schema: { hide: true, response: replies({ 200: binary(['text/plain'], 'Prometheus text format') }) } },
      async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.render()),
    );
    app.get('/api/v1/status', { config: { role: 'viewer' }, schema: { response: replies({ 200: ServiceStatus }) } }, async () => deps.status());
  };
