/** Response schemas of the control module: commands, scheduled commands and lighting (services/control). */
import { Type, type Static } from 'typebox';
import { Bag, Iso, IsoDate, Nullable, OneOf, Text } from './common.ts';

/** A command's addressees (docs/control.md § Targets): `type` and the fields that type takes. */
export const Target = Type.Object({ type: Type.String() }, { additionalProperties: true });

const DeliveryState = OneOf(['queued', 'sent', 'acknowledged', 'failed', 'expired', 'cancelled']);
const Counts = Type.Object({
  queued: Type.Number(),
  sent: Type.Number(),
  acknowledged: Type.Number(),
  failed: Type.Number(),
  expired: Type.Number(),
  cancelled: Type.Number(),
});

export const Command = Type.Object({
  id: Type.String(),
  name: Type.String(),
  params: Bag,
  target: Target,
  origin: Type.String(),
  createdBy: Type.String(),
  createdAt: Iso,
  expiresAt: Iso,
  maxAttempts: Type.Number(),
  deviceCount: Type.Number(),
  cancelledAt: Nullable(Iso),
  cancelledBy: Nullable(Type.String()),
  state: OneOf(['queued', 'sent', 'acknowledged', 'failed', 'expired', 'cancelled', 'partial']),
  stateLabel: Text,
  counts: Counts,
});
export type Command = Static<typeof Command>;

export const Delivery = Type.Object({
  deviceId: Type.String(),
  kind: Type.String(),
  state: DeliveryState,
  attempts: Type.Number(),
  sentAt: Nullable(Iso),
  ackDeadline: Nullable(Iso),
  ackedAt: Nullable(Iso),
  finishedAt: Nullable(Iso),
  ackStatus: Nullable(Type.String()),
  result: Nullable(Bag),
  error: Nullable(Type.String()),
  finalBy: Nullable(Type.Union([Type.Literal('device'), Type.Literal('service')])),
});
export type Delivery = Static<typeof Delivery>;

/** `GET /commands`: with `?device=`, each command carries that device's delivery. */
export const CommandListItem = Type.Object({ ...Command.properties, delivery: Type.Optional(Delivery) });
export type CommandListItem = Static<typeof CommandListItem>;
export const CommandFollow = Type.Object({ command: Command, deliveries: Type.Array(Delivery) });
export const CommandCancelled = Type.Object({ command: Command, cancelled: Type.Number() });
export const CommandSent = Type.Object({ ...Command.properties, skipped: Type.Number(), idempotentReplay: Type.Boolean() });
/** A loudspeaker's live command, aired through the broadcast workflow instead. */
export const CommandRoutedToBroadcast = Type.Object({ routedTo: Type.Literal('broadcast'), broadcastId: Type.String(), commandIds: Type.Array(Type.String()) });

export const Schedule = Type.Object({
  id: Type.String(),
  job: Type.String(),
  ref: Nullable(Type.String()),
  dtstart: IsoDate,
  rrule: Nullable(Type.String()),
  leadS: Type.Number(),
  catchUpS: Type.Number(),
  nextAt: Nullable(IsoDate),
  fireAt: Nullable(IsoDate),
  enabled: Type.Boolean(),
  payload: Bag,
  createdAt: IsoDate,
});
export const ScheduleRun = Type.Object({
  scheduleId: Type.String(),
  occurrenceAt: Iso,
  status: Type.Union([Type.Literal('claimed'), Type.Literal('fired'), Type.Literal('skipped'), Type.Literal('failed')]),
  claimedBy: Type.String(),
  claimedAt: Iso,
  finishedAt: Nullable(Iso),
  latenessMs: Nullable(Type.Number()),
  detail: Bag,
});
export const ScheduleWithRuns = Type.Object({ ...Schedule.properties, runs: Type.Array(ScheduleRun) });

