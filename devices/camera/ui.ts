import type { KindUi } from '../types.ts';

// PTZ goes through the camera page (ONVIF, not MQTT commands), so no command is offered as a device-page form.
export const cameraUi: KindUi = {
  telemetry: {
    rttMs: { vi: 'Thời gian phản hồi', en: 'Response time' },
    clockOffsetMs: { vi: 'Lệch đồng hồ camera', en: 'Camera clock offset' },
    snapshotOk: { vi: 'Chụp ảnh được', en: 'Snapshot works' },
    snapshotBytes: { vi: 'Dung lượng ảnh gần nhất', en: 'Last snapshot size' },
  },
  events: {
    unreachable: { vi: 'Không truy cập được', en: 'Unreachable' },
    authFailed: { vi: 'Từ chối đăng nhập', en: 'Refuses credentials' },
    snapshotFailed: { vi: 'Không chụp được ảnh', en: 'Snapshot failing' },
  },
  commands: {
    ptzContinuousMove: { label: { vi: 'Quay liên tục', en: 'Continuous move' }, form: false },
    ptzStop: { label: { vi: 'Dừng quay', en: 'Stop' }, form: false },
    ptzAbsoluteMove: { label: { vi: 'Quay tới vị trí', en: 'Move to position' }, form: false },
    ptzGotoPreset: { label: { vi: 'Tới vị trí đặt sẵn', en: 'Go to preset' }, form: false },
  },
};
