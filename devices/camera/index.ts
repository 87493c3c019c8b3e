import { Type } from 'typebox';
import { cameraUi } from './ui.ts';
import { defineKind } from '../types.ts';

// Cameras do not speak our MQTT: the camera service polls them over ONVIF and records the same telemetry shape.
const velocity = Type.Number({ minimum: -1, maximum: 1 });

export const camera = defineKind({
  name: 'camera',
  label: { vi: 'Camera quan sát tầm cao', en: 'High-mast camera' },
  transport: 'onvif',
  idPrefix: 'cam',
  telemetry: {
    rttMs: { type: 'number', meaning: 'gauge', unit: 'ms', min: 0, max: 600000, doc: 'GetSystemDateAndTime round trip' },
    clockOffsetMs: { type: 'number', meaning: 'gauge', unit: 'ms', min: -1e12, max: 1e12, doc: 'Camera clock minus server clock' },
    snapshotOk: { type: 'boolean', meaning: 'gauge', unit: '', doc: 'Last snapshot probe succeeded' },
    snapshotBytes: { type: 'integer', meaning: 'gauge', unit: 'B', min: 0, max: 1e9, doc: 'Size of the last snapshot' },
  },
  events: {
    unreachable: { severity: 'critical', fault: true, doc: 'Camera does not answer' },
    authFailed: { severity: 'critical', fault: true, doc: 'Camera refuses our credentials' },
    snapshotFailed: { severity: 'warning', fault: true, doc: 'Snapshot probe fails' },
  },
  commands: {
    ptzContinuousMove: {
      doc: 'Move at a velocity until timeoutS or Stop.',
      params: Type.Object(
        { pan: velocity, tilt: velocity, zoom: Type.Optional(velocity), timeoutS: Type.Number({ minimum: 0.1, maximum: 60 }) },
        { additionalProperties: false },
      ),
      ackTimeoutS: 10,
    },
    ptzStop: { doc: 'Stop PTZ movement.', params: Type.Object({}, { additionalProperties: false }), ackTimeoutS: 10 },
    ptzAbsoluteMove: {
      doc: 'Move to an absolute position.',
      params: Type.Object({ pan: velocity, tilt: velocity, zoom: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
      ackTimeoutS: 10,
    },
    ptzGotoPreset: {
      doc: 'Go to a stored preset.',
      params: Type.Object({ preset: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      ackTimeoutS: 10,
    },
  },
  health: { reportIntervalS: 60, maxReportIntervalS: 60, missedReportsOffline: 2.5 },
  capabilities: { ptz: { continuousMoveCommand: 'ptzContinuousMove', absoluteMoveCommand: 'ptzAbsoluteMove', gotoPresetCommand: 'ptzGotoPreset' } },
  alarms: {
    unreachable: { label: { vi: 'Camera không truy cập được', en: 'Camera unreachable' }, severity: 'critical', trigger: { type: 'offline', afterS: 300 } },
    authFailed: {
      label: { vi: 'Camera từ chối đăng nhập', en: 'Camera refuses credentials' },
      severity: 'critical',
      trigger: { type: 'fault', event: 'authFailed' },
    },
    snapshotFailed: {
      label: { vi: 'Không lấy được ảnh chụp', en: 'Snapshot failing' },
      severity: 'warning',
      trigger: { type: 'metric', metric: 'snapshotOk', op: 'below', value: 0.5, consecutive: 3 },
    },
  },
  indicators: { system: { vi: 'Hệ thống camera quan sát tầm cao', en: 'High-mast cameras' }, snapshot: { metric: 'snapshotOk' } },
  ui: cameraUi,
  ngsi: { type: 'Device', category: ['sensor'], properties: { snapshotOk: { metric: 'snapshotOk' } } },
});
