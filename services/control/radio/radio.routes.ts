import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IdParams, IsoTime, Paging } from '../../api/routes/schemas.ts';
import { AppError, badRequest, notFound } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { Origin } from '../commands/command.types.ts';
import { MAX_AUDIO_BYTES, type AudioService } from './audio.service.ts';
import { microphonePath, type BroadcastService } from './broadcast.service.ts';
import { microphoneRoutes } from './microphone.routes.ts';
import type { LiveRelay } from './live-relay.ts';
import type { RadioReports } from './radio-report.service.ts';
import type { UrlSigner } from './url-signer.ts';
import { binary, Items, NoContent, replies } from '../../api/schemas/common.ts';
import {
  Airtime,
  AudioAsset,
  Broadcast,
  BroadcastCancelled,
  BroadcastCheck,
  BroadcastCreated,
  BroadcastReport,
  BroadcastStopped,
  Conflict,
  ConflictWithMessage,
  PlayLog,
  Preemptions,
  RelayStats,
} from '../../api/schemas/radio.ts';

const AudioFile = replies({ 200: binary(['audio/mpeg', 'audio/wav', 'audio/ogg'], 'The audio file as uploaded; x-content-sha256 is its digest') });

export interface RadioDeps {
  audio: AudioService;
  broadcasts: BroadcastService;
  reports: RadioReports;
  relay: LiveRelay;
  signer: UrlSigner;
  /** Base URL devices fetch audio from (SW_PUBLIC_BASE_URL); empty: the origin the operator's request came to. */
  publicBaseUrl: string;
  log: Logger;
}

const Priority = Type.Union([Type.Literal('normal'), Type.Literal('priority'), Type.Literal('emergency')]);
const BroadcastBody = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,47}$' })),
    title: Type.String({ minLength: 1, maxLength: 256 }),
    priority: Priority,
    audioId: Type.Optional(Id),
    streamUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 1024 })),
    microphone: Type.Optional(
      Type.Boolean({ description: "the operator's microphone, pushed from the dashboard: airs now; the answer carries the WebSocket link (microphone.url)" }),
    ),
    zoneIds: Type.Optional(Type.Array(Id, { maxItems: 200, uniqueItems: true })),
    clusterIds: Type.Optional(Type.Array(Id, { maxItems: 5000, uniqueItems: true })),
    volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    startAt: Type.Optional(IsoTime),
    rrule: Type.Optional(Type.String({ maxLength: 512, description: 'RFC 5545 subset, e.g. FREQ=DAILY;BYHOUR=6,17;BYMINUTE=0' })),
    durationS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'planned length of a live relay' })),
  },
  { additionalProperties: false },
);
const Signed = Type.Object({ exp: Type.Integer({ minimum: 0 }), sig: Type.String({ maxLength: 128 }) }, { additionalProperties: false });
const Period = { from: IsoTime, to: IsoTime };

const origin = (req: FastifyRequest): Origin => ({ actor: req.principal?.actor ?? 'anonymous', role: req.principal?.role ?? null, origin: 'radio' });
const period = (q: { from: string; to: string }): { from: Date; to: Date } => {
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(from < to)) throw badRequest('BAD_PERIOD', "'from' must be before 'to'");
  return { from, to };
};

function checkSignature(signer: UrlSigner, path: string, q: { exp: number; sig: string }): void {
  const v = signer.verify(path, q.exp, q.sig, Date.now());
  if (v === 'bad-signature') throw new AppError('BAD_SIGNATURE', 403, 'this link is not signed by the service');
  if (v === 'expired') throw new AppError('LINK_EXPIRED', 403, 'this link has expired');
}

