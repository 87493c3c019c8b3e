import type { TSchema } from 'typebox';

/** What a telemetry field means over time: a gauge is a reading, a counter only grows (until the device resets it). */
export type MetricMeaning = 'gauge' | 'counter';

export type MetricSpec =
  // A declared range for every number (ingest dead-letters a reading outside it as OUT_OF_RANGE): an undeclared one let
  // a counter take 1e308 and every sum over it turn into nonsense.
  | { type: 'number' | 'integer'; meaning: MetricMeaning; unit: string; min: number; max: number; doc: string }
  | { type: 'boolean'; meaning: 'gauge'; unit: ''; doc: string }
  // Text/enum fields describe state; they are kept in the latest state, not in the numeric time series.
  | { type: 'enum'; values: readonly string[]; unit: ''; doc: string }
  | { type: 'string'; maxLength: number; unit: ''; doc: string };

export interface EventSpec {
  severity: 'info' | 'warning' | 'critical';
  /** A fault is raised (active=true) and later cleared (active=false); other events are one-shot. */
  fault: boolean;
  doc: string;
  /**
   * Fields of `data` that hold personal data (Decree 13/2023/NĐ-CP: a client MAC, a phone number). Ingest replaces each
   * with a keyed hash (HMAC-SHA256 with the service key) before the event is stored anywhere; the clear value is never kept.
   */
  personal?: readonly string[];
}

export interface CommandSpec {
  doc: string;
  /** TypeBox schema of the command's params: validates API input and documents the MQTT payload. */
  params: TSchema;
  /** Seconds the device has to acknowledge before the attempt counts as failed. */
  ackTimeoutS: number;
  /**
   * The command puts the device in a state that must end by itself (a manual override): params[param] must hold a
   * future time at most maxS ahead, unless params[unless.param] is one of unless.values (e.g. a program step).
   */
  expiry?: { param: string; maxS: number; unless?: { param: string; values: readonly string[] } };
}

/** What the lighting service needs to know about a dimmable kind (so nothing outside devices/ names the kind). */
export interface LightingCapability {
  /** Sets the level: params {level 0–100, rampS?, reason?, expiresAt?}. */
  setLevelCommand: string;
  /** Ends a manual override at once; params {}. */
  clearOverrideCommand: string;
  /** Stores a lighting program on the node: params {programId, steps, lat, lon}. */
  setProgramCommand: string;
  /** Telemetry field with the level actually applied (0–100), read from the latest state for drift checks. */
  levelMetric: string;
  /** Cumulative energy counter in kWh. */
  energyMetric: string;
  /** Cumulative lamp burning-hours counter in h. */
  burningHoursMetric: string;
  /** Rated power (W) when the device's asset has no `ratedPowerW`. */
  defaultRatedPowerW: number;
}

/** What the radio service needs to know about a loudspeaker kind. */
export interface BroadcastCapability {
  /** Plays a pushed file: params {broadcastId, url, sha256, priority, volume?, startAt?, durationS?}. */
  playCommand: string;
  /** Relays a live stream: params {broadcastId, streamUrl, priority}. */
  liveCommand: string;
  /** Stops what airs: params {broadcastId?}. */
  stopCommand: string;
  /** Event that reports one airing: data {broadcastId, start, end, result ok|preempted|failed, preemptedBy?}. */
  playLogEvent: string;
}

/**
 * What the WiFi service needs to know about a kind that reports per-user sessions (RADIUS-accounting style) and
 * captive-portal logins. Each event carries data.sessionId; client and phone fields are declared `personal` on the event.
 */
export interface SessionCapability {
  /** data {sessionId, mac, ssid?} */
  startEvent: string;
  /** Interim update: data {sessionId, bytesIn, bytesOut, durationS} */
  updateEvent: string;
  /** data {sessionId, bytesIn, bytesOut, durationS, cause?} */
  stopEvent: string;
  /** data {sessionId, mac, phone?, method, consentVersion, consentPurposes[], language} */
  loginEvent: string;
}

/** How a kind appears upstream as an NGSI-LD entity (FIWARE Smart Data Models; docs/province-link.md). */
export interface NgsiSpec {
  /** Entity type, e.g. Streetlight, WifiAccessPoint, Device. */
  type: string;
  /** Smart Data Models `category` (Device model), when the type is generic. */
  category?: string[];
  /** NGSI-LD properties read from the latest state: attribute → telemetry field (numbers optionally scaled). */
  properties: Record<string, { metric: string; scale?: number }>;
}

/** What the camera service needs to know about a PTZ kind: the commands whose params its PTZ routes accept. */
export interface PtzCapability {
  /** Moves at a velocity: params {pan, tilt, zoom, timeoutS?}. */
  continuousMoveCommand: string;
  /** Moves to a position: params {pan, tilt, zoom}. */
  absoluteMoveCommand: string;
  /** Moves to a stored preset: params {preset}. */
  gotoPresetCommand: string;
}

export interface Capabilities {
  lighting?: LightingCapability;
  broadcast?: BroadcastCapability;
  sessions?: SessionCapability;
  ptz?: PtzCapability;
}

