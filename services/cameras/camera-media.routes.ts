/**
 * Snapshot and PTZ routes. PTZ request bodies are the camera kind's own command schemas (devices/camera), so ranges
 * are declared once; a value out of range is answered 400 CAMERA_PTZ_OUT_OF_RANGE before the camera is contacted.
 * Every PTZ call is audited with its parameters (the onSend hook writes the row; auditTarget names the camera).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TSchema } from 'typebox';
import { IdParams, Paging } from '../api/routes/schemas.ts';
import { badRequest } from '../common/errors.ts';
import type { CameraFeature } from './camera-feature.ts';
import type { PtzCapability } from '../../devices/types.ts';
import type { SnapshotImage } from './camera-snapshot.service.ts';
import { binary, replies } from '../api/schemas/common.ts';
import { PresetList, PresetSet, PtzDone, PtzStatus, Snapshot, SnapshotList } from '../api/schemas/cameras.ts';

const Image = replies({ 200: binary(['image/jpeg', 'image/webp'], 'The snapshot image (JPEG or WebP); x-snapshot-id and x-snapshot-taken-at name it') });

const Size = Type.Object(
  { size: Type.Optional(Type.Union([Type.Literal('thumb'), Type.Literal('full')], { default: 'full' })) },
  { additionalProperties: false },
);
const SnapshotParams = Type.Object({ id: IdParams.properties.id, snapshotId: Type.String({ format: 'uuid' }) });
const PresetBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'overwrite this preset' })),
  },
  { additionalProperties: false },
);

/** The params of the PTZ command the camera kind declares for `role` (devices/camera: capabilities.ptz). */
function commandSchema(f: CameraFeature, role: keyof PtzCapability): TSchema {
  const name = f.kind.capabilities?.ptz?.[role];
  if (!name) throw new Error(`camera kind '${f.kind.name}' declares no PTZ capability '${role}'`);
  const c = f.kind.commands[name];
  if (!c) throw new Error(`camera kind '${f.kind.name}' declares no command '${name}'`);
  return c.params;
}

/** attachValidation lets a range error carry its own code; anything else stays an ordinary VALIDATION error. */
function checkPtzBody(req: FastifyRequest): void {
  const err = req.validationError as (Error & { validation?: { keyword?: string }[] }) | undefined;
  if (!err) return;
  const details = err.validation ?? [];
  const onlyRange = details.length > 0 && details.every((v) => ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].includes(v.keyword ?? ''));
  throw badRequest(onlyRange ? 'CAMERA_PTZ_OUT_OF_RANGE' : 'VALIDATION', err.message, details);
}

function sendImage(reply: FastifyReply, img: SnapshotImage, cache: string): FastifyReply {
  return reply
    .header('content-type', img.contentType)
    .header('cache-control', cache)
    .header('last-modified', new Date(img.snapshot.takenAt).toUTCString())
    .header('x-snapshot-id', img.snapshot.id)
    .header('x-snapshot-taken-at', img.snapshot.takenAt)
    .send(img.body);
}

