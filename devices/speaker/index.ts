import { Type } from 'typebox';
import { speakerUi } from './ui.ts';
import { defineKind } from '../types.ts';

// IP loudspeaker cluster (cụm thu phát thanh), Circular 39/2020/TT-BTTTT. Priorities: normal < priority < emergency.
const Priority = Type.Union([Type.Literal('normal'), Type.Literal('priority'), Type.Literal('emergency')]);

export const speaker = defineKind({
  name: 'speaker',
  label: { vi: 'Cụm loa truyền thanh', en: 'IP loudspeaker cluster' },
  transport: 'mqtt',
  idPrefix: 'spk',
  telemetry: {
    state: { type: 'enum', values: ['idle', 'playing', 'live', 'relay', 'emergency', 'muted', 'fault'], unit: '', doc: 'What the cluster is doing' },
    source: { type: 'string', maxLength: 256, unit: '', doc: 'What it plays (file, stream, relay)' },
    broadcastId: { type: 'string', maxLength: 64, unit: '', doc: 'Broadcast being aired' },
    volume: { type: 'integer', meaning: 'gauge', unit: '%', min: 0, max: 100, doc: 'Output volume' },
    muted: { type: 'boolean', meaning: 'gauge', unit: '', doc: 'Output muted' },
    amplifierOn: { type: 'boolean', meaning: 'gauge', unit: '', doc: 'Amplifier powered' },
    amplifierTemp: { type: 'number', meaning: 'gauge', unit: '°C', min: -40, max: 150, doc: 'Amplifier temperature' },
    mainsOk: { type: 'boolean', meaning: 'gauge', unit: '', doc: 'Mains present' },
    supplyVoltage: { type: 'number', meaning: 'gauge', unit: 'V', min: 0, max: 400, doc: 'Supply voltage' },
    signal: { type: 'number', meaning: 'gauge', unit: 'dBm', min: -150, max: 0, doc: 'Mobile network signal' },
    networkType: { type: 'enum', values: ['4g', '3g', 'ethernet', 'wifi'], unit: '', doc: 'Backhaul' },
    firmware: { type: 'string', maxLength: 64, unit: '', doc: 'Firmware version' },
  },
  events: {
    playLog: { severity: 'info', fault: false, doc: 'A broadcast ended: {broadcastId, start, end, result ok|preempted|failed}' },
    amplifierFault: { severity: 'critical', fault: true, doc: 'Amplifier fault' },
    mainsLost: { severity: 'warning', fault: true, doc: 'Running on battery' },
  },
  commands: {
    play: {
      doc: 'Play a pushed file at startAt (or now).',
      params: Type.Object(
        {
          broadcastId: Type.String({ maxLength: 64 }),
          url: Type.String({ maxLength: 1024 }),
          sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
          priority: Priority,
          volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
          startAt: Type.Optional(Type.String({ format: 'date-time' })),
          // Length of the file as the server read it from the header, so the cluster knows when the airing ends.
          durationS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
        },
        { additionalProperties: false },
      ),
      ackTimeoutS: 15,
    },
    stop: {
      doc: 'Stop what is playing.',
      params: Type.Object({ broadcastId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
      ackTimeoutS: 10,
    },
    volume: {
      doc: 'Set output volume.',
      params: Type.Object({ volume: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
      ackTimeoutS: 10,
    },
    mute: { doc: 'Mute or unmute.', params: Type.Object({ muted: Type.Boolean() }, { additionalProperties: false }), ackTimeoutS: 10 },
    live: {
      doc: 'Relay a live stream.',
      params: Type.Object(
        { broadcastId: Type.String({ maxLength: 64 }), streamUrl: Type.String({ maxLength: 1024 }), priority: Priority },
        { additionalProperties: false },
      ),
      ackTimeoutS: 15,
    },
  },
  health: { reportIntervalS: 60, maxReportIntervalS: 60, missedReportsOffline: 2.5 },
  capabilities: {
    broadcast: { playCommand: 'play', liveCommand: 'live', stopCommand: 'stop', playLogEvent: 'playLog' },
  },
  alarms: {
    amplifierFault: { label: { vi: 'Lỗi bộ khuếch đại', en: 'Amplifier fault' }, severity: 'critical', trigger: { type: 'fault', event: 'amplifierFault' } },
    mainsLost: {
      label: { vi: 'Mất điện lưới (chạy ắc quy)', en: 'Mains lost (on battery)' },
      severity: 'warning',
      trigger: { type: 'fault', event: 'mainsLost' },
    },
    offline: { label: { vi: 'Cụm loa mất kết nối', en: 'Cluster offline' }, severity: 'critical', trigger: { type: 'offline', afterS: 600 } },
  },
  indicators: { system: { vi: 'Đài truyền thanh cơ sở ứng dụng CNTT-VT', en: 'IP loudspeaker clusters' } },
  ui: speakerUi,
  ngsi: { type: 'Device', category: ['actuator'], properties: { volume: { metric: 'volume' }, deviceState: { metric: 'state' } } },
});
