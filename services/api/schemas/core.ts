/** Response schemas of the core API: sign-in, users and tokens, devices, zones, telemetry reads, audit, status. */
import { Type, type Static } from 'typebox';
import { Bag, Iso, Nullable } from './common.ts';

export const RoleName = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: RoleName,
  disabled: Type.Boolean(),
  createdAt: Iso,
});
export type User = Static<typeof User>;

export const Login = Type.Object({ token: Type.String(), expiresAt: Iso, user: User });

/** Who the caller is (`GET /auth/me`). */
export const Me = Type.Object({
  actor: Type.String(),
  userId: Nullable(Type.String()),
  role: RoleName,
  tokenId: Type.String(),
  via: Type.Union([Type.Literal('session'), Type.Literal('api')]),
  expiresAt: Type.Optional(Nullable(Iso)),
  /** Province tenancy: every ward (admins, province-wide users), or the wards the user belongs to. */
  scope: Type.Optional(Type.Union([Type.Object({ all: Type.Literal(true) }), Type.Object({ all: Type.Literal(false), wards: Type.Array(Type.String()) })])),
});
export type Me = Static<typeof Me>;

const TokenFields = {
  id: Type.String(),
  userId: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('session'), Type.Literal('api')]),
  name: Type.String(),
  role: RoleName,
  createdAt: Iso,
  expiresAt: Nullable(Iso),
  lastUsedAt: Nullable(Iso),
};
export const ApiToken = Type.Object({ ...TokenFields, owner: Nullable(Type.String()) });
export const NewApiToken = Type.Object({ token: Type.String(), ...TokenFields, note: Type.String() });

export const Device = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  wardCode: Type.String(),
  groupId: Nullable(Type.String()),
  zoneIds: Type.Array(Type.String()),
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
  address: Nullable(Type.String()),
  asset: Bag,
  tags: Type.Array(Type.String()),
  installedAt: Nullable(Iso),
  createdAt: Iso,
  updatedAt: Iso,
});
export type Device = Static<typeof Device>;

export const Credentials = Type.Object({ clientId: Type.String(), username: Type.String(), password: Type.String() });
export const Provisioned = Type.Object({
  device: Device,
  credentials: Credentials,
  mqtt: Type.Object({ port: Type.Number(), topicRoot: Type.String() }),
  note: Type.String(),
});
export type Provisioned = Static<typeof Provisioned>;
export const Rotated = Type.Object({ credentials: Credentials, note: Type.String() });

export const ZoneKind = Type.Union([Type.Literal('residential_group'), Type.Literal('lighting_zone'), Type.Literal('broadcast_zone'), Type.Literal('area')]);
export const Zone = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: ZoneKind,
  wardCode: Type.String(),
  parentId: Nullable(Type.String()),
  deviceCount: Type.Number(),
  createdAt: Iso,
});
export type Zone = Static<typeof Zone>;

/** A device's latest state as the registry and ingest know it. */
export const DeviceState = Type.Object({
  deviceId: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  groupId: Nullable(Type.String()),
  online: Nullable(Type.Boolean()),
  lastSeen: Nullable(Iso),
  stateAt: Nullable(Iso),
  statusChangedAt: Nullable(Iso),
  statusReason: Nullable(Type.String()),
  state: Bag,
});
export type DeviceState = Static<typeof DeviceState>;

/** `GET /fleet`: rows as arrays in the order of `fields`. */
export const Fleet = Type.Object({ fields: Type.Array(Type.String()), items: Type.Array(Type.Array(Type.Unknown())) });

export const SeriesPoint = Type.Object({ bucket: Iso, value: Nullable(Type.Number()), count: Type.Number() });
export const Series = Type.Object({
  deviceId: Type.String(),
  metric: Type.String(),
  unit: Type.String(),
  meaning: Type.Union([Type.Literal('gauge'), Type.Literal('counter')]),
  agg: Type.String(),
  bucket: Type.String(),
  from: Iso,
  to: Iso,
  points: Type.Array(SeriesPoint),
});
export type Series = Static<typeof Series>;

export const DeviceEvent = Type.Object({ time: Iso, event: Type.String(), active: Nullable(Type.Boolean()), severity: Type.String(), data: Bag });
export const StatusChange = Type.Object({ time: Iso, online: Type.Boolean(), reason: Type.String() });
export const DeadLetter = Type.Object({
  id: Type.Number(),
  receivedAt: Iso,
  deviceId: Nullable(Type.String()),
  topic: Type.String(),
  reasonCode: Type.String(),
  reason: Type.String(),
  payload: Nullable(Type.String()),
  payloadSize: Type.Number(),
});

export const AuditRecord = Type.Object({
  id: Type.Number(),
  at: Iso,
  actor: Type.String(),
  actorRole: Nullable(Type.String()),
  action: Type.String(),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  result: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  details: Bag,
  ip: Nullable(Type.String()),
  /** The ward the action was about (province tenancy), when it was about one. */
  wardCode: Type.Optional(Nullable(Type.String())),
});

export const ServiceStatus = Type.Object(
  {
    database: Type.String(),
    flavour: Type.String(),
    mqttConnections: Type.Number(),
    spooling: Type.Boolean(),
    spooledBatches: Type.Number(),
    ward: Type.Object({ code: Type.String(), name: Type.String(), timezone: Type.String() }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);
export const Readiness = Type.Object(
  { ready: Type.Boolean(), status: Type.Optional(Type.String()), checks: Type.Record(Type.String(), Type.String()) },
  { additionalProperties: true },
);

/** A ward of the deployment (province tenancy). */
export const Ward = Type.Object({ code: Type.String(), name: Type.String(), provinceCode: Type.String(), devices: Type.Integer(), zones: Type.Integer() });
export type Ward = Static<typeof Ward>;

/** Which wards a user sees: every ward (province-wide) or those listed. */
export const WardMembership = Type.Object({ username: Type.String(), role: RoleName, province: Type.Boolean(), wards: Type.Array(Type.String()) });
