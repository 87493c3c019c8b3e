import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import type { ApiDeps } from './context.ts';
import { wardRoutes } from './routes/wards.routes.ts';
import { installSecurity, type RouteEntry } from './security.ts';
import { installJsonBodyParser, refuseNulInUrl } from './body-limits.ts';
import { installSecurityHeaders } from './security-headers.ts';
import { bodyStrictValidators, mapInputError } from './validation.ts';
import { authRoutes } from './routes/auth.routes.ts';
import { deviceRoutes } from './routes/devices.routes.ts';
import { systemRoutes } from './routes/system.routes.ts';
import { telemetryRoutes } from './routes/telemetry.routes.ts';
import { zoneRoutes } from './routes/zones.routes.ts';
import { liveRoutes } from './routes/live.routes.ts';
import { dashboardRoutes } from '../dashboard/dashboard.routes.ts';

/** The API and its route table (method, url, least role), which tests walk to prove every route is guarded. */
export async function buildApi(deps: ApiDeps, log: Logger): Promise<{ app: FastifyInstance; routes: RouteEntry[] }> {
  const app = Fastify({
    loggerInstance: log.child({ module: 'api' }) as unknown as FastifyBaseLogger,
    // Per-request lines would drown the log at dashboard polling rates; errors are still logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Unknown fields are an error, not silently dropped: a typo in a request must not look like success.
    // Query strings and path parameters arrive as text and are coerced to the schema's types; bodies are JSON and are
    // taken as sent (`"username": false` is an error, not the user "false"): see validation.ts.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    schemaController: { compilersFactory: { buildValidator: bodyStrictValidators() } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installJsonBodyParser(app, deps.metrics);
  installSecurityHeaders(app, deps.config.map.tileUrl);
  refuseNulInUrl(app, deps.metrics);

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      const retryAfterS = (err.details as { retryAfterS?: unknown } | undefined)?.retryAfterS;
      if (typeof retryAfterS === 'number') void reply.header('retry-after', String(retryAfterS));
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if ((err as FastifyError).validation) {
      return reply.status(400).send({ error: { code: 'VALIDATION', message: err.message, details: (err as FastifyError).validation } });
    }
    const input = mapInputError(err);
    if (input) {
      deps.metrics.inc('sw_http_rejected_total', 'HTTP requests refused before any route ran, by reason', { reason: input.reason });
      req.log.warn(
        { reason: input.reason, route: req.routeOptions.url, pgCode: (err as { code?: string }).code },
        'request refused: a value the database cannot take',
      );
      return reply.status(400).send({ error: { code: 'BAD_VALUE', message: input.message } });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status < 500) return reply.status(status).send({ error: { code: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message } });
    // Database constraint violations the services did not foresee are still the caller's fault.
    const pgCode = (err as { code?: string }).code ?? '';
    if (pgCode.startsWith('23')) return reply.status(409).send({ error: { code: 'CONSTRAINT', message: 'The request conflicts with existing data' } });
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'Internal error; see the service log' } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url}` } }));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Smart-ward IoT backend API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const routes = installSecurity(app, deps);
  deps.instrument?.(app);
  await app.register(systemRoutes(deps));
  await app.register(authRoutes(deps), { prefix: '/api/v1' });
  await app.register(deviceRoutes(deps), { prefix: '/api/v1' });
  await app.register(zoneRoutes(deps), { prefix: '/api/v1' });
  await app.register(wardRoutes(deps), { prefix: '/api/v1' });
  await app.register(telemetryRoutes(deps), { prefix: '/api/v1' });
  await app.register(
    liveRoutes(deps.events, deps.auth, (wards) => deps.wards.deviceIds(wards)),
    { prefix: '/api/v1' },
  );
  for (const plugin of deps.extraRoutes) await app.register(plugin, { prefix: '/api/v1' });
  await app.register(dashboardRoutes(deps.config));
  return { app, routes };
}