// ---- lighting --------------------------------------------------------------------------------------------------------
export const Site = Type.Object({ lat: Type.Number(), lon: Type.Number(), tz: Type.String() });
export const ProgramStep = Type.Object({
  at: Type.String(),
  offsetMin: Type.Optional(Type.Number()),
  level: Type.Number(),
  rampS: Type.Optional(Type.Number()),
});
export const Program = Type.Object({ id: Type.String(), name: Type.String(), steps: Type.Array(ProgramStep), createdAt: Iso, updatedAt: Iso });
export type Program = Static<typeof Program>;
export const CalendarRule = Type.Object({
  name: Type.Optional(Type.String()),
  from: Type.String(),
  to: Type.String(),
  weekdays: Type.Optional(Type.Array(Type.Number())),
  programId: Type.String(),
});
export const LightingCalendar = Type.Object({
  id: Type.String(),
  name: Type.String(),
  defaultProgramId: Type.String(),
  rules: Type.Array(CalendarRule),
  createdAt: Iso,
  updatedAt: Iso,
});
export type LightingCalendar = Static<typeof LightingCalendar>;
const AssignTargetType = Type.Union([Type.Literal('zone'), Type.Literal('device'), Type.Literal('ward')]);
export const Assignment = Type.Object({
  targetType: AssignTargetType,
  targetId: Type.String(),
  calendarId: Nullable(Type.String()),
  programId: Nullable(Type.String()),
  assignedBy: Type.String(),
  assignedAt: Iso,
});
export type Assignment = Static<typeof Assignment>;
const Pushed = Type.Object({ commands: Type.Array(Type.String()), lights: Type.Number() });
export const SavedProgram = Type.Object({ ...Program.properties, pushed: Pushed });
export const SavedCalendar = Type.Object({ ...LightingCalendar.properties, pushed: Pushed });
export const Assigned = Type.Object({
  assigned: Type.Object({
    targetType: AssignTargetType,
    targetId: Type.String(),
    calendarId: Type.Optional(Type.String()),
    programId: Type.Optional(Type.String()),
  }),
  pushed: Type.Object({ ...Pushed.properties, unassigned: Type.Number() }),
});
/** Commands a lighting action sent, and how many lights they address. */
export const LightingCommands = Type.Object({ commands: Type.Array(Command), lights: Type.Number() });
export const LightingPush = Type.Object({ commands: Type.Array(Command), lights: Type.Number(), unassigned: Type.Number() });

export const Override = Type.Object({
  deviceId: Type.String(),
  level: Type.Number(),
  rampS: Type.Number(),
  startsAt: Iso,
  expiresAt: Iso,
  commandId: Type.String(),
  setBy: Type.String(),
});
export type Override = Static<typeof Override>;
export const SunDays = Type.Object({ site: Site, days: Type.Array(Type.Object({ date: Type.String(), sunrise: Nullable(Iso), sunset: Nullable(Iso) })) });

export const DriftItem = Type.Object({
  deviceId: Type.String(),
  expectedLevel: Nullable(Type.Number()),
  reportedLevel: Nullable(Type.Number()),
  reportedAt: Nullable(Iso),
  delta: Nullable(Type.Number()),
  source: Nullable(Type.Union([Type.Literal('override'), Type.Literal('program')])),
  programId: Nullable(Type.String()),
  assignedVia: Nullable(Type.String()),
  overrideUntil: Nullable(Iso),
  changedAt: Nullable(Iso),
  online: Nullable(Type.Boolean()),
  status: Type.String(),
  statusLabel: Text,
});
export type DriftItem = Static<typeof DriftItem>;
export const Drift = Type.Object({ at: Iso, tolerance: Type.Number(), items: Type.Array(DriftItem) });

export const EnergyPoint = Type.Object({
  bucket: Type.String(),
  usedKWh: Type.Number(),
  baselineKWh: Type.Number(),
  savedKWh: Type.Number(),
  savedPct: Nullable(Type.Number()),
  burningHours: Type.Number(),
  lights: Type.Number(),
});
export type EnergyPoint = Static<typeof EnergyPoint>;
export const Energy = Type.Object({
  formula: Type.String(),
  unit: Type.Literal('kWh'),
  totals: EnergyPoint,
  items: Type.Array(EnergyPoint),
  perLight: Type.Optional(Type.Array(Type.Object({ ...EnergyPoint.properties, deviceId: Type.String() }))),
});
