import type { EventEmitter } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../auth/auth.service.ts';
import type { ModuleEventName } from '../../modules/events.ts';
import { binary, replies } from '../schemas/common.ts';

/**
 * Events forwarded to dashboards as they happen (modules emit them on the shared bus; names from its event map,
 * services/modules/events.ts). The stream's emitter is the cluster's live bridge when there is one: other nodes' events
 * arrive there as JSON (dates as text), so it is an untyped emitter, not the modules' typed bus.
 */
export const LIVE_EVENTS = ['device.status', 'command.outcome', 'alarm.update', 'broadcast.update', 'camera.snapshot'] as const satisfies readonly ModuleEventName[];

/**
 * Server-sent events for live dashboards. Device reports are folded into one `activity` message per second (ids that
 * reported and their new state keys) so a busy ward does not flood a browser; status changes and control events pass
 * through as they come. A comment line every 15 s keeps proxies from closing an idle stream.
 * A stream lives no longer than the token that opened it: it ends at the token's expiry, and at once when the token
 * is revoked (logout, the user disabled or their role changed, the machine token revoked), with a last `revoked` event.
 */
export const liveRoutes = (events: EventEmitter, auth: AuthService): FastifyPluginAsync => async (app) => {
  const byToken = new Map<string, Set<(why: string) => void>>();
  const stopListening = auth.onRevoked(({ tokenIds, why }) => {
    for (const id of tokenIds) for (const end of [...(byToken.get(id) ?? [])]) end(why);
  });
  app.addHook('onClose', async () => stopListening());

  app.get('/live', { config: { role: 'viewer' }, schema: { tags: ['live'], hide: true, response: replies({ 200: binary(['text/event-stream'], 'Server-sent events: hello, activity, device.status, command.*, alarm.update, broadcast.update, camera.snapshot, revoked') }) } }, async (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`event: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    const send = (name: string, data: unknown): void => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const pending = new Map<string, Record<string, unknown>>();
    const onBatch = (b: { states: { deviceId: string; state: Record<string, unknown>; lastSeen: string }[] }): void => {
      for (const s of b.states) pending.set(s.deviceId, { ...(pending.get(s.deviceId) ?? {}), ...s.state, lastSeen: s.lastSeen });
    };
    const forwarders = LIVE_EVENTS.map((name) => [name, (data: unknown) => send(name, data)] as const);
    events.on('ingest.batch', onBatch);
    for (const [name, fn] of forwarders) events.on(name, fn);
    const flush = setInterval(() => {
      if (pending.size === 0) return;
      const items = [...pending].map(([deviceId, state]) => ({ deviceId, state }));
      pending.clear();
      send('activity', { items });
    }, 1000);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const tokenId = req.principal?.tokenId ?? '';
    const end = (why: string): void => {
      if (!res.writableEnded) {
        send('revoked', { why });
        res.end();
      }
      close();
    };
    const expiresAt = req.principal?.expiresAt ? Date.parse(req.principal.expiresAt) : NaN;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a longer-lived token is re-armed on reconnect anyway.
    const expiry = Number.isFinite(expiresAt) ? setTimeout(() => end('expired'), Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1)) : undefined;
    const streams = byToken.get(tokenId) ?? new Set();
    streams.add(end);
    byToken.set(tokenId, streams);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(flush);
      clearInterval(keepAlive);
      clearTimeout(expiry);
      streams.delete(end);
      if (streams.size === 0 && byToken.get(tokenId) === streams) byToken.delete(tokenId);
      events.off('ingest.batch', onBatch);
      for (const [name, fn] of forwarders) events.off(name, fn);
    };
    req.raw.on('close', close);
  });
};
