/** Response schemas of the camera routes (services/cameras). */
import { Type, type Static } from 'typebox';
import { Iso, IsoDate, Nullable, Paged } from './common.ts';

export const MediaProfile = Type.Object({
  token: Type.String(),
  name: Type.String(),
  encoding: Type.Optional(Type.String()),
  width: Type.Optional(Type.Number()),
  height: Type.Optional(Type.Number()),
  frameRate: Type.Optional(Type.Number()),
  hasPtz: Type.Boolean(),
});

export const Camera = Type.Object({
  id: Type.String(),
  name: Type.String(),
  wardCode: Type.String(),
  groupId: Nullable(Type.String()),
  zoneIds: Type.Array(Type.String()),
  lat: Nullable(Type.Number()),
  lon: Nullable(Type.Number()),
  address: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  installedAt: Nullable(Iso),
  createdAt: Iso,
  onvif: Type.Object({
    address: Type.String(),
    username: Type.String(),
    profileToken: Nullable(Type.String()),
    deviceInfo: Type.Object({
      manufacturer: Type.String(),
      model: Type.String(),
      firmwareVersion: Type.String(),
      serialNumber: Type.String(),
      hardwareId: Type.String(),
    }),
    profiles: Type.Array(MediaProfile),
    hasPtz: Type.Boolean(),
    verifiedAt: Iso,
    updatedAt: Iso,
  }),
  status: Type.Object({ online: Nullable(Type.Boolean()), lastSeen: Nullable(Iso), changedAt: Nullable(Iso), reason: Nullable(Type.String()) }),
  /** The health poller's view; null before its first round. */
  health: Nullable(
    Type.Object({
      cameraId: Type.String(),
      status: Type.Union([Type.Literal('unknown'), Type.Literal('online'), Type.Literal('offline')]),
      consecutiveFailures: Type.Number(),
      lastSuccessAt: Type.Optional(IsoDate),
      lastCheckAt: Type.Optional(IsoDate),
      lastError: Type.Optional(Type.String()),
    }),
  ),
});
export type Camera = Static<typeof Camera>;
export const CameraList = Paged(Camera);
export const RegisteredCamera = Type.Object({ camera: Camera, note: Type.String() });

export const Discovery = Type.Object({
  bindAddress: Type.String(),
  items: Type.Array(
    Type.Object({
      endpoint: Type.String(),
      xaddrs: Type.Array(Type.String()),
      scopes: Type.Array(Type.String()),
      types: Type.Array(Type.String()),
      from: Type.String(),
      name: Nullable(Type.String()),
      registeredAs: Nullable(Type.String()),
    }),
  ),
});

export const Snapshot = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  takenAt: Iso,
  trigger: Type.Union([Type.Literal('on-demand'), Type.Literal('schedule'), Type.Literal('probe')]),
  requestedBy: Nullable(Type.String()),
  full: Type.Object({
    path: Type.String(),
    format: Type.Union([Type.Literal('jpeg'), Type.Literal('webp')]),
    width: Type.Number(),
    height: Type.Number(),
    bytes: Type.Number(),
  }),
  thumb: Type.Object({ path: Type.String(), width: Type.Number(), height: Type.Number(), bytes: Type.Number() }),
  source: Type.Object({ width: Type.Number(), height: Type.Number(), bytes: Type.Number() }),
});
export const SnapshotList = Paged(Snapshot);

const Position = Type.Object({ pan: Type.Number(), tilt: Type.Number(), zoom: Type.Number() });
export const PtzStatus = Type.Object({
  pan: Type.Number(),
  tilt: Type.Number(),
  zoom: Type.Number(),
  moving: Type.Object({ panTilt: Type.Boolean(), zoom: Type.Boolean() }),
  utcTime: Type.Optional(IsoDate),
});
export const PresetList = Type.Object({
  items: Type.Array(Type.Object({ token: Type.String(), name: Type.String(), position: Type.Optional(Position) })),
  stale: Type.Boolean(),
  at: Iso,
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export const PresetSet = Type.Object({ token: Type.String(), name: Type.String() });
export const PtzDone = Type.Object({ ok: Type.Boolean(), stopsAfterS: Type.Optional(Type.Number()) });