export interface HealthSpec {
  /** Expected seconds between status/telemetry reports in normal operation. */
  reportIntervalS: number;
  /** The longest interval the device may legitimately use (e.g. day-time cadence of a streetlight). */
  maxReportIntervalS: number;
  /** Offline after this many missed reports of the longest interval (DOMAIN.md §2: 2.5). */
  missedReportsOffline: number;
}

/** A phrase in both of the operators' languages (Vietnamese first). */
export interface Text {
  vi: string;
  en: string;
}

/** How a command is offered to an operator on the device page. */
export interface CommandUi {
  label: Text;
  /** Labels of the command's parameters (the form's fields), by parameter name. */
  params?: Record<string, Text>;
  /**
   * false: a feature service composes this command (a lighting program, a broadcast's signed file link); the device page
   * does not offer it as a hand-filled form, the feature's own page does.
   */
  form?: boolean;
}

/**
 * What operators read about a kind: labels of its telemetry, events, enum values and commands (the dashboard shows
 * these instead of raw keys, and builds command forms from the commands' schemas with these labels).
 */
export interface KindUi {
  telemetry: Record<string, Text>;
  events: Record<string, Text>;
  commands: Record<string, CommandUi>;
  /** Labels of enum values, by telemetry field then value (e.g. reason → override → "Điều khiển tay"). */
  values?: Record<string, Record<string, Text>>;
}

export interface DeviceKind {
  /** Stable identifier, also stored in the database. */
  name: string;
  label: { vi: string; en: string };
  /** How the backend talks to it: MQTT devices connect to our broker; ONVIF cameras are polled by us. */
  transport: 'mqtt' | 'onvif';
  /** Device-id prefix used when the service generates ids. */
  idPrefix: string;
  telemetry: Record<string, MetricSpec>;
  events: Record<string, EventSpec>;
  commands: Record<string, CommandSpec>;
  health: HealthSpec;
  /** Roles this kind plays for feature services (lighting, broadcast); absent = none. */
  capabilities?: Capabilities;
  /** Alarm rules for this kind (services/health): defaults operators may tune per ward (thresholds, severity, on/off). */
  alarms?: Record<string, AlarmRuleSpec>;
  /** What the plan's indicators read from this kind (services/health/indicators); absent = only the generic figures. */
  indicators?: IndicatorSpec;
  /** Operator-facing labels (devices/<kind>/ui.ts), sent by GET /kinds. */
  ui: KindUi;
  /** Upstream (province) representation; absent = the kind is not exported. */
  ngsi?: NgsiSpec;
}

/**
 * What opens and clears an alarm. Numeric fields are the tunable thresholds (an operator may override each one).
 * - fault:     the device's own fault event (active=true raises, active=false clears)
 * - offline:   the device has been offline (last-will, disconnect, missed reports, failed probes) for longer than afterS
 * - metric:    a telemetry value is above/below `value` in `consecutive` reports in a row; as many good reports clear it
 * - deviation: a reading strays from what the asset should draw: expected = asset[assetKey] (or defaultValue) ×
 *              scaleMetric/scaleMax; raised when |actual/expected − 1| > tolerance in `consecutive` reports (expected
 *              below minExpected is not judged: a lamp dimmed to 0 draws nothing)
 */
export type AlarmTrigger =
  | { type: 'fault'; event: string }
  | { type: 'offline'; afterS: number }
  | { type: 'metric'; metric: string; op: 'above' | 'below'; value: number; consecutive: number }
  | {
      type: 'deviation';
      metric: string;
      assetKey: string;
      defaultValue: number;
      scaleMetric: string;
      scaleMax: number;
      tolerance: number;
      minExpected: number;
      consecutive: number;
    };

export type AlarmSeverity = 'info' | 'warning' | 'critical';

export interface AlarmRuleSpec {
  label: { vi: string; en: string };
  severity: AlarmSeverity;
  trigger: AlarmTrigger;
  /** Rules may ship disabled (a ward turns them on); default true. */
  enabled?: boolean;
}

/**
 * The kind's part in the ward plan's indicators (DOMAIN.md §6), beyond what `capabilities` already says (energy comes
 * from `capabilities.lighting`, bulletins from `capabilities.broadcast`). Every field is optional.
 */
export interface IndicatorSpec {
  /** The system's name in the plan's wording, for report tables. */
  system: { vi: string; en: string };
  /** Count nodes under remote control (reachable by the central system during the period's last days). */
  remoteControl?: boolean;
  /** Devices that give residential groups (tổ dân phố) a service: points per group and share of groups served. */
  groupCoverage?: boolean;
  /**
   * A counter of user sessions; `uniqueUsersSource` names the shared service (ctx.shared) that counts distinct users
   * from per-user records (services/wifi), null when no per-user data exists.
   */
  sessions?: { metric: string; uniqueUsersSource: string | null };
  /** Byte counters whose deltas are traffic. */
  traffic?: { metrics: string[] };
  /** A boolean telemetry field that says the picture works. */
  snapshot?: { metric: string };
}

export const defineKind = <K extends DeviceKind>(kind: K): K => kind;
