/** Response schemas of the health module: status rules, summary, uptime, maintenance windows, alarms and webhooks. */
import { Type, type Static } from 'typebox';
import { Bag, Iso, Nullable, Paged, Text } from './common.ts';

export const AlarmSeverity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export const AlarmState = Type.Union([Type.Literal('active'), Type.Literal('acknowledged'), Type.Literal('cleared')]);

/** `GET /health/devices`: devices in fault (an open fault, metric or deviation alarm) or under planned maintenance. */
export const DeviceHealth = Type.Object({
  deviceId: Type.String(),
  health: Type.Union([Type.Literal('fault'), Type.Literal('maintenance')]),
  severity: Nullable(AlarmSeverity),
  rules: Type.Array(Type.String()),
  maintenance: Type.Array(Type.String()),
});
export type DeviceHealth = Static<typeof DeviceHealth>;
export const DeviceHealthList = Type.Object({ at: Iso, items: Type.Array(DeviceHealth) });

const HealthSpecFields = { reportIntervalS: Type.Number(), maxReportIntervalS: Type.Number(), missedReportsOffline: Type.Number() };
export const HealthRule = Type.Object({
  kind: Type.String(),
  ...HealthSpecFields,
  offlineAfterS: Type.Number(),
  overridden: Type.Boolean(),
  defaults: Type.Object(HealthSpecFields),
});

export const HealthSummary = Type.Object({
  kinds: Type.Array(Type.Object({ kind: Type.String(), devices: Type.Number(), online: Type.Number(), offline: Type.Number() })),
  flapping: Type.Array(Type.String()),
  openAlarms: Type.Array(Type.Object({ state: AlarmState, severity: AlarmSeverity, n: Type.Number() })),
  /** The last local day (YYYY-MM-DD) the uptime rollup covers. */
  uptimeRolledUpUntil: Nullable(Type.String()),
});

const UptimeResult = Type.Object({
  upS: Type.Number(),
  downS: Type.Number(),
  unknownS: Type.Number(),
  maintenanceS: Type.Number(),
  changes: Type.Number(),
  availability: Nullable(Type.Number()),
});
const ScopeType = Type.Union([Type.Literal('ward'), Type.Literal('kind'), Type.Literal('zone'), Type.Literal('device')]);
export const Uptime = Type.Object({
  scope: Type.Object({ type: ScopeType, id: Type.String() }),
  from: Iso,
  to: Iso,
  devices: Type.Number(),
  total: UptimeResult,
  byKind: Type.Record(Type.String(), UptimeResult),
  /** With `?devices=true`: one line per device. */
  items: Type.Optional(Type.Array(Type.Object({ deviceId: Type.String(), kind: Type.String(), groupId: Nullable(Type.String()), ...UptimeResult.properties }))),
});

const WindowFields = { id: Type.String(), title: Type.String(), scope: Type.Object({ type: ScopeType, id: Type.String() }), from: Iso, to: Iso };
export const MaintenanceWindow = Type.Object({ ...WindowFields, createdBy: Type.String(), createdAt: Iso });
export type MaintenanceWindow = Static<typeof MaintenanceWindow>;
export const NewMaintenanceWindow = Type.Object(WindowFields);

export const Alarm = Type.Object({
  id: Type.Number(),
  deviceId: Type.String(),
  kind: Type.String(),
  rule: Type.String(),
  severity: AlarmSeverity,
  state: AlarmState,
  message: Text,
  details: Bag,
  raisedAt: Iso,
  lastRaisedAt: Iso,
  occurrences: Type.Number(),
  acknowledgedAt: Nullable(Iso),
  acknowledgedBy: Nullable(Type.String()),
  ackNote: Nullable(Type.String()),
  clearedAt: Nullable(Iso),
  clearedBy: Nullable(Type.String()),
  clearReason: Nullable(Type.String()),
});
export type Alarm = Static<typeof Alarm>;
export const AlarmList = Paged(Alarm);

export const WebhookDelivery = Type.Object({
  id: Type.Number(),
  webhookId: Type.String(),
  alarmId: Type.Number(),
  event: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
  attempts: Type.Number(),
  lastError: Nullable(Type.String()),
  createdAt: Iso,
  sentAt: Nullable(Iso),
});
export const AlarmWithDeliveries = Type.Object({ ...Alarm.properties, deliveries: Type.Array(WebhookDelivery) });

/** A kind's alarm trigger: its `type` and the numbers an operator may tune (free-form beyond `type`). */
const Trigger = Type.Unsafe<{ type: string; [param: string]: unknown }>(Type.Object({ type: Type.String() }, { additionalProperties: true }));
export const AlarmRule = Type.Object({
  kind: Type.String(),
  rule: Type.String(),
  label: Text,
  severity: AlarmSeverity,
  enabled: Type.Boolean(),
  trigger: Trigger,
  defaults: Type.Object({ label: Text, severity: AlarmSeverity, trigger: Trigger, enabled: Type.Optional(Type.Boolean()) }),
  overridden: Type.Boolean(),
});
export type AlarmRule = Static<typeof AlarmRule>;
export const FlappingRule = Type.Object({ severity: AlarmSeverity, enabled: Type.Boolean(), maxChanges: Type.Number(), windowS: Type.Number() });
export const AlarmRules = Type.Object({ items: Type.Array(AlarmRule), flapping: FlappingRule });

export const Webhook = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  minSeverity: AlarmSeverity,
  enabled: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Iso,
});
export type Webhook = Static<typeof Webhook>;
export const NewWebhook = Type.Object({ ...Webhook.properties, secret: Type.String(), note: Type.String() });
