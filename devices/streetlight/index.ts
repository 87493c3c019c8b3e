import { Type } from 'typebox';
import { streetlightUi } from './ui.ts';
import { defineKind, type EventSpec } from '../types.ts';

// Vocabulary from TALQ 2.7.1 (LuminaireAssetFunction / LampActuator / ElectricalMeter) and uCIFI object 3416.
const fault = (severity: EventSpec['severity'], doc: string): EventSpec => ({ severity, fault: true, doc });

const Reason = Type.Union([Type.Literal('program'), Type.Literal('override'), Type.Literal('sensor'), Type.Literal('default')]);
const ProgramStep = Type.Object(
  {
    at: Type.Union([
      Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'fixed local time HH:MM' }),
      Type.Literal('sunset'),
      Type.Literal('sunrise'),
    ]),
    offsetMin: Type.Optional(Type.Integer({ minimum: -180, maximum: 180 })),
    level: Type.Integer({ minimum: 0, maximum: 100 }),
    rampS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  },
  { additionalProperties: false },
);

export const streetlight = defineKind({
  name: 'streetlight',
  label: { vi: 'Đèn chiếu sáng thông minh', en: 'Smart streetlight' },
  transport: 'mqtt',
  idPrefix: 'sl',
  telemetry: {
    level: { type: 'integer', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Light level actually applied (command in action)' },
    targetLevel: { type: 'integer', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Level the node is driving towards' },
    voltage: { type: 'number', meaning: 'gauge', unit: 'V', min: 0, max: 400, doc: 'Supply voltage' },
    current: { type: 'number', meaning: 'gauge', unit: 'A', min: 0, max: 20, doc: 'Supply current' },
    power: { type: 'number', meaning: 'gauge', unit: 'W', min: 0, max: 2000, doc: 'Active power' },
    powerFactor: { type: 'number', meaning: 'gauge', unit: '', min: 0, max: 1, doc: 'Power factor' },
    energy: { type: 'number', meaning: 'counter', unit: 'kWh', min: 0, max: 1_000_000, doc: 'Cumulative active energy (resets when the node is replaced)' },
    operatingHours: { type: 'number', meaning: 'counter', unit: 'h', min: 0, max: 500_000, doc: 'Cumulative lamp burning hours' },
    switchCount: { type: 'integer', meaning: 'counter', unit: '', min: 0, max: 100_000_000, doc: 'Lamp switch-on counter' },
    temperature: { type: 'number', meaning: 'gauge', unit: '°C', min: -40, max: 150, doc: 'Controller temperature' },
    rssi: { type: 'number', meaning: 'gauge', unit: 'dBm', min: -150, max: 0, doc: 'Radio signal strength' },
    reason: { type: 'enum', values: ['program', 'override', 'sensor', 'default'], unit: '', doc: 'Why the current level applies' },
  },
  events: {
    lampFailure: fault('critical', 'Lamp does not light (power ≈ 0 while on)'),
    dimmingFailure: fault('warning', 'Level does not follow the dimming command'),
    lampPowerTooHigh: fault('warning', 'Power above the rated range for this level'),
    lampPowerTooLow: fault('warning', 'Power below the rated range for this level'),
    supplyVoltageTooHigh: fault('warning', 'Supply voltage above limit'),
    supplyVoltageTooLow: fault('warning', 'Supply voltage below limit'),
    powerFactorTooLow: fault('warning', 'Power factor below limit'),
    highTemperature: fault('warning', 'Controller over temperature'),
    relayFailure: fault('critical', 'Relay stuck or not switching'),
    controlGearCommFailure: fault('critical', 'Node cannot talk to the driver (DALI/0-10 V)'),
    cyclingFailure: fault('warning', 'Lamp cycling on and off'),
    supplyLoss: fault('critical', 'Mains supply lost'),
    lampUnexpectedOn: fault('warning', 'Day burner: lamp on while scheduled off'),
    leakageDetected: fault('critical', 'Leakage current detected'),
  },
  commands: {
    setLevel: {
      doc: 'Switch or dim the lamp. An override must carry expiresAt, after which the program resumes.',
      params: Type.Object(
        {
          level: Type.Integer({ minimum: 0, maximum: 100 }),
          rampS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
          reason: Type.Optional(Reason),
          expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
      ackTimeoutS: 10,
      // DOMAIN.md §2: an override always carries its end, so a forgotten override cannot burn all night; 24 h at most.
      expiry: { param: 'expiresAt', maxS: 86_400, unless: { param: 'reason', values: ['program', 'sensor', 'default'] } },
    },
    clearOverride: { doc: 'End a manual override now; the program resumes.', params: Type.Object({}, { additionalProperties: false }), ackTimeoutS: 10 },
    setProgram: {
      doc: 'Store a lighting program on the node so it keeps running it while the backhaul is down.',
      params: Type.Object(
        { programId: Type.String({ maxLength: 64 }), steps: Type.Array(ProgramStep, { minItems: 1, maxItems: 24 }), lat: Type.Number(), lon: Type.Number() },
        { additionalProperties: false },
      ),
      ackTimeoutS: 15,
    },
  },
  // DOMAIN.md §2: status every 15 min at night, 60 min by day; offline after 2.5 missed reports.
  health: { reportIntervalS: 900, maxReportIntervalS: 3600, missedReportsOffline: 2.5 },
  capabilities: {
    lighting: {
      setLevelCommand: 'setLevel',
      clearOverrideCommand: 'clearOverride',
      setProgramCommand: 'setProgram',
      levelMetric: 'level',
      energyMetric: 'energy',
      burningHoursMetric: 'operatingHours',
      // A typical 100 W LED road luminaire; set asset.ratedPowerW per device for real figures.
      defaultRatedPowerW: 100,
    },
  },
  // Alarm defaults (services/health): a ward tunes thresholds and severities through the alarm-rules API.
  alarms: {
    lampFailure: { label: { vi: 'Hỏng bóng đèn', en: 'Lamp failure' }, severity: 'critical', trigger: { type: 'fault', event: 'lampFailure' } },
    dayBurner: { label: { vi: 'Đèn sáng ban ngày', en: 'Day burner' }, severity: 'warning', trigger: { type: 'fault', event: 'lampUnexpectedOn' } },
    supplyLoss: { label: { vi: 'Mất nguồn điện', en: 'Supply loss' }, severity: 'critical', trigger: { type: 'fault', event: 'supplyLoss' } },
    relayFailure: { label: { vi: 'Hỏng rơ-le', en: 'Relay failure' }, severity: 'critical', trigger: { type: 'fault', event: 'relayFailure' } },
    leakage: { label: { vi: 'Rò điện', en: 'Leakage current' }, severity: 'critical', trigger: { type: 'fault', event: 'leakageDetected' } },
    // Power more than 30 % away from rated power × level in three reports in a row (a dimmed-off lamp is not judged).
    energyAnomaly: {
      label: { vi: 'Bất thường điện năng', en: 'Energy anomaly' },
      severity: 'warning',
      trigger: {
        type: 'deviation',
        metric: 'power',
        assetKey: 'ratedPowerW',
        defaultValue: 100,
        scaleMetric: 'level',
        scaleMax: 100,
        tolerance: 0.3,
        minExpected: 5,
        consecutive: 3,
      },
    },
    // Detection itself takes 2.5 × 60 min (health above); the alarm follows 15 min later.
    offline: { label: { vi: 'Bộ điều khiển mất kết nối', en: 'Controller offline' }, severity: 'warning', trigger: { type: 'offline', afterS: 900 } },
  },
  indicators: { system: { vi: 'Hệ thống chiếu sáng thông minh (Smart Light)', en: 'Smart lighting' }, remoteControl: true },
  ui: streetlightUi,
  // FIWARE Streetlight: illuminanceLevel is 0..1.
  ngsi: {
    type: 'Streetlight',
    properties: { illuminanceLevel: { metric: 'level', scale: 0.01 }, powerConsumption: { metric: 'power' }, energyConsumed: { metric: 'energy' } },
  },
});
