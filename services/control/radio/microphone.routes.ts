/**
 * The operator's microphone as a live source (issue 14: an emergency broadcast had no live microphone). The dashboard
 * records it (MediaRecorder, WebM/Opus) and pushes the chunks over a WebSocket to this path; the live relay fans them
 * out to the clusters, which fetch /radio/live/:id/stream as for any live relay. The WebSocket is authorised by the
 * signed link the broadcast's creator got in the POST /radio/broadcasts answer (a browser cannot put a bearer token on
 * a WebSocket), like the clusters' own file and stream links; opening the socket is a read (GET), the broadcast's
 * creation is the audited action.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../common/logger.ts';
import { isMicSource, microphonePath, type BroadcastService } from './broadcast.service.ts';
import type { LiveRelay } from './live-relay.ts';
import type { UrlSigner } from './url-signer.ts';

const PATH_RE = /^\/api\/v1\/radio\/live\/([a-z0-9][a-z0-9._-]{0,47})\/microphone(?:\?(.*))?$/;
const TYPE_RE = /^audio\/[a-z0-9.+-]+(;\s*codecs="?[a-z0-9.,-]+"?)?$/i;
/** One MediaRecorder chunk at 250 ms of 32–64 kbit/s Opus is ~2 KB; anything near this is not a microphone. */
const MAX_CHUNK_BYTES = 256 * 1024;

export interface MicrophoneDeps {
  broadcasts: BroadcastService;
  relay: LiveRelay;
  signer: UrlSigner;
  log: Logger;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

export const microphoneRoutes =
  (d: MicrophoneDeps): FastifyPluginAsync =>
  async (app) => {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CHUNK_BYTES });
    const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer, id: string, query: URLSearchParams): Promise<void> => {
      const v = d.signer.verify(microphonePath(id), Number(query.get('exp') ?? 0), query.get('sig') ?? '', Date.now());
      if (v !== 'ok') return refuse(socket, 403, v === 'expired' ? 'Link Expired' : 'Bad Signature');
      const b = await d.broadcasts.get(id).catch(() => null);
      if (!b || !isMicSource(b.streamUrl) || b.status !== 'scheduled' || !b.streamUrl) return refuse(socket, 404, 'Not Found');
      const type = query.get('type') ?? 'audio/webm';
      if (!TYPE_RE.test(type)) return refuse(socket, 400, 'Bad Type');
      const url = b.streamUrl;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const sink = d.relay.push(id, url, type);
        d.log.info({ broadcastId: id, type }, 'microphone connected');
        ws.on('message', (data, isBinary) => {
          if (isBinary) sink.write(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]));
        });
        ws.on('close', () => {
          sink.end();
          d.log.info({ broadcastId: id }, 'microphone closed');
        });
        ws.on('error', (err) => d.log.warn({ err, broadcastId: id }, 'microphone socket failed'));
      });
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const m = PATH_RE.exec(req.url ?? '');
      if (!m) {
        // Nobody else answers upgrades on the API port: do not leave the socket hanging.
        if (app.server.listenerCount('upgrade') === 1) socket.destroy();
        return;
      }
      accept(req, socket, head, m[1] ?? '', new URLSearchParams(m[2] ?? '')).catch((err: unknown) => {
        d.log.error({ err }, 'microphone upgrade failed');
        refuse(socket, 500, 'Internal Error');
      });
    };
    app.server.on('upgrade', onUpgrade);
    app.addHook('onClose', async () => {
      app.server.off('upgrade', onUpgrade);
      wss.close();
    });

    // The same path over plain HTTP says what it is (and puts it in the route table and OpenAPI).
    app.get(
      '/radio/live/:id/microphone',
      {
        config: { public: true },
        schema: {
          tags: ['radio'],
          description:
            "WebSocket (Upgrade: websocket) for the microphone of a broadcast created with microphone: true; binary messages are the recorder's chunks; needs the signed link from the creation answer (exp, sig) and the recorder's type.",
          params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,47}$' }) }),
          response: {
            101: { description: 'Switching Protocols: the microphone WebSocket (over an Upgrade request)' },
            426: Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) }),
          },
        },
      },
      async (_req, reply) =>
        reply
          .status(426)
          .header('upgrade', 'websocket')
          .send({ error: { code: 'UPGRADE_REQUIRED', message: 'open this address as a WebSocket' } }),
    );
  };
