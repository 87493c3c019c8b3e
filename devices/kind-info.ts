/**
 * What `GET /kinds` says about each kind: the declaration's telemetry, events, commands (with their parameter schemas)
 * and capabilities, joined with the operators' labels. One schema serves the route's response and the dashboard's type
 * (dashboard/src/kinds.ts imports the type), so the dashboard never re-declares it nor names a kind or a command.
 */
import { Type, type Static } from 'typebox';
import type { DeviceKind } from './types.ts';

const TextSchema = Type.Object({ vi: Type.String(), en: Type.String() });

const MetricInfo = Type.Object({
  type: Type.String(),
  meaning: Type.Optional(Type.String()),
  unit: Type.String(),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  values: Type.Optional(Type.Array(Type.String())),
  /** Longest value of a `string` metric. */
  maxLength: Type.Optional(Type.Number()),
  doc: Type.String(),
  label: TextSchema,
  /** Labels of enum values. */
  valueLabels: Type.Optional(Type.Record(Type.String(), TextSchema)),
});

const EventInfo = Type.Object({
  severity: Type.String(),
  fault: Type.Boolean(),
  doc: Type.String(),
  /** Fields of the event's data that ingest replaces by keyed hashes (personal data). */
  personal: Type.Optional(Type.Array(Type.String())),
  label: TextSchema,
});

const CommandInfo = Type.Object({
  doc: Type.String(),
  label: TextSchema,
  /** JSON Schema of the parameters (TypeBox), from which the dashboard builds the form. */
  params: Type.Unknown(),
  paramLabels: Type.Record(Type.String(), TextSchema),
  /** false: sent by a feature page (lighting, radio, cameras), not offered as a form on the device page. */
  form: Type.Boolean(),
  ackTimeoutS: Type.Number(),
});

export const KindInfoSchema = Type.Object({
  name: Type.String(),
  label: TextSchema,
  transport: Type.String(),
  idPrefix: Type.String(),
  telemetry: Type.Record(Type.String(), MetricInfo),
  events: Type.Record(Type.String(), EventInfo),
  commands: Type.Record(Type.String(), CommandInfo),
  /** Roles the kind plays for feature pages: `lighting` (dimmable lights), `broadcast` (loudspeaker clusters). */
  capabilities: Type.Object({
    lighting: Type.Optional(Type.Unknown()),
    broadcast: Type.Optional(Type.Unknown()),
    sessions: Type.Optional(Type.Unknown()),
    ptz: Type.Optional(Type.Unknown()),
  }),
  health: Type.Object({ reportIntervalS: Type.Number(), maxReportIntervalS: Type.Number(), missedReportsOffline: Type.Number() }),
  /** The kind's alarm rules by rule name: label, default severity and trigger type (fault, offline, metric, deviation). */
  alarms: Type.Record(Type.String(), Type.Object({ label: TextSchema, severity: Type.String(), trigger: Type.String() })),
});
export const KindListSchema = Type.Object({ items: Type.Array(KindInfoSchema) });

export type KindInfo = Static<typeof KindInfoSchema>;
export type KindTextInfo = Static<typeof TextSchema>;

const fallback = (name: string): { vi: string; en: string } => ({ vi: name, en: name });

export function kindInfo(k: DeviceKind): KindInfo {
  const ui = k.ui;
  return {
    name: k.name,
    label: k.label,
    transport: k.transport,
    idPrefix: k.idPrefix,
    telemetry: Object.fromEntries(
      Object.entries(k.telemetry).map(([n, m]) => {
        const valueLabels = ui.values?.[n];
        return [n, { ...m, values: 'values' in m ? [...m.values] : undefined, label: ui.telemetry[n] ?? fallback(n), ...(valueLabels ? { valueLabels } : {}) }];
      }),
    ),
    events: Object.fromEntries(
      Object.entries(k.events).map(([n, { personal, ...e }]) => [
        n,
        { ...e, ...(personal ? { personal: [...personal] } : {}), label: ui.events[n] ?? fallback(n) },
      ]),
    ),
    commands: Object.fromEntries(
      Object.entries(k.commands).map(([n, c]) => {
        const cu = ui.commands[n];
        return [
          n,
          { doc: c.doc, label: cu?.label ?? fallback(n), params: c.params, paramLabels: cu?.params ?? {}, form: cu?.form ?? true, ackTimeoutS: c.ackTimeoutS },
        ];
      }),
    ),
    capabilities: {
      ...(k.capabilities?.lighting ? { lighting: k.capabilities.lighting } : {}),
      ...(k.capabilities?.broadcast ? { broadcast: k.capabilities.broadcast } : {}),
      ...(k.capabilities?.sessions ? { sessions: k.capabilities.sessions } : {}),
      ...(k.capabilities?.ptz ? { ptz: k.capabilities.ptz } : {}),
    },
    health: k.health,
    alarms: Object.fromEntries(Object.entries(k.alarms ?? {}).map(([n, a]) => [n, { label: a.label, severity: a.severity, trigger: a.trigger.type }])),
  };
}
