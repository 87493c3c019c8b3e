import type { EventEmitter } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../../auth/auth.service.ts';
import type { ModuleEventName } from '../../modules/events.ts';
import { binary, replies } from '../schemas/common.ts';
import { scopedWards } from '../../auth/ward-scope.ts';

/**
 * Events forwarded to dashboards as they happen (modules emit them on the shared bus; names from its event map,
 * services/modules/events.ts). The stream's emitter is the cluster's live bridge when there is one: other nodes' events
 * arrive there as JSON (dates as text), so it is an untyped emitter, not the modules' typed bus.
 */
export const LIVE_EVENTS = [
  'device.status',
  'command.outcome',
  'alarm.update',
  'broadcast.update',
  'camera.snapshot',
] as const satisfies readonly ModuleEventName[];

/**
 * Server-sent events for live dashboards. Device reports are folded into one `activity` message per second (ids that
 * reported and their new state keys) so a busy ward does not flood a browser; status changes and control events pass
 * through as they come. A comment line every 15 s keeps proxies from closing an idle stream.
 * A stream lives no longer than the token that opened it: it ends at the token's expiry, and at once when the token
 * is revoked (logout, the user disabled or their role changed, the machine token revoked), with a last `revoked` event.
 */
/** The device an event is about, when it names one. */
function deviceOf(data: unknown): string | null {
  const d = data as { deviceId?: unknown; cameraId?: unknown; alarm?: { deviceId?: unknown } } | null;
  const id = d?.deviceId ?? d?.cameraId ?? d?.alarm?.deviceId;
  return typeof id === 'string' ? id : null;
}

/**
 * Province tenancy: a stream opened by a caller limited to some wards carries only events about their devices (the
 * set is re-read every 30 s, so a new device shows within that); events that name no device (a broadcast's progress)
 * are left out of it. Unlimited callers get everything.
 */
function wardFilter(
  devicesOf: ((wards: readonly string[]) => Promise<Set<string>>) | undefined,
  wards: readonly string[] | null,
  log: { error(o: object, m: string): void },
) {
  if (!wards || !devicesOf) return { pass: (_data: unknown) => true, passId: (_id: string) => true, stop: () => undefined };
  let ids = new Set<string>();
  const load = (): void => {
    devicesOf(wards).then(
      (s) => {
        ids = s;
      },
      (err: unknown) => log.error({ err }, 'live stream: the ward device list could not be read'),
    );
  };
  load();
  const timer = setInterval(load, 30_000);
  return {
    pass: (data: unknown) => {
      const id = deviceOf(data);
      return id !== null && ids.has(id);
    },
    passId: (id: string) => ids.has(id),
    stop: () => clearInterval(timer),
  };
}

export const liveRoutes =
  (events: EventEmitter, auth: AuthService, devicesOf?: (wards: readonly string[]) => Promise<Set<string>>): FastifyPluginAsync =>
  async (app) => {
    const byToken = new Map<string, Set<(why: string) => void>>();
    const stopListening = auth.onRevoked(({ tokenIds, why }) => {
      for (const id of tokenIds) for (const end of [...(byToken.get(id) ?? [])]) end(why);
    });
    app.addHook('onClose', async () => stopListening());

    app.get(
      '/live',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['live'],
          hide: true,
          response: replies({
            200: binary(
              ['text/event-stream'],
              'Server-sent events: hello, activity, device.status, command.*, alarm.update, broadcast.update, camera.snapshot, revoked',
            ),
          }),
        },
      },
      async (req, reply) => {
        const filter = wardFilter(devicesOf, scopedWards(), req.log);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(`event: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
        const send = (name: string, data: unknown): void => {
          res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        const pending = new Map<string, Record<string, unknown>>();
        const onBatch = (b: { states: { deviceId: string; state: Record<string, unknown>; lastSeen: string }[] }): void => {
          for (const s of b.states)
            if (filter.passId(s.deviceId)) pending.set(s.deviceId, { ...(pending.get(s.deviceId) ?? {}), ...s.state, lastSeen: s.lastSeen });
        };
        const forwarders = LIVE_EVENTS.map(
          (name) =>
            [
              name,
              (data: unknown) => {
                if (filter.pass(data)) send(name, data);
              },
            ] as const,
        );
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
          filter.stop();
          streams.delete(end);
          if (streams.size === 0 && byToken.get(tokenId) === streams) byToken.delete(tokenId);
          events.off('ingest.batch', onBatch);
          for (const [name, fn] of forwarders) events.off(name, fn);
        };
        req.raw.on('close', close);
      },
    );
  };
