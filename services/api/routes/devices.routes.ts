import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEVICE_KINDS } from '../../../devices/index.ts';
import { kindInfo, KindListSchema } from '../../../devices/kind-info.ts';
import type { ApiDeps } from '../context.ts';
import { Id, IdParams, IsoTime, Paging } from './schemas.ts';
import { NoContent, Paged, replies } from '../schemas/common.ts';
import { Device, Provisioned, Rotated } from '../schemas/core.ts';

const Lat = Type.Union([Type.Number({ minimum: -90, maximum: 90 }), Type.Null()]);
const Lon = Type.Union([Type.Number({ minimum: -180, maximum: 180 }), Type.Null()]);
const Editable = {
  name: Type.String({ minLength: 1, maxLength: 128 }),
  wardCode: Type.String({ pattern: '^\\d{5}$', description: 'mã ĐVHC' }),
  groupId: Type.Union([Id, Type.Null()], { description: 'residential group (tổ dân phố) zone id' }),
  zoneIds: Type.Array(Id, { maxItems: 50 }),
  lat: Lat,
  lon: Lon,
  address: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  asset: Type.Record(Type.String(), Type.Unknown(), { description: 'manufacturer, model, serial, ratedPowerW, pole, circuit…' }),
  tags: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }),
  installedAt: Type.Union([IsoTime, Type.Null()]),
};

const CreateBody = Type.Object(
  {
    id: Type.Optional(Id),
    kind: Type.String(),
    name: Editable.name,
    wardCode: Type.Optional(Editable.wardCode),
    groupId: Type.Optional(Editable.groupId),
    zoneIds: Type.Optional(Editable.zoneIds),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    address: Type.Optional(Editable.address),
    asset: Type.Optional(Editable.asset),
    tags: Type.Optional(Editable.tags),
    installedAt: Type.Optional(Editable.installedAt),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    name: Type.Optional(Editable.name),
    wardCode: Type.Optional(Editable.wardCode),
    groupId: Type.Optional(Editable.groupId),
    zoneIds: Type.Optional(Editable.zoneIds),
    lat: Type.Optional(Lat),
    lon: Type.Optional(Lon),
    address: Type.Optional(Editable.address),
    asset: Type.Optional(Editable.asset),
    tags: Type.Optional(Editable.tags),
    installedAt: Type.Optional(Editable.installedAt),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const deviceRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/kinds', { config: { role: 'viewer' }, schema: { tags: ['devices'], response: replies({ 200: KindListSchema }) } }, async () => ({
      items: DEVICE_KINDS.map(kindInfo),
    }));

    app.get(
      '/devices',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['devices'],
          querystring: Type.Object(
            {
              kind: Type.Optional(Type.String()),
              zone: Type.Optional(Id),
              group: Type.Optional(Id),
              ward: Type.Optional(Type.String()),
              tag: Type.Optional(Type.String()),
              q: Type.Optional(Type.String({ maxLength: 64 })),
              ...Paging,
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: Paged(Device) }),
        },
      },
      async (req) => {
        const q = req.query;
        return deps.devices.list({
          kind: q.kind,
          zoneId: q.zone,
          groupId: q.group,
          wardCode: q.ward,
          tag: q.tag,
          q: q.q,
          limit: q.limit ?? 100,
          offset: q.offset ?? 0,
        });
      },
    );

    app.post(
      '/devices',
      { config: { role: 'admin', action: 'device.provision' }, schema: { tags: ['devices'], body: CreateBody, response: replies({ 201: Provisioned }) } },
      async (req, reply) => {
        const r = await deps.devices.provision(req.body);
        req.auditTarget = { type: 'device', id: r.device.id, details: { kind: r.device.kind } };
        const mqtt = { port: deps.mqttPort?.() ?? deps.config.mqtt.port, topicRoot: `sw/v1/${r.device.id}` };
        return reply.status(201).send({ ...r, mqtt, note: 'The password is shown only now; it is stored hashed.' });
      },
    );

    app.get('/devices/:id', { config: { role: 'viewer' }, schema: { tags: ['devices'], params: IdParams, response: replies({ 200: Device }) } }, async (req) =>
      deps.devices.get(req.params.id),
    );

    app.patch(
      '/devices/:id',
      {
        config: { role: 'operator', action: 'device.update' },
        schema: { tags: ['devices'], params: IdParams, body: PatchBody, response: replies({ 200: Device }) },
      },
      async (req) => {
        req.auditTarget = { type: 'device', id: req.params.id, details: { fields: Object.keys(req.body) } };
        return deps.devices.update(req.params.id, req.body);
      },
    );

    app.delete(
      '/devices/:id',
      { config: { role: 'admin', action: 'device.delete' }, schema: { tags: ['devices'], params: IdParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'device', id: req.params.id };
        await deps.devices.remove(req.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/devices/:id/credentials/rotate',
      { config: { role: 'admin', action: 'device.rotate-credentials' }, schema: { tags: ['devices'], params: IdParams, response: replies({ 200: Rotated }) } },
      async (req) => {
        req.auditTarget = { type: 'device', id: req.params.id };
        return {
          credentials: await deps.devices.rotate(req.params.id),
          note: "The new password is shown only now. The old one stopped working at once: the device's live MQTT session was closed.",
        };
      },
    );
  };
