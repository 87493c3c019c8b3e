/** Response schemas of the WiFi records (services/wifi) and the province link (services/province). */
import { Type, type Static } from 'typebox';
import { Iso, Nullable, OneOf } from './common.ts';

export const WifiUniqueUsers = Type.Object({
  from: Iso,
  to: Iso,
  sessions: Type.Number(),
  uniqueUsers: Type.Number(),
  bytes: Type.Number(),
  durationS: Type.Number(),
});
export const WifiPoint = Type.Object({
  deviceId: Type.String(),
  sessions: Type.Number(),
  uniqueUsers: Type.Number(),
  bytes: Type.Number(),
  meanDurationS: Nullable(Type.Number()),
});
export type WifiPoint = Static<typeof WifiPoint>;
/** Client and phone fields are keyed hashes (ingest replaced the personal data), never the clear values. */
export const WifiSession = Type.Object({
  deviceId: Type.String(),
  sessionId: Type.String(),
  clientHash: Nullable(Type.String()),
  ssid: Nullable(Type.String()),
  startedAt: Nullable(Iso),
  endedAt: Nullable(Iso),
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
  durationS: Type.Number(),
  endCause: Nullable(Type.String()),
});
export const WifiLogin = Type.Object({
  deviceId: Type.String(),
  sessionId: Type.String(),
  at: Iso,
  clientHash: Nullable(Type.String()),
  phoneHash: Nullable(Type.String()),
  method: Type.String(),
  consentVersion: Type.String(),
  consentPurposes: Type.Array(Type.String()),
  language: Type.String(),
  consentKnown: Type.Boolean(),
});
export const ConsentVersion = Type.Object({
  version: Type.String(),
  textVi: Type.String(),
  textEn: Type.String(),
  purposes: Type.Array(Type.String()),
  publishedAt: Iso,
  publishedBy: Type.String(),
});
/** GET /wifi/portal-logins/summary, /wifi/sessions/open, /wifi/retention (services/wifi/wifi-overview.routes.ts). */
const Count = Type.Integer({ minimum: 0 });
export const LoginSummary = Type.Object({
  from: Type.String(),
  to: Type.String(),
  logins: Count,
  distinctClients: Count,
  withPhone: Type.Integer({ minimum: 0, description: 'logins that gave a phone number (stored as a keyed hash)' }),
  byMethod: Type.Array(Type.Object({ method: Type.String(), logins: Count })),
  byConsentVersion: Type.Array(Type.Object({ version: Type.String(), known: Type.Boolean({ description: 'the version was published here' }), logins: Count })),
  byPurpose: Type.Array(Type.Object({ purpose: Type.String(), logins: Count })),
  byLanguage: Type.Array(Type.Object({ language: Type.String(), logins: Count })),
});
export const OpenNow = Type.Object({
  at: Type.String(),
  staleAfterS: Type.Integer({ description: 'a session silent for longer is not counted (its stop record was lost)' }),
  total: Count,
  items: Type.Array(Type.Object({ deviceId: Type.String(), open: Count })),
});
export const Retention = Type.Object({
  personalRetentionDays: Type.Integer({ description: 'SW_WIFI_PERSONAL_RETENTION_DAYS: sessions and portal logins are removed after this' }),
  rawEventKeepDays: Type.Integer({ description: 'raw session/login events (the fold input) are removed after this' }),
  intervalMs: Type.Integer({ description: 'SW_WIFI_RETENTION_INTERVAL_MS: how often the job runs' }),
});

export const ConsentPublished = Type.Object({ version: Type.String() });
export const RetentionRun = Type.Object({ sessions: Type.Number(), logins: Type.Number(), events: Type.Number(), cutoff: Iso });

export const ProvinceBroadcast = Type.Object({
  id: Type.String(),
  broadcastId: Type.String(),
  priority: OneOf(['normal', 'priority', 'emergency']),
  title: Type.String(),
  audioUrl: Type.String(),
  audioId: Nullable(Type.String()),
  sha256: Type.String(),
  zoneIds: Type.Array(Type.String()),
  clusterIds: Type.Array(Type.String()),
  volume: Nullable(Type.Number()),
  status: OneOf(['awaiting_operator', 'dispatched', 'scheduled', 'declined']),
  receivedAt: Iso,
  receivedFrom: Type.String(),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Iso),
  note: Nullable(Type.String()),
});
export type ProvinceBroadcast = Static<typeof ProvinceBroadcast>;
export const ProvinceReceived = Type.Object({ created: Type.Boolean(), broadcast: ProvinceBroadcast, dispatched: Type.Array(Type.String()) });
export const ProvinceBroadcastBody = Type.Object({ broadcast: ProvinceBroadcast });

/** The export outbox: `enabled: false` alone when no upstream is configured. */
export const ProvinceOutbox = Type.Object({
  enabled: Type.Boolean(),
  pending: Type.Optional(Type.Number()),
  delivered: Type.Optional(Type.Number()),
  rejected: Type.Optional(Type.Number()),
  superseded: Type.Optional(Type.Number()),
  oldestPendingAt: Type.Optional(Nullable(Iso)),
  nextAttemptAt: Type.Optional(Nullable(Iso)),
  lastError: Type.Optional(Nullable(Type.String())),
  upstream: Type.Optional(Type.String()),
  failing: Type.Optional(Type.Boolean()),
});
/** One export pass (the module's `exportNow`, typed `unknown` there): what it put in the outbox. */
export const ProvinceExportRun = Type.Unsafe<unknown>(
  Type.Object(
    { devices: Type.Optional(Type.Number()), indicators: Type.Optional(Type.Number()), enqueued: Type.Optional(Type.Number()) },
    { additionalProperties: true },
  ),
);

/** `GET /settings.json`: what the dashboard needs before login. */
export const DashboardSettings = Type.Object({
  ward: Type.Object({ code: Type.String(), name: Type.String(), timezone: Type.String() }, { additionalProperties: true }),
  map: Type.Object({ tileUrl: Type.String(), attribution: Type.String() }, { additionalProperties: true }),
});
