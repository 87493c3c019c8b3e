import { addStrings } from '../../i18n.ts';

addStrings(
  {
    mg_devices: 'Thiết bị', mg_zones: 'Khu vực và tổ dân phố', mg_users: 'Người dùng và vai trò', mg_cameras: 'Camera', mg_maintenance: 'Lịch bảo trì', mg_rules: 'Quy tắc cảnh báo', mg_webhooks: 'Gửi cảnh báo ra ngoài',
    mg_add: 'Thêm', mg_save: 'Lưu', mg_cancel: 'Huỷ', mg_edit: 'Sửa', mg_delete: 'Xoá', mg_saved: 'Đã lưu', mg_deleted: 'Đã xoá', mg_confirmDelete: 'Xoá mục này?',
    mg_addDevice: 'Thêm thiết bị', mg_import: 'Nhập từ tệp CSV', mg_importHint: 'Cột: id, kind, name, group, zones (cách nhau bởi |), lat, lon, address, installedAt, ratedPowerW, tags. Dấu phân cách , hoặc ; (Excel tiếng Việt).',
    mg_importRun: 'Nhập', mg_importDry: 'Kiểm tra trước (không lưu)', mg_row: 'Dòng', mg_result: 'Kết quả', mg_created: 'Đã tạo', mg_wouldCreate: 'Hợp lệ', mg_credentials: 'Tải tệp mật khẩu thiết bị (CSV)',
    mg_secretOnce: 'Mật khẩu MQTT chỉ hiện một lần; hãy lưu ngay', mg_password: 'Mật khẩu', mg_username: 'Tên đăng nhập', mg_rotate: 'Cấp lại mật khẩu',
    mg_parent: 'Thuộc khu vực', mg_zoneKind: 'Loại', zk_residential_group: 'Tổ dân phố', zk_lighting_zone: 'Khu chiếu sáng', zk_broadcast_zone: 'Vùng truyền thanh', zk_area: 'Khu vực khác', mg_members: 'Số thiết bị',
    mg_displayName: 'Họ tên', mg_role: 'Vai trò', mg_disabled: 'Khoá tài khoản', mg_active: 'Đang dùng', mg_newPassword: 'Mật khẩu mới (ít nhất 10 ký tự)',
    mg_onvif: 'Địa chỉ ONVIF', mg_discover: 'Dò camera trong mạng', mg_found: 'Tìm thấy', mg_use: 'Dùng địa chỉ này',
    mg_scope: 'Phạm vi', sc_ward: 'Toàn phường', sc_kind: 'Loại thiết bị', sc_zone: 'Khu vực', sc_device: 'Thiết bị', mg_from: 'Từ', mg_to: 'Đến', mg_title: 'Nội dung',
    mg_enabled: 'Bật', mg_severity: 'Mức độ', mg_params: 'Ngưỡng', mg_reset: 'Về mặc định', mg_overridden: 'đã chỉnh',
    mg_url: 'Địa chỉ nhận (URL)', mg_minSeverity: 'Từ mức', mg_secret: 'Khoá ký (HMAC)', mg_deliveries: 'Lần gửi gần đây',
    mg_lat: 'Vĩ độ', mg_lon: 'Kinh độ', mg_id: 'Mã', mg_needAdmin: 'Cần quyền quản trị',
  },
  {
    mg_devices: 'Devices', mg_zones: 'Zones and residential groups', mg_users: 'Users and roles', mg_cameras: 'Cameras', mg_maintenance: 'Maintenance windows', mg_rules: 'Alarm rules', mg_webhooks: 'Alarm webhooks',
    mg_add: 'Add', mg_save: 'Save', mg_cancel: 'Cancel', mg_edit: 'Edit', mg_delete: 'Delete', mg_saved: 'Saved', mg_deleted: 'Deleted', mg_confirmDelete: 'Delete this item?',
    mg_addDevice: 'Add a device', mg_import: 'Import from a CSV file', mg_importHint: 'Columns: id, kind, name, group, zones (separated by |), lat, lon, address, installedAt, ratedPowerW, tags. Separated by , or ; (Excel).',
    mg_importRun: 'Import', mg_importDry: 'Check first (saves nothing)', mg_row: 'Row', mg_result: 'Result', mg_created: 'Created', mg_wouldCreate: 'Valid', mg_credentials: 'Download the device passwords (CSV)',
    mg_secretOnce: 'The MQTT password is shown only once; store it now', mg_password: 'Password', mg_username: 'Username', mg_rotate: 'New password',
    mg_parent: 'Part of', mg_zoneKind: 'Type', zk_residential_group: 'Residential group', zk_lighting_zone: 'Lighting zone', zk_broadcast_zone: 'Broadcast zone', zk_area: 'Other area', mg_members: 'Devices',
    mg_displayName: 'Full name', mg_role: 'Role', mg_disabled: 'Disable the account', mg_active: 'Active', mg_newPassword: 'New password (10 characters or more)',
    mg_onvif: 'ONVIF address', mg_discover: 'Discover cameras', mg_found: 'Found', mg_use: 'Use this address',
    mg_scope: 'Scope', sc_ward: 'Whole ward', sc_kind: 'Device kind', sc_zone: 'Zone', sc_device: 'Device', mg_from: 'From', mg_to: 'To', mg_title: 'What',
    mg_enabled: 'On', mg_severity: 'Severity', mg_params: 'Thresholds', mg_reset: 'Reset', mg_overridden: 'tuned',
    mg_url: 'Receiver URL', mg_minSeverity: 'From severity', mg_secret: 'Signing key (HMAC)', mg_deliveries: 'Recent deliveries',
    mg_lat: 'Latitude', mg_lon: 'Longitude', mg_id: 'Id', mg_needAdmin: 'Needs the administrator role',
  },
);
