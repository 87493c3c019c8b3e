/**
 * Camera registry routes: register (admin; the camera is contacted first), list and read (viewer), change the ONVIF
 * connection (admin; re-validated), WS-Discovery (admin). Deleting a camera is DELETE /api/v1/devices/:id.
 * Snapshot and PTZ routes are in camera-media.routes.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Id, IdParams, IsoTime, Paging } from '../api/routes/schemas.ts';
import type { CameraFeature } from './camera-feature.ts';
import { cameraMediaRoutes } from './camera-media.routes.ts';
import { replies } from '../api/schemas/common.ts';
import { Camera, CameraList, Discovery, RegisteredCamera } from '../api/schemas/cameras.ts';

const Lat = Type.Union([Type.Number({ minimum: -90, maximum: 90 }), Type.Null()]);
const Lon = Type.Union([Type.Number({ minimum: -180, maximum: 180 }), Type.Null()]);
const Password = Type.String({ maxLength: 256, description: 'Stored encrypted (AES-256-GCM); never returned' });
const ProfileToken = Type.String({ minLength: 1, maxLength: 64, description: "Media profile for snapshots and PTZ; default: the camera's first" });
const OnvifAddress = Type.String({
  minLength: 8,
  maxLength: 512,
  description: 'ONVIF device service URL (XAddr), e.g. http://10.20.0.31/onvif/device_service; a bare http://host gets that path',
});

const Connection = Type.Object(
  { address: OnvifAddress, username: Type.String({ minLength: 1, maxLength: 128 }), password: Password, profileToken: Type.Optional(ProfileToken) },
  { additionalProperties: false },
);

const RegisterBody = Type.Object(
  {
    id: Type.Optional(Id),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    connection: Connection,
    wardCode: Type.Optional(Type.String({ pattern: '^\\d{5}$', description: 'mã ĐVHC' })),
    groupId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'residential group (tổ dân phố) zone id' })),
    zoneIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    address: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()], { description: 'postal address / location text' })),
    asset: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'mast, height, circuit…; manufacturer/model/serial are read from the camera' }),
    ),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
    installedAt: Type.Optional(Type.Union([IsoTime, Type.Null()])),
  },
  { additionalProperties: false },
);

const ConnectionPatch = Type.Object(
  {
    address: Type.Optional(OnvifAddress),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    password: Type.Optional(Password),
    profileToken: Type.Optional(Type.Union([ProfileToken, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const DiscoverBody = Type.Object(
  {
    bindAddress: Type.Optional(
      Type.String({ maxLength: 45, description: 'Local interface address; must be one of the configured discovery interfaces (default 127.0.0.1)' }),
    ),
    targetAddress: Type.Optional(Type.String({ maxLength: 45, description: 'Unicast IPv4 of a camera, or omit for the WS-Discovery multicast group' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'default 3702' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

const NOTE = 'The camera answered and is registered. Cameras do not use MQTT: no device credentials are issued, and the camera password is stored encrypted.';

export const cameraRoutes =
  (f: CameraFeature): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['cameras'];

    app.post(
      '/cameras',
      { config: { role: 'admin', action: 'camera.register' }, schema: { tags, body: RegisterBody, response: replies({ 201: RegisteredCamera }) } },
      async (req, reply) => {
        const camera = await f.cameras.register(req.body);
        req.auditTarget = { type: 'camera', id: camera.id, details: { onvifAddress: camera.onvif.address, model: camera.onvif.deviceInfo.model } };
        return reply.status(201).send({ camera, note: NOTE });
      },
    );

    app.get(
      '/cameras',
      {
        config: { role: 'viewer' },
        schema: {
          tags,
          querystring: Type.Object({ group: Type.Optional(Id), q: Type.Optional(Type.String({ maxLength: 64 })), ...Paging }, { additionalProperties: false }),
          response: replies({ 200: CameraList }),
        },
      },
      async (req) => f.cameras.list({ groupId: req.query.group, q: req.query.q, limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 }),
    );

    app.get('/cameras/:id', { config: { role: 'viewer' }, schema: { tags, params: IdParams, response: replies({ 200: Camera }) } }, async (req) =>
      f.cameras.get(req.params.id),
    );

    app.patch(
      '/cameras/:id/connection',
      {
        config: { role: 'admin', action: 'camera.update-connection' },
        schema: { tags, params: IdParams, body: ConnectionPatch, response: replies({ 200: Camera }) },
      },
      async (req) => {
        // Field names only: the audit log must never hold the password.
        req.auditTarget = { type: 'camera', id: req.params.id, details: { fields: Object.keys(req.body) } };
        return f.cameras.updateConnection(req.params.id, req.body);
      },
    );

    app.post(
      '/cameras/discover',
      { config: { role: 'admin', action: 'camera.discover' }, schema: { tags, body: DiscoverBody, response: replies({ 200: Discovery }) } },
      async (req) => {
        const r = await f.cameras.discover(req.body ?? {});
        req.auditTarget = { type: 'network', id: r.bindAddress, details: { found: r.items.length, target: req.body?.targetAddress ?? 'multicast' } };
        return r;
      },
    );

    await app.register(cameraMediaRoutes(f));
  };
