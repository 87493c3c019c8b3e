import type { EventEmitter } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';

/** Events forwarded to dashboards as they happen (modules emit them on the shared bus). */
export const LIVE_EVENTS = ['device.status', 'command.update', 'command.outcome', 'alarm.update', 'broadcast.update', 'camera.snapshot'] as const;

/**
 * Server-sent events for live dashboards. Device reports are folded into one `activity` message per second (ids that
 * reported and their new state keys) so a busy ward does not flood a browser; status changes and control events pass
 * through as they come. A comment line every 15 s keeps proxies from closing an idle stream.
 */
export const liveRoutes = (events: EventEmitter): FastifyPluginAsync => async (app) => {
  app.get('/live', { config: { role: 'viewer' }, schema: { tags: ['live'], hide: true } }, async (req, reply) => {
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
    const close = (): void => {
      clearInterval(flush);
      clearInterval(keepAlive);
      events.off('ingest.batch', onBatch);
      for (const [name, fn] of forwarders) events.off(name, fn);
    };
    req.raw.on('close', close);
  });
};
