/** Response schemas of the ward plan's indicators, the report and the plan targets (services/health/indicators). */
import { Type, type Static } from 'typebox';
import { Iso, Nullable, Text } from './common.ts';

export const Comparator = Type.Union([Type.Literal('>='), Type.Literal('>'), Type.Literal('<='), Type.Literal('<')]);
const Basis = Type.Union([Type.Literal('plan'), Type.Literal('proposal')]);

export const Figure = Type.Object({
  id: Type.String(),
  /** The device kind the figure is about; null for the whole scope. */
  system: Nullable(Type.String()),
  label: Text,
  value: Nullable(Type.Number()),
  unit: Type.String(),
  note: Type.Optional(Text),
  method: Text,
  target: Type.Optional(
    Type.Object({ period: Type.String(), comparator: Comparator, value: Type.Number(), source: Type.String(), basis: Basis, met: Nullable(Type.Boolean()) }),
  ),
});
export type Figure = Static<typeof Figure>;

export const IndicatorReport = Type.Object({
  ward: Type.Object({ code: Type.String(), name: Type.String() }),
  /** Province tenancy: one ward's report or the province's (every ward it covers). */
  scope: Type.Optional(
    Type.Object({
      kind: Type.Union([Type.Literal('ward'), Type.Literal('province')]),
      wards: Type.Array(Type.Object({ code: Type.String(), name: Type.String() })),
    }),
  ),
  period: Type.Object({
    code: Type.String(),
    type: Type.Union([Type.Literal('month'), Type.Literal('half'), Type.Literal('year')]),
    label: Text,
    from: Iso,
    to: Iso,
    firstDay: Type.String(),
    lastDay: Type.String(),
  }),
  generatedAt: Iso,
  asOf: Iso,
  cutoffDay: Type.String(),
  complete: Type.Boolean(),
  figures: Type.Array(Figure),
  groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), figures: Type.Array(Figure) })),
  emergencies: Type.Object({
    available: Type.Boolean(),
    items: Type.Array(
      Type.Object({ id: Type.String(), title: Type.String(), requestedAt: Iso, firstAirAt: Nullable(Iso), timeToAirS: Nullable(Type.Number()) }),
    ),
  }),
  charts: Type.Object({
    availability: Type.Array(Type.Object({ system: Type.String(), label: Text, value: Nullable(Type.Number()) })),
    energyByMonth: Type.Array(Type.Object({ month: Type.String(), usedKWh: Type.Number(), savedKWh: Type.Number() })),
  }),
});
export type IndicatorReport = Static<typeof IndicatorReport>;

export const PlanTarget = Type.Object({
  wardCode: Type.String(),
  indicator: Type.String(),
  period: Type.String(),
  comparator: Comparator,
  target: Type.Number(),
  source: Type.String(),
  basis: Basis,
  updatedBy: Type.String(),
  updatedAt: Iso,
});
