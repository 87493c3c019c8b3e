/** Response schemas of the radio (loudspeaker) routes: audio files, broadcasts, conflicts, play logs, airtime. */
import { Type, type Static } from 'typebox';
import { Bag, Iso, Nullable, OneOf } from './common.ts';

export const AudioAsset = Type.Object({
  id: Type.String(),
  title: Type.String(),
  format: OneOf(['mp3', 'wav', 'ogg']),
  mime: Type.String(),
  sizeBytes: Type.Number(),
  sha256: Type.String(),
  durationS: Type.Number(),
  detail: Bag,
  uploadedBy: Type.String(),
  createdAt: Iso,
});
export type AudioAsset = Static<typeof AudioAsset>;

const Priority = OneOf(['normal', 'priority', 'emergency']);
export const Broadcast = Type.Object({
  id: Type.String(),
  title: Type.String(),
  priority: Priority,
  requestedAt: Iso,
  source: OneOf(['file', 'live']),
  audioId: Nullable(Type.String()),
  streamUrl: Nullable(Type.String()),
  zoneIds: Type.Array(Type.String()),
  clusterIds: Type.Array(Type.String()),
  volume: Nullable(Type.Number()),
  startsAt: Iso,
  rrule: Nullable(Type.String()),
  durationS: Nullable(Type.Number()),
  status: OneOf(['scheduled', 'done', 'cancelled']),
  baseUrl: Nullable(Type.String()),
  createdBy: Type.String(),
  cancelledAt: Nullable(Iso),
  cancelledBy: Nullable(Type.String()),
});
export type Broadcast = Static<typeof Broadcast>;

/** Another broadcast this one meets on some clusters: it preempts it, yields to it, or they conflict. */
const Clash = Type.Object({
  otherId: Type.String(),
  kind: OneOf(['preempts', 'yields', 'conflict']),
  firstAt: Type.Number(),
  clusters: Type.Array(Type.String()),
});
const Clashes = { conflicts: Type.Array(Clash), willPreempt: Type.Array(Clash), blockedBy: Type.Array(Clash) };
export const BroadcastCheck = Type.Object({ ...Clashes, clusters: Type.Array(Type.String()) });
export const BroadcastCreated = Type.Object({
  broadcast: Broadcast,
  clusters: Type.Array(Type.String()),
  dispatched: Type.Array(Type.String()),
  ...Clashes,
  /** With `microphone: true`: the signed WebSocket link the dashboard streams the microphone to. */
  microphone: Type.Optional(Type.Object({ url: Type.String(), expiresAt: Iso })),
});
export const BroadcastStopped = Type.Object({ commands: Type.Array(Type.String()) });
export const BroadcastCancelled = Type.Object({ broadcast: Broadcast, stopCommands: Type.Array(Type.String()) });

const Preemption = Type.Object({
  at: Iso,
  clusterId: Type.String(),
  broadcastId: Nullable(Type.String()),
  byBroadcastId: Type.String(),
  source: Type.String(),
});
export const Preemptions = Type.Object({ items: Type.Array(Preemption) });

/** `GET /radio/broadcasts/:id`: the broadcast and its delivery report per cluster. */
export const BroadcastReport = Type.Object({
  broadcast: Broadcast,
  summary: Type.Object({
    clusters: Type.Number(),
    acknowledged: Type.Number(),
    airedFully: Type.Number(),
    preempted: Type.Number(),
    failed: Type.Number(),
    airtimeS: Type.Number(),
  }),
  clusters: Type.Array(
    Type.Object({
      clusterId: Type.String(),
      airings: Type.Array(
        Type.Object({
          occurrenceAt: Iso,
          clusterId: Type.String(),
          commandId: Type.String(),
          state: Nullable(Type.String()),
          error: Nullable(Type.String()),
          ackedAt: Nullable(Iso),
        }),
      ),
      playLogs: Type.Array(
        Type.Object({
          start: Nullable(Type.String()),
          end: Nullable(Type.String()),
          result: Nullable(Type.String()),
          preemptedBy: Type.Unknown(),
          reason: Type.Unknown(),
        }),
      ),
      airtimeS: Type.Number(),
    }),
  ),
  preemptions: Type.Array(Preemption),
});

export const Conflict = Type.Object({
  id: Type.Number(),
  broadcastId: Type.String(),
  otherBroadcastId: Type.String(),
  priority: Type.String(),
  firstClashAt: Iso,
  clusterIds: Type.Array(Type.String()),
  status: OneOf(['open', 'resolved']),
  detectedAt: Iso,
  resolvedAt: Nullable(Iso),
  resolvedBy: Nullable(Type.String()),
  resolution: Nullable(Type.String()),
});
export const ConflictWithMessage = Type.Object({ ...Conflict.properties, message: Type.Object({ vi: Type.String(), en: Type.String() }) });

export const RelayStats = Type.Object({ items: Type.Array(Type.Object({ broadcastId: Type.String(), listeners: Type.Number(), bytes: Type.Number() })) });

export const PlayLog = Type.Object({
  clusterId: Type.String(),
  time: Iso,
  broadcastId: Nullable(Type.String()),
  start: Nullable(Type.String()),
  end: Nullable(Type.String()),
  result: Nullable(Type.String()),
  data: Bag,
});

const AirtimeFields = { bulletins: Type.Number(), airtimeS: Type.Number(), ok: Type.Number(), preempted: Type.Number(), failed: Type.Number() };
export const Airtime = Type.Object({
  from: Iso,
  to: Iso,
  clusters: Type.Array(Type.Object({ clusterId: Type.String(), ...AirtimeFields })),
  totals: Type.Object(AirtimeFields),
});
