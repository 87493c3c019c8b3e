import { ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { addStrings, t } from '../i18n.ts';

/** Operator-facing words for the API's stable error codes (the API's own messages are English). */
addStrings(
  {
    err_CAMERA_UNREACHABLE: 'Không kết nối được camera (mất điện, mất đường truyền hoặc sai địa chỉ)',
    err_CAMERA_TIMEOUT: 'Camera không trả lời kịp',
    err_CAMERA_AUTH_FAILED: 'Camera từ chối tài khoản đã lưu',
    err_CAMERA_BAD_RESPONSE: 'Camera trả về dữ liệu không dùng được',
    err_CAMERA_REJECTED: 'Camera từ chối thao tác',
    err_CAMERA_NO_PTZ: 'Camera này không điều khiển quay/nghiêng/thu phóng được',
    err_CAMERA_PTZ_OUT_OF_RANGE: 'Giá trị điều khiển ngoài phạm vi cho phép',
    err_NO_SNAPSHOT: 'Chưa có ảnh chụp',
    err_SNAPSHOT_GONE: 'Ảnh đã bị xoá theo thời hạn lưu trữ',
    err_ALARM_ACKNOWLEDGED: 'Cảnh báo đã được người khác xác nhận',
    err_ALARM_CLEARED: 'Cảnh báo đã kết thúc',
    err_PDF_UNAVAILABLE: 'Máy chủ chưa xuất được PDF (thiếu Chromium); hãy tải CSV',
    err_FORBIDDEN: 'Tài khoản không có quyền thực hiện thao tác này',
    err_UNAUTHORIZED: 'Phiên đăng nhập đã hết hạn',
  },
  {
    err_CAMERA_UNREACHABLE: 'Camera unreachable (power, link or address)',
    err_CAMERA_TIMEOUT: 'The camera did not answer in time',
    err_CAMERA_AUTH_FAILED: 'The camera refuses the stored credentials',
    err_CAMERA_BAD_RESPONSE: 'The camera answered with unusable data',
    err_CAMERA_REJECTED: 'The camera refused the operation',
    err_CAMERA_NO_PTZ: 'This camera has no pan/tilt/zoom',
    err_CAMERA_PTZ_OUT_OF_RANGE: 'Control value out of range',
    err_NO_SNAPSHOT: 'No snapshot yet',
    err_SNAPSHOT_GONE: 'The image was removed by retention',
    err_ALARM_ACKNOWLEDGED: 'Someone else acknowledged this alarm already',
    err_ALARM_CLEARED: 'The alarm has already ended',
    err_PDF_UNAVAILABLE: 'The server cannot make PDFs (no Chromium); download the CSV',
    err_FORBIDDEN: 'Your account may not do this',
    err_UNAUTHORIZED: 'Your session has expired',
  },
);

/** The operator's words for an error: the code's translation when there is one, else the API's message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const key = `err_${err.code}`;
    const s = t(key);
    return s === key ? `${t('error')} ${err.status}: ${err.message}` : s;
  }
  return `${t('error')}: ${(err as Error).message}`;
}

let current: HTMLElement | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

/** A short message in the corner (replaces the previous one). */
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  current?.remove();
  if (timer) clearTimeout(timer);
  current = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-toast': kind }, text);
  document.body.append(current);
  const el = current;
  timer = setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}