/** The upload route lives in its own scope: it alone takes raw bodies of any type, counted against the size limit. */
const uploadRoute =
  (audio: AudioService): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (req, payload, done) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      const tooLarge = (n: number): AppError => new AppError('AUDIO_TOO_LARGE', 413, `the file is ${n} bytes or more; at most ${MAX_AUDIO_BYTES} are accepted`);
      if (declared > MAX_AUDIO_BYTES) {
        payload.resume();
        done(tooLarge(declared), undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      let settled = false;
      payload.on('data', (c: Buffer) => {
        if (settled) return;
        n += c.length;
        if (n > MAX_AUDIO_BYTES) {
          settled = true;
          done(tooLarge(n), undefined);
          return;
        }
        chunks.push(c);
      });
      payload.on('end', () => !settled && ((settled = true), done(null, Buffer.concat(chunks))));
      payload.on('error', (err) => !settled && ((settled = true), done(err, undefined)));
    });
    app.post(
      '/radio/audio',
      {
        config: { role: 'operator', action: 'radio.audio.upload' },
        schema: {
          tags: ['radio'],
          description: `Raw file as the body (MP3, WAV or Ogg; checked by content; at most ${MAX_AUDIO_BYTES} bytes)`,
          querystring: Type.Object({ title: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
          response: replies({ 200: AudioAsset, 201: AudioAsset }),
        },
      },
      async (req, reply) => {
        if (!Buffer.isBuffer(req.body)) throw badRequest('EMPTY_UPLOAD', 'send the file itself as the request body');
        if (String(req.headers['content-type'] ?? '').startsWith('multipart/')) {
          throw new AppError('UNSUPPORTED_AUDIO', 415, 'send the file itself as the request body (e.g. curl --data-binary @file.mp3), not as a multipart form');
        }
        const r = await audio.upload(req.body, req.query.title, req.principal?.actor ?? 'anonymous');
        req.auditTarget = { type: 'audio', id: r.asset.id, details: { sha256: r.asset.sha256, bytes: r.asset.sizeBytes, durationS: r.asset.durationS } };
        return reply.status(r.created ? 201 : 200).send(r.asset);
      },
    );
  };

export const radioRoutes =
  (d: RadioDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['radio'];
    await app.register(uploadRoute(d.audio));
    await app.register(microphoneRoutes({ broadcasts: d.broadcasts, relay: d.relay, signer: d.signer, log: d.log }));

    app.get(
      '/radio/audio',
      {
        config: { role: 'viewer' },
        schema: { tags, querystring: Type.Object({ ...Paging }, { additionalProperties: false }), response: replies({ 200: Items(AudioAsset) }) },
      },
      async (req) => ({ items: await d.audio.list(req.query.limit ?? 100, req.query.offset ?? 0) }),
    );
    app.get('/radio/audio/:id', { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: replies({ 200: AudioAsset }) } }, async (req) =>
      d.audio.get(req.params.id),
    );
    app.get('/radio/audio/:id/file', { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: AudioFile } }, async (req, reply) => {
      const f = await d.audio.open(req.params.id);
      return reply.header('content-type', f.asset.mime).header('content-length', f.size).header('x-content-sha256', f.asset.sha256).send(f.stream);
    });
    app.delete(
      '/radio/audio/:id',
      { config: { role: 'operator', action: 'radio.audio.delete' }, schema: { tags, params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'audio', id: req.params.id };
        await d.audio.remove(req.params.id);
        return reply.status(204).send();
      },
    );

    // Clusters fetch files here with the signed link from their play command (docs/control.md § How a cluster authenticates).
    app.get(
      '/radio/files/:id',
      { config: { public: true }, schema: { tags, params: IdParams, querystring: Signed, response: AudioFile } },
      async (req, reply) => {
        checkSignature(d.signer, `/api/v1/radio/files/${req.params.id}`, req.query);
        const f = await d.audio.open(req.params.id);
        return reply
          .header('content-type', f.asset.mime)
          .header('content-length', f.size)
          .header('etag', `"${f.asset.sha256}"`)
          .header('x-content-sha256', f.asset.sha256)
          .send(f.stream);
      },
    );
    app.get(
      '/radio/live/:id/stream',
      {
        config: { public: true },
        schema: {
          tags,
          params: Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,47}$' }) }),
          querystring: Signed,
          response: replies({ 200: binary(['audio/mpeg', 'audio/aac', 'audio/ogg'], 'The live source relayed as it comes (chunked, no end)') }),
        },
      },
      async (req, reply) => {
        checkSignature(d.signer, `/api/v1/radio/live/${req.params.id}/stream`, req.query);
        const b = await d.broadcasts.get(req.params.id);
        if (b.source !== 'live' || !b.streamUrl || b.status === 'cancelled') throw notFound('Live broadcast', req.params.id);
        const s = await d.relay.attach(b.id, b.streamUrl);
        return reply.header('content-type', s.contentType).header('cache-control', 'no-store').send(s.stream);
      },
    );
    app.get('/radio/relay', { config: { role: 'viewer' }, schema: { tags, response: replies({ 200: RelayStats }) } }, async () => ({ items: d.relay.stats() }));

    app.post(
      '/radio/broadcasts',
      { config: { role: 'operator', action: 'radio.broadcast.create' }, schema: { tags, body: BroadcastBody, response: replies({ 201: BroadcastCreated }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'broadcast', id: req.body.id ?? '(new)', details: { priority: req.body.priority, title: req.body.title } };
        const r = await d.broadcasts.create(req.body, origin(req), d.publicBaseUrl || `${req.protocol}://${req.host}`);
        req.auditTarget = {
          type: 'broadcast',
          id: r.broadcast.id,
          details: {
            priority: r.broadcast.priority,
            title: r.broadcast.title,
            clusters: r.clusters.length,
            conflicts: r.conflicts.length,
            dispatched: r.dispatched,
            microphone: req.body.microphone ?? false,
          },
        };
        if (!req.body.microphone) return reply.status(201).send(r);
        // Only the creator learns the link: it stays good for the planned length plus ten minutes.
        const exp = Math.ceil(Date.now() / 1000) + (r.broadcast.durationS ?? 3600) + 600;
        return reply
          .status(201)
          .send({ ...r, microphone: { url: d.signer.sign(microphonePath(r.broadcast.id), exp), expiresAt: new Date(exp * 1000).toISOString() } });
      },
    );
    app.post(
      '/radio/broadcasts/check',
      { config: { role: 'viewer', action: 'radio.broadcast.check' }, schema: { tags, body: BroadcastBody, response: replies({ 200: BroadcastCheck }) } },
      async (req) => {
        req.auditTarget = { type: 'broadcast', id: req.body.id ?? '(check)' };
        return d.broadcasts.check(req.body);
      },
    );
    app.get(
      '/radio/broadcasts',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ status: Type.Optional(Type.String()), priority: Type.Optional(Priority), ...Paging }, { additionalProperties: false }),
          response: replies({ 200: Items(Broadcast) }),
        },
      },
      async (req) => ({
        items: await d.broadcasts.list({
          status: req.query.status,
          priority: req.query.priority,
          limit: req.query.limit ?? 100,
          offset: req.query.offset ?? 0,
        }),
      }),
    );
    const BcParams = Type.Object({ id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,47}$' }) });
    app.get(
      '/radio/broadcasts/:id',
      { config: { role: 'viewer' }, schema: { tags, params: BcParams, response: replies({ 200: BroadcastReport }) } },
      async (req) => d.reports.report(req.params.id),
    );
    app.post(
      '/radio/broadcasts/:id/stop',
      { config: { role: 'operator', action: 'radio.broadcast.stop' }, schema: { tags, params: BcParams, response: replies({ 200: BroadcastStopped }) } },
      async (req) => {
        req.auditTarget = { type: 'broadcast', id: req.params.id };
        return { commands: await d.broadcasts.stop(req.params.id, origin(req)) };
      },
    );
    app.post(
      '/radio/broadcasts/:id/cancel',
      { config: { role: 'operator', action: 'radio.broadcast.cancel' }, schema: { tags, params: BcParams, response: replies({ 200: BroadcastCancelled }) } },
      async (req) => {
        req.auditTarget = { type: 'broadcast', id: req.params.id };
        return d.broadcasts.cancel(req.params.id, origin(req));
      },
    );

    app.get(
      '/radio/conflicts',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])) }, { additionalProperties: false }),
          response: replies({ 200: Items(ConflictWithMessage) }),
        },
      },
      async (req) => ({
        items: await d.broadcasts.conflicts(req.query.status),
      }),
    );
    app.post(
      '/radio/conflicts/:id/resolve',
      {
        config: { role: 'operator', action: 'radio.conflict.resolve' },
        schema: {
          tags,
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
          body: Type.Object({ cancel: Type.Optional(Type.String({ maxLength: 48 })), accept: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: replies({ 200: Conflict }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'broadcast-conflict', id: String(req.params.id), details: req.body };
        return d.broadcasts.resolveConflict(req.params.id, req.body, origin(req));
      },
    );

    app.get(
      '/radio/play-logs',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object(
            {
              broadcast: Type.Optional(Type.String({ maxLength: 48 })),
              cluster: Type.Optional(Id),
              ...Period,
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: Items(PlayLog) }),
        },
      },
      async (req) => ({
        items: await d.reports.playLogs({
          broadcastId: req.query.broadcast,
          clusterIds: req.query.cluster ? [req.query.cluster] : undefined,
          ...period(req.query),
          limit: req.query.limit ?? 1000,
        }),
      }),
    );
    app.get(
      '/radio/airtime',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ ...Period, zone: Type.Optional(Id) }, { additionalProperties: false }),
          response: replies({ 200: Airtime }),
        },
      },
      async (req) => {
        const p = period(req.query);
        return d.reports.airtime(p.from, p.to, req.query.zone);
      },
    );
    app.get(
      '/radio/preemptions',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ ...Period, broadcast: Type.Optional(Type.String({ maxLength: 48 })) }, { additionalProperties: false }),
          response: replies({ 200: Preemptions }),
        },
      },
      async (req) => ({
        items: await d.reports.preemptions({ broadcastId: req.query.broadcast, ...period(req.query) }),
      }),
    );
  };
