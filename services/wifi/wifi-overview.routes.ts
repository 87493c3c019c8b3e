/**
 * Read-only WiFi figures for the dashboard's "WiFi công cộng" page that name nobody: sessions in progress per point,
 * portal logins counted by method, consent version and purpose, and the personal-data retention in force. Viewers may
 * read them (no hash leaves them).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { replies } from '../api/schemas/common.ts';
import { LoginSummary, OpenNow, Retention } from '../api/schemas/wifi-province.ts';
import { IsoTime } from '../api/routes/schemas.ts';
import { badRequest } from '../common/errors.ts';
import type { WifiRepository } from './wifi.repository.ts';
import type { WifiService } from './wifi.service.ts';

const Period = Type.Object({ from: IsoTime, to: IsoTime }, { additionalProperties: false });
/** A session with no stop record and no news for this long is not counted as in progress (its stop was lost). */
export const OPEN_SESSION_STALE_MS = 24 * 3_600_000;
export function wifiOverviewRoutes(d: { service: WifiService; repo: WifiRepository; retentionIntervalMs: number }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/wifi/portal-logins/summary',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['wifi'],
          description: 'Portal logins of a period counted by method, consent version, purpose and language (no hashes).',
          querystring: Period,
          response: replies({ 200: LoginSummary }),
        },
      },
      async (req) => {
        const from = Date.parse(req.query.from);
        const to = Date.parse(req.query.to);
        if (!(from < to)) throw badRequest('BAD_PERIOD', "'from' must be before 'to'");
        return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(await d.repo.loginSummary(new Date(from), new Date(to))) };
      },
    );
    app.get(
      '/wifi/sessions/open',
      {
        config: { role: 'viewer' },
        schema: { tags: ['wifi'], description: 'Sessions in progress now, per access point (counts only).', response: replies({ 200: OpenNow }) },
      },
      async () => {
        const now = new Date();
        const items = await d.repo.openByDevice(now, OPEN_SESSION_STALE_MS);
        return { at: now.toISOString(), staleAfterS: OPEN_SESSION_STALE_MS / 1000, total: items.reduce((n, x) => n + x.open, 0), items };
      },
    );
    app.get(
      '/wifi/retention',
      {
        config: { role: 'viewer' },
        schema: { tags: ['wifi'], description: 'The personal-data retention in force (docs/wifi-marketing.md).', response: replies({ 200: Retention }) },
      },
      async () => ({ ...d.service.retention(), intervalMs: d.retentionIntervalMs }),
    );
  };
}
