import { addStrings } from '../../i18n.ts';

addStrings({ page: 'Trang', reason: 'Lý do' }, { page: 'Page', reason: 'Reason' });
addStrings(
  {
    dp_deviceInfo: 'Thông tin thiết bị', dp_position: 'Toạ độ', dp_address: 'Địa chỉ', dp_installedAt: 'Ngày lắp đặt', dp_asset: 'Tài sản', dp_zones: 'Khu vực', dp_tags: 'Nhãn',
    dp_deviceNotFound: 'Không tìm thấy thiết bị', dp_duration: 'Kéo dài', dp_ongoing: 'đến nay', dp_minMax: 'vùng tô: nhỏ nhất – lớn nhất mỗi khoảng',
    dp_perBucket: 'mức tăng mỗi khoảng', dp_average: 'trung bình mỗi khoảng', dp_command: 'Lệnh', dp_params: 'Tham số', dp_sentBy: 'Người gửi', dp_attempts: 'Lần gửi',
    dp_sendCommand: 'Gửi lệnh tới thiết bị', dp_send: 'Gửi', dp_commandSent: 'Đã gửi lệnh', dp_loadFailed: 'Không tải được', dp_ackStatus: 'Phản hồi',
    dp_alarms: 'Cảnh báo của thiết bị', dp_noAlarms: 'Thiết bị không có cảnh báo nào trong 30 ngày qua', dp_allAlarms: 'Xem trên trang Cảnh báo',
    dp_optional: 'không bắt buộc', dp_required: 'cần nhập', dp_number: 'cần một số', dp_pattern: 'không đúng dạng', dp_otherPage: 'Các lệnh khác gửi từ trang',
    dp_light: 'Điều khiển đèn này', dp_lightHint: 'Lệnh điều khiển tay luôn có giờ kết thúc; sau đó đèn trở về chương trình.', dp_openCamera: 'Mở trang camera',
    dp_health: 'Tình trạng', dp_edit: 'Sửa thông tin',
    dstate_queued: 'Chờ gửi', dstate_sent: 'Đã gửi, chờ xác nhận', dstate_acknowledged: 'Đã xác nhận', dstate_failed: 'Thất bại', dstate_expired: 'Hết hạn', dstate_cancelled: 'Đã huỷ',
  },
  {
    dp_deviceInfo: 'Device', dp_position: 'Position', dp_address: 'Address', dp_installedAt: 'Installed', dp_asset: 'Asset', dp_zones: 'Zones', dp_tags: 'Tags',
    dp_deviceNotFound: 'No such device', dp_duration: 'Lasted', dp_ongoing: 'until now', dp_minMax: 'shaded: min – max per bucket',
    dp_perBucket: 'increase per bucket', dp_average: 'average per bucket', dp_command: 'Command', dp_params: 'Parameters', dp_sentBy: 'Sent by', dp_attempts: 'Attempts',
    dp_sendCommand: 'Send a command to this device', dp_send: 'Send', dp_commandSent: 'Command sent', dp_loadFailed: 'Could not load', dp_ackStatus: 'Reply',
    dp_alarms: 'Alarms of this device', dp_noAlarms: 'No alarm on this device in the last 30 days', dp_allAlarms: 'See on the Alarms page',
    dp_optional: 'optional', dp_required: 'required', dp_number: 'needs a number', dp_pattern: 'not in the expected form', dp_otherPage: 'Other commands are sent from the page',
    dp_light: 'Control this light', dp_lightHint: 'A manual override always ends; the light then returns to its program.', dp_openCamera: 'Open the camera page',
    dp_health: 'Health', dp_edit: 'Edit details',
    dstate_queued: 'Queued', dstate_sent: 'Sent, awaiting ack', dstate_acknowledged: 'Acknowledged', dstate_failed: 'Failed', dstate_expired: 'Expired', dstate_cancelled: 'Cancelled',
  },
);
