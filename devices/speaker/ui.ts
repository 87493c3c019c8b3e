import type { KindUi } from '../types.ts';

export const speakerUi: KindUi = {
  telemetry: {
    state: { vi: 'Đang làm gì', en: 'Doing' },
    source: { vi: 'Nguồn phát', en: 'Source' },
    broadcastId: { vi: 'Bản tin đang phát', en: 'Broadcast on air' },
    volume: { vi: 'Âm lượng', en: 'Volume' },
    muted: { vi: 'Tắt tiếng', en: 'Muted' },
    amplifierOn: { vi: 'Bộ khuếch đại bật', en: 'Amplifier on' },
    amplifierTemp: { vi: 'Nhiệt độ bộ khuếch đại', en: 'Amplifier temperature' },
    mainsOk: { vi: 'Có điện lưới', en: 'Mains present' },
    supplyVoltage: { vi: 'Điện áp nguồn', en: 'Supply voltage' },
    signal: { vi: 'Sóng di động', en: 'Mobile signal' },
    networkType: { vi: 'Đường truyền', en: 'Backhaul' },
    firmware: { vi: 'Phiên bản phần mềm', en: 'Firmware' },
  },
  values: {
    state: {
      idle: { vi: 'Chờ', en: 'Idle' },
      playing: { vi: 'Đang phát tệp', en: 'Playing a file' },
      live: { vi: 'Phát trực tiếp', en: 'Live' },
      relay: { vi: 'Tiếp sóng', en: 'Relaying' },
      emergency: { vi: 'Phát khẩn cấp', en: 'Emergency' },
      muted: { vi: 'Tắt tiếng', en: 'Muted' },
      fault: { vi: 'Lỗi', en: 'Fault' },
    },
    networkType: { '4g': { vi: '4G', en: '4G' }, '3g': { vi: '3G', en: '3G' }, ethernet: { vi: 'Cáp mạng', en: 'Ethernet' }, wifi: { vi: 'WiFi', en: 'WiFi' } },
  },
  events: {
    playLog: { vi: 'Nhật ký phát', en: 'Play log' },
    amplifierFault: { vi: 'Lỗi bộ khuếch đại', en: 'Amplifier fault' },
    mainsLost: { vi: 'Mất điện lưới (chạy ắc quy)', en: 'Mains lost (on battery)' },
  },
  commands: {
    // Files and live relays go through the radio page: it pushes the file with its hash and a signed link.
    play: { label: { vi: 'Phát tệp', en: 'Play a file' }, form: false },
    live: { label: { vi: 'Tiếp sóng trực tiếp', en: 'Relay a live stream' }, form: false },
    stop: {
      label: { vi: 'Dừng phát', en: 'Stop' },
      params: { broadcastId: { vi: 'Mã bản tin (để trống: dừng mọi thứ)', en: 'Broadcast id (empty: stop anything)' } },
    },
    volume: { label: { vi: 'Chỉnh âm lượng', en: 'Set volume' }, params: { volume: { vi: 'Âm lượng (%)', en: 'Volume (%)' } } },
    mute: { label: { vi: 'Tắt/bật tiếng', en: 'Mute or unmute' }, params: { muted: { vi: 'Tắt tiếng', en: 'Muted' } } },
  },
};