export const cameraMediaRoutes =
  (f: CameraFeature): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['cameras'];
    const actor = (req: FastifyRequest): string | null => req.principal?.actor ?? null;

    // ---- snapshots -----------------------------------------------------------------------------------------------------
    app.post(
      '/cameras/:id/snapshots',
      { config: { role: 'operator', action: 'camera.snapshot' }, schema: { tags, params: IdParams, response: replies({ 201: Snapshot }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'camera', id: req.params.id };
        const snapshot = await f.snapshots.takeNow(req.params.id, actor(req));
        req.auditTarget.details = { snapshotId: snapshot.id };
        return reply.status(201).send(snapshot);
      },
    );

    app.get(
      '/cameras/:id/snapshots',
      {
        config: { role: 'viewer' },
        schema: { tags, params: IdParams, querystring: Type.Object({ ...Paging }, { additionalProperties: false }), response: replies({ 200: SnapshotList }) },
      },
      async (req) => f.snapshots.list(req.params.id, req.query.limit ?? 100, req.query.offset ?? 0),
    );

    app.get(
      '/cameras/:id/snapshots/latest',
      { config: { role: 'viewer' }, schema: { tags, params: IdParams, querystring: Size, response: Image } },
      async (req, reply) => sendImage(reply, await f.snapshots.image(req.params.id, undefined, req.query.size ?? 'full'), 'private, no-cache'),
    );

    app.get(
      '/cameras/:id/snapshots/:snapshotId',
      { config: { role: 'viewer' }, schema: { tags, params: SnapshotParams, querystring: Size, response: Image } },
      async (req, reply) =>
        // A stored snapshot never changes: browsers may keep it.
        sendImage(reply, await f.snapshots.image(req.params.id, req.params.snapshotId, req.query.size ?? 'full'), 'private, max-age=86400, immutable'),
    );

    // ---- PTZ -----------------------------------------------------------------------------------------------------------
    const ptz = { role: 'operator' as const };
    app.post(
      '/cameras/:id/ptz/move',
      {
        config: { ...ptz, action: 'camera.ptz.move' },
        attachValidation: true,
        schema: { tags, params: IdParams, body: commandSchema(f, 'continuousMoveCommand'), response: replies({ 200: PtzDone }) },
      },
      async (req) => {
        const body = req.body as { pan: number; tilt: number; zoom?: number; timeoutS: number };
        req.auditTarget = { type: 'camera', id: req.params.id, details: { ptz: 'continuous-move', ...body } };
        checkPtzBody(req);
        await f.ptz.move(req.params.id, body);
        return { ok: true, stopsAfterS: body.timeoutS };
      },
    );

    app.post(
      '/cameras/:id/ptz/stop',
      { config: { ...ptz, action: 'camera.ptz.stop' }, schema: { tags, params: IdParams, response: replies({ 200: PtzDone }) } },
      async (req) => {
        req.auditTarget = { type: 'camera', id: req.params.id, details: { ptz: 'stop' } };
        await f.ptz.stop(req.params.id);
        return { ok: true };
      },
    );

    app.post(
      '/cameras/:id/ptz/absolute',
      {
        config: { ...ptz, action: 'camera.ptz.absolute-move' },
        attachValidation: true,
        schema: { tags, params: IdParams, body: commandSchema(f, 'absoluteMoveCommand'), response: replies({ 200: PtzDone }) },
      },
      async (req) => {
        const body = req.body as { pan: number; tilt: number; zoom: number };
        req.auditTarget = { type: 'camera', id: req.params.id, details: { ptz: 'absolute-move', ...body } };
        checkPtzBody(req);
        await f.ptz.absolute(req.params.id, body);
        return { ok: true };
      },
    );

    app.get('/cameras/:id/ptz/status', { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: replies({ 200: PtzStatus }) } }, async (req) =>
      f.ptz.status(req.params.id),
    );

    app.get(
      '/cameras/:id/ptz/presets',
      { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: replies({ 200: PresetList }) } },
      async (req) => f.ptz.presets(req.params.id),
    );

    app.post(
      '/cameras/:id/ptz/presets',
      { config: { ...ptz, action: 'camera.ptz.set-preset' }, schema: { tags, params: IdParams, body: PresetBody, response: replies({ 201: PresetSet }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'camera', id: req.params.id, details: { ptz: 'set-preset', ...req.body } };
        const token = await f.ptz.setPreset(req.params.id, req.body.name, req.body.token);
        return reply.status(201).send({ token, name: req.body.name });
      },
    );

    app.post(
      '/cameras/:id/ptz/goto',
      {
        config: { ...ptz, action: 'camera.ptz.goto-preset' },
        attachValidation: true,
        schema: { tags, params: IdParams, body: commandSchema(f, 'gotoPresetCommand'), response: replies({ 200: PtzDone }) },
      },
      async (req) => {
        const body = req.body as { preset: string };
        req.auditTarget = { type: 'camera', id: req.params.id, details: { ptz: 'goto-preset', preset: body.preset } };
        checkPtzBody(req);
        await f.ptz.gotoPreset(req.params.id, body.preset);
        return { ok: true };
      },
    );
  };
