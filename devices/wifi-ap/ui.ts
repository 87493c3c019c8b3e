import type { KindUi } from '../types.ts';

export const wifiApUi: KindUi = {
  telemetry: {
    rttMs: { vi: 'Độ trễ tới cổng mạng', en: 'Round trip to gateway' },
    packetLoss: { vi: 'Tỉ lệ mất gói', en: 'Packet loss' },
    clients24: { vi: 'Người dùng 2,4 GHz', en: 'Clients on 2.4 GHz' },
    clients5: { vi: 'Người dùng 5 GHz', en: 'Clients on 5 GHz' },
    rxBytes: { vi: 'Dữ liệu nhận (WAN)', en: 'WAN received' },
    txBytes: { vi: 'Dữ liệu gửi (WAN)', en: 'WAN sent' },
    cpuLoad: { vi: 'Tải CPU (1 phút)', en: 'CPU load (1 min)' },
    memUsed: { vi: 'Bộ nhớ đã dùng', en: 'Memory used' },
    diskUsed: { vi: 'Bộ nhớ flash đã dùng', en: 'Flash used' },
    channelUtil24: { vi: 'Chiếm dụng kênh 2,4 GHz', en: '2.4 GHz channel use' },
    channelUtil5: { vi: 'Chiếm dụng kênh 5 GHz', en: '5 GHz channel use' },
    signal: { vi: 'Sóng 4G', en: '4G signal' },
    sessions: { vi: 'Số phiên truy cập', en: 'Portal sessions' },
    ssidEnabled: { vi: 'Đang phát WiFi công cộng', en: 'Public SSID on' },
    firmware: { vi: 'Phiên bản phần mềm', en: 'Firmware' },
  },
  events: {
    wanDown: { vi: 'Mất đường truyền Internet', en: 'Uplink lost' },
    highLoad: { vi: 'Quá tải CPU/bộ nhớ', en: 'High load' },
    rebooted: { vi: 'Đã khởi động lại', en: 'Rebooted' },
    sessionStart: { vi: 'Bắt đầu phiên truy cập', en: 'Session started' },
    sessionUpdate: { vi: 'Cập nhật phiên truy cập', en: 'Session update' },
    sessionStop: { vi: 'Kết thúc phiên truy cập', en: 'Session ended' },
    portalLogin: { vi: 'Đăng nhập cổng WiFi (đồng ý điều khoản)', en: 'Portal login (consent)' },
  },
  commands: {
    reboot: { label: { vi: 'Khởi động lại', en: 'Reboot' } },
    setSsid: {
      label: { vi: 'Bật/tắt mạng WiFi', en: 'Enable or disable an SSID' },
      params: { ssid: { vi: 'Tên mạng (SSID)', en: 'Network name (SSID)' }, enabled: { vi: 'Bật', en: 'Enabled' } },
    },
  },
};
