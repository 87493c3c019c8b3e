import type { KindUi } from '../types.ts';

// Words of the ward's lighting staff (Phòng KT-HT-ĐT); TALQ names stay in the declaration, these are what they read.
export const streetlightUi: KindUi = {
  telemetry: {
    level: { vi: 'Mức sáng thực tế', en: 'Applied level' },
    targetLevel: { vi: 'Mức sáng đặt', en: 'Target level' },
    voltage: { vi: 'Điện áp nguồn', en: 'Supply voltage' },
    current: { vi: 'Dòng điện', en: 'Current' },
    power: { vi: 'Công suất tác dụng', en: 'Active power' },
    powerFactor: { vi: 'Hệ số công suất', en: 'Power factor' },
    energy: { vi: 'Điện năng tích luỹ', en: 'Energy (cumulative)' },
    operatingHours: { vi: 'Số giờ đèn sáng', en: 'Burning hours' },
    switchCount: { vi: 'Số lần bật đèn', en: 'Switch-on count' },
    temperature: { vi: 'Nhiệt độ bộ điều khiển', en: 'Controller temperature' },
    rssi: { vi: 'Cường độ sóng', en: 'Radio signal' },
    reason: { vi: 'Lý do mức sáng', en: 'Why this level' },
  },
  values: {
    reason: {
      program: { vi: 'Theo chương trình', en: 'Program' },
      override: { vi: 'Điều khiển tay', en: 'Manual override' },
      sensor: { vi: 'Theo cảm biến', en: 'Sensor' },
      default: { vi: 'Mặc định của đèn', en: 'Node default' },
    },
  },
  events: {
    lampFailure: { vi: 'Hỏng bóng đèn', en: 'Lamp failure' },
    dimmingFailure: { vi: 'Lỗi điều chỉnh độ sáng', en: 'Dimming failure' },
    lampPowerTooHigh: { vi: 'Công suất đèn quá cao', en: 'Lamp power too high' },
    lampPowerTooLow: { vi: 'Công suất đèn quá thấp', en: 'Lamp power too low' },
    supplyVoltageTooHigh: { vi: 'Điện áp nguồn quá cao', en: 'Supply voltage too high' },
    supplyVoltageTooLow: { vi: 'Điện áp nguồn quá thấp', en: 'Supply voltage too low' },
    powerFactorTooLow: { vi: 'Hệ số công suất thấp', en: 'Power factor too low' },
    highTemperature: { vi: 'Bộ điều khiển quá nóng', en: 'Controller over temperature' },
    relayFailure: { vi: 'Hỏng rơ-le', en: 'Relay failure' },
    controlGearCommFailure: { vi: 'Mất liên lạc với bộ nguồn đèn', en: 'Driver communication failure' },
    cyclingFailure: { vi: 'Đèn chập chờn', en: 'Lamp cycling' },
    supplyLoss: { vi: 'Mất nguồn điện', en: 'Supply loss' },
    lampUnexpectedOn: { vi: 'Đèn sáng ban ngày', en: 'Day burner' },
    leakageDetected: { vi: 'Rò điện', en: 'Leakage current' },
  },
  commands: {
    // Manual levels go through the lighting service (recorded as overrides with their end), not a raw command.
    setLevel: {
      label: { vi: 'Đặt mức sáng', en: 'Set level' },
      form: false,
      params: {
        level: { vi: 'Mức sáng (%)', en: 'Level (%)' },
        rampS: { vi: 'Chuyển dần (giây)', en: 'Ramp (s)' },
        reason: { vi: 'Lý do', en: 'Reason' },
        expiresAt: { vi: 'Đến lúc', en: 'Until' },
      },
    },
    clearOverride: { label: { vi: 'Trở về chương trình', en: 'Back to program' }, form: false },
    setProgram: { label: { vi: 'Nạp chương trình chiếu sáng', en: 'Store lighting program' }, form: false },
  },
};
