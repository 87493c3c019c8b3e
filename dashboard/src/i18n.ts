/** Vietnamese first, English available. Keys are English phrases' ids; missing English falls back to Vietnamese. */
export type Lang = 'vi' | 'en';

const VI: Record<string, string> = {
  appTitle: 'Phường thông minh',
  login: 'Đăng nhập', logout: 'Đăng xuất', username: 'Tên đăng nhập', password: 'Mật khẩu', loginFailed: 'Sai tên đăng nhập hoặc mật khẩu',
  overview: 'Tổng quan', map: 'Bản đồ', devices: 'Thiết bị', lighting: 'Chiếu sáng', radio: 'Truyền thanh', cameras: 'Camera',
  alarms: 'Cảnh báo', reports: 'Báo cáo', language: 'English',
  online: 'Trực tuyến', offline: 'Mất kết nối', unknown: 'Chưa rõ', total: 'Tổng', all: 'Tất cả',
  kind_streetlight: 'Đèn chiếu sáng', kind_wifi_ap: 'Điểm WiFi', kind_camera: 'Camera', kind_speaker: 'Cụm loa',
  status: 'Trạng thái', lastSeen: 'Lần cuối', name: 'Tên', kind: 'Loại', group: 'Tổ dân phố', zone: 'Khu vực',
  latestState: 'Trạng thái mới nhất', telemetry: 'Số liệu đo', statusHistory: 'Lịch sử kết nối', commands: 'Lệnh đã gửi',
  metric: 'Chỉ số', window: 'Khoảng thời gian', last24h: '24 giờ qua', last7d: '7 ngày qua', last30d: '30 ngày qua',
  noData: 'Chưa có dữ liệu', live: 'Trực tiếp', filter: 'Lọc', search: 'Tìm kiếm', openAlarms: 'Cảnh báo đang mở',
  indicators: 'Chỉ tiêu kỳ này', mapOffline: 'Bản đồ ngoại tuyến: chỉ hiển thị vị trí thiết bị', back: 'Quay lại',
  role_viewer: 'Xem', role_operator: 'Vận hành', role_admin: 'Quản trị', loading: 'Đang tải…', error: 'Lỗi',
  notAvailable: 'Chức năng chưa sẵn sàng trên máy chủ này', since: 'từ', result: 'Kết quả', time: 'Thời gian',
};

const EN: Record<string, string> = {
  appTitle: 'Smart ward',
  login: 'Log in', logout: 'Log out', username: 'Username', password: 'Password', loginFailed: 'Wrong username or password',
  overview: 'Overview', map: 'Map', devices: 'Devices', lighting: 'Lighting', radio: 'Radio', cameras: 'Cameras',
  alarms: 'Alarms', reports: 'Reports', language: 'Tiếng Việt',
  online: 'Online', offline: 'Offline', unknown: 'Unknown', total: 'Total', all: 'All',
  kind_streetlight: 'Streetlights', kind_wifi_ap: 'WiFi points', kind_camera: 'Cameras', kind_speaker: 'Loudspeaker clusters',
  status: 'Status', lastSeen: 'Last seen', name: 'Name', kind: 'Kind', group: 'Residential group', zone: 'Zone',
  latestState: 'Latest state', telemetry: 'Telemetry', statusHistory: 'Connection history', commands: 'Commands sent',
  metric: 'Metric', window: 'Window', last24h: 'Last 24 h', last7d: 'Last 7 days', last30d: 'Last 30 days',
  noData: 'No data yet', live: 'Live', filter: 'Filter', search: 'Search', openAlarms: 'Open alarms',
  indicators: 'This period\u2019s indicators', mapOffline: 'Offline map: device positions only', back: 'Back',
  role_viewer: 'Viewer', role_operator: 'Operator', role_admin: 'Administrator', loading: 'Loading…', error: 'Error',
  notAvailable: 'This feature is not available on this server', since: 'since', result: 'Result', time: 'Time',
};

let lang: Lang = (localStorage.getItem('sw.lang') as Lang | null) ?? 'vi';

export const getLang = (): Lang => lang;

export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem('sw.lang', l);
  document.documentElement.lang = l;
}

export function t(key: string): string {
  return (lang === 'en' ? EN[key] : VI[key]) ?? VI[key] ?? key;
}

/** Adds page-specific strings (pages keep their own words next to their code). */
export function addStrings(vi: Record<string, string>, en: Record<string, string>): void {
  Object.assign(VI, vi);
  Object.assign(EN, en);
}

export const kindLabel = (kind: string): string => t(`kind_${kind.replace('-', '_')}`);
