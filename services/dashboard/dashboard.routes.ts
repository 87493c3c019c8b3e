import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config.ts';
import { buildDashboard, type DashboardBundle } from './dashboard.bundle.ts';
import { binary } from '../api/schemas/common.ts';
import { DashboardSettings } from '../api/schemas/wifi-province.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The operators' dashboard, served by the service itself (same origin as the API, no CDN): index.html, one JS bundle
 * built with esbuild from dashboard/src at first request and cached, CSS (ours + Leaflet's), and the public settings the
 * page needs before login (map tiles, ward name).
 */
export const dashboardRoutes =
  (config: Config): FastifyPluginAsync =>
  async (app) => {
    let bundle: Promise<DashboardBundle> | undefined;
    const get = (): Promise<DashboardBundle> => (bundle ??= buildDashboard(ROOT));
    const html = readFileSync(path.join(ROOT, 'dashboard/index.html'), 'utf8');
    const cacheHeaders = { 'cache-control': 'no-cache' };

    app.get('/', { config: { public: true }, schema: { hide: true, response: { 200: binary(['text/html'], 'The dashboard page') } } }, async (_req, reply) =>
      reply.headers(cacheHeaders).type('text/html; charset=utf-8').send(html),
    );
    app.get(
      '/app.js',
      { config: { public: true }, schema: { hide: true, response: { 200: binary(['text/javascript'], 'The dashboard bundle') } } },
      async (_req, reply) =>
        reply
          .headers(cacheHeaders)
          .type('text/javascript; charset=utf-8')
          .send((await get()).js),
    );
    app.get(
      '/app.css',
      { config: { public: true }, schema: { hide: true, response: { 200: binary(['text/css'], 'The dashboard styles') } } },
      async (_req, reply) =>
        reply
          .headers(cacheHeaders)
          .type('text/css; charset=utf-8')
          .send((await get()).css),
    );
    app.get('/settings.json', { config: { public: true }, schema: { hide: true, response: { 200: DashboardSettings } } }, async () => ({
      ward: config.ward,
      map: config.map,
    }));
  };
