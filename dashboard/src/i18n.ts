/** Vietnamese first, English available. Keys are English phrases' ids; missing English falls back to Vietnamese. */
export type Lang = 'vi' | 'en';

const VI: Record<string, string> = {
  appTitle: 'Phường thông minh',
  login: 'Đăng nhập',
  logout: 'Đăng xuất',
  username: 'Tên đăng nhập',
  password: 'Mật khẩu',
  loginFailed: 'Sai tên đăng nhập hoặc mật khẩu',
  account: 'Tài khoản',
  changePassword: 'Đổi mật khẩu',
  currentPassword: 'Mật khẩu hiện tại',
  newPassword: 'Mật khẩu mới (ít nhất 10 ký tự)',
  repeatPassword: 'Nhập lại mật khẩu mới',
  passwordsDiffer: 'Hai mật khẩu mới không giống nhau',
  passwordChanged: 'Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc',
  overview: 'Tổng quan',
  map: 'Bản đồ',
  devices: 'Thiết bị',
  lighting: 'Chiếu sáng',
  radio: 'Truyền thanh',
  cameras: 'Camera',
  alarms: 'Cảnh báo',
  reports: 'Báo cáo',
  language: 'English',
  online: 'Trực tuyến',
  offline: 'Mất kết nối',
  unknown: 'Chưa rõ',
  total: 'Tổng',
  all: 'Tất cả',
  status: 'Trạng thái',
  lastSeen: 'Lần cuối',
  name: 'Tên',
  kind: 'Loại',
  group: 'Tổ dân phố',
  zone: 'Khu vực',
  latestState: 'Trạng thái mới nhất',
  telemetry: 'Số liệu đo',
  statusHistory: 'Lịch sử kết nối',
  commands: 'Lệnh đã gửi',
  metric: 'Chỉ số',
  window: 'Khoảng thời gian',
  last24h: '24 giờ qua',
  last7d: '7 ngày qua',
  last30d: '30 ngày qua',
  noData: 'Chưa có dữ liệu',
  live: 'Trực tiếp',
  filter: 'Lọc',
  search: 'Tìm kiếm',
  openAlarms: 'Cảnh báo đang mở',
  indicators: 'Chỉ tiêu kỳ này',
  mapOffline: 'Bản đồ ngoại tuyến: chỉ hiển thị vị trí thiết bị',
  back: 'Quay lại',
  role_viewer: 'Xem',
  role_operator: 'Vận hành',
  role_admin: 'Quản trị',
  loading: 'Đang tải…',
  error: 'Lỗi',
  notAvailable: 'Chức năng chưa sẵn sàng trên máy chủ này',
  since: 'từ',
  result: 'Kết quả',
  time: 'Thời gian',
  menu: 'Danh mục',
  manage: 'Quản lý',
  maintenance: 'Bảo trì',
  ward: 'Phường/xã',
  wholeProvince: 'Toàn tỉnh',
  why_birth: 'thiết bị báo đã kết nối',
  'why_last-will': 'thiết bị mất kết nối đột ngột',
  'why_missed-reports': 'quá lâu không gửi báo cáo',
  'why_report-resumed': 'đã gửi báo cáo trở lại',
  why_disconnect: 'thiết bị ngắt kết nối',
  'why_probe-ok': 'camera trả lời kiểm tra',
  'why_probe-failed': 'camera không trả lời kiểm tra',
  'why_first contact': 'lần đầu kết nối',
  why_recovered: 'đã hoạt động lại',
  why_connected: 'đã kết nối',
  why_disconnected: 'đã ngắt kết nối',
  why_offline: 'ngoại tuyến',
};

const EN: Record<string, string> = {
  appTitle: 'Smart ward',
  login: 'Log in',
  logout: 'Log out',
  username: 'Username',
  password: 'Password',
  loginFailed: 'Wrong username or password',
  account: 'Account',
  changePassword: 'Change password',
  currentPassword: 'Current password',
  newPassword: 'New password (at least 10 characters)',
  repeatPassword: 'Repeat the new password',
  passwordsDiffer: 'The two new passwords differ',
  passwordChanged: 'Password changed; your other sessions have ended',
  overview: 'Overview',
  map: 'Map',
  devices: 'Devices',
  lighting: 'Lighting',
  radio: 'Radio',
  cameras: 'Cameras',
  alarms: 'Alarms',
  reports: 'Reports',
  language: 'Tiếng Việt',
  online: 'Online',
  offline: 'Offline',
  unknown: 'Unknown',
  total: 'Total',
  all: 'All',
  status: 'Status',
  lastSeen: 'Last seen',
  name: 'Name',
  kind: 'Kind',
  group: 'Residential group',
  zone: 'Zone',
  latestState: 'Latest state',
  telemetry: 'Telemetry',
  statusHistory: 'Connection history',
  commands: 'Commands sent',
  metric: 'Metric',
  window: 'Window',
  last24h: 'Last 24 h',
  last7d: 'Last 7 days',
  last30d: 'Last 30 days',
  noData: 'No data yet',
  live: 'Live',
  filter: 'Filter',
  search: 'Search',
  openAlarms: 'Open alarms',
  indicators: 'This period\u2019s indicators',
  mapOffline: 'Offline map: device positions only',
  back: 'Back',
  role_viewer: 'Viewer',
  role_operator: 'Operator',
  role_admin: 'Administrator',
  loading: 'Loading…',
  error: 'Error',
  notAvailable: 'This feature is not available on this server',
  since: 'since',
  result: 'Result',
  time: 'Time',
  menu: 'Menu',
  manage: 'Manage',
  maintenance: 'Maintenance',
  ward: 'Ward',
  wholeProvince: 'Whole province',
  why_birth: 'the device said it connected',
  'why_last-will': 'the device dropped off',
  'why_missed-reports': 'no report for too long',
  'why_report-resumed': 'reports resumed',
  why_disconnect: 'the device disconnected',
  'why_probe-ok': 'the camera answered its check',
  'why_probe-failed': 'the camera failed its check',
  'why_first contact': 'first contact',
  why_recovered: 'working again',
  why_connected: 'connected',
  why_disconnected: 'disconnected',
  why_offline: 'offline',
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

/**
 * Why a device's status changed, in words: "missed-reports" → "quá lâu không gửi báo cáo"; "probe-ok: first contact"
 * → "camera trả lời kiểm tra (lần đầu kết nối)"; an error code after "probe-failed:" stays as it is.
 */
export function reasonText(reason: string | null | undefined): string {
  if (!reason) return '';
  const [head, ...rest] = reason.split(': ');
  const tail = rest.join(': ');
  const word = (k: string): string | null => {
    const s = t(`why_${k}`);
    return s === `why_${k}` ? null : s;
  };
  const main = word(head ?? '') ?? head ?? '';
  if (!tail) return main;
  return `${main} (${word(tail) ?? tail})`;
}
