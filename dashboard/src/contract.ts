/**
 * The API's answers as the page sees them: types derived (`Static<>`) from the response schemas the routes declare
 * (services/api/schemas), so the page never re-declares a resource. Type-only imports: esbuild drops them and no
 * server code reaches the bundle; the schema files import nothing but typebox.
 */
import type { Static } from 'typebox';
import type * as core from '../../services/api/schemas/core.ts';
import type * as health from '../../services/api/schemas/health.ts';
import type * as control from '../../services/api/schemas/control.ts';
import type * as cameras from '../../services/api/schemas/cameras.ts';
import type * as indicators from '../../services/api/schemas/indicators.ts';

export type Me = Static<typeof core.Me>;
export type User = Static<typeof core.User>;
export type Zone = Static<typeof core.Zone>;
export type Device = Static<typeof core.Device>;
export type Provisioned = Static<typeof core.Provisioned>;
export type Series = Static<typeof core.Series>;

export type Alarm = Static<typeof health.Alarm>;
export type AlarmRule = Static<typeof health.AlarmRule>;
export type Webhook = Static<typeof health.Webhook>;
export type MaintenanceWindow = Static<typeof health.MaintenanceWindow>;
export type DeviceHealth = Static<typeof health.DeviceHealth>;

export type Command = Static<typeof control.Command>;
export type CommandListItem = Static<typeof control.CommandListItem>;
export type Delivery = Static<typeof control.Delivery>;
export type ProgramStep = Static<typeof control.ProgramStep>;
export type Program = Static<typeof control.Program>;
export type CalendarRule = Static<typeof control.CalendarRule>;
export type LightingCalendar = Static<typeof control.LightingCalendar>;
export type Assignment = Static<typeof control.Assignment>;
export type Override = Static<typeof control.Override>;
export type DriftItem = Static<typeof control.DriftItem>;
export type EnergyPoint = Static<typeof control.EnergyPoint>;

export type Camera = Static<typeof cameras.Camera>;

export type Figure = Static<typeof indicators.Figure>;
