/**
 * Readers for ONVIF response elements (Device ver10, Media ver10, PTZ ver20) into the driver's plain types.
 * Missing optional elements are tolerated (firmware differs widely); a missing mandatory one is CAMERA_BAD_RESPONSE.
 */
import type { AppError } from '../common/errors.ts';
import { CameraErrorCode, cameraError } from './camera-errors.ts';
import type { DeviceInfo, MediaProfile, PtzPreset, PtzStatus } from './camera-driver.ts';
import { child, childrenNamed, find, path } from './xml.ts';
import type { XmlElement } from './xml.ts';

export function malformed(address: string, operation: string, what: string): AppError {
  return cameraError(CameraErrorCode.BAD_RESPONSE, `Camera at ${address} sent an incomplete ${operation} response (${what}).`, {
    address,
    operation,
    cause: what,
  });
}

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

function dateTimeOf(el: XmlElement | undefined): number | undefined {
  const d = child(el, 'Date');
  const t = child(el, 'Time');
  const parts = [path(d, 'Year'), path(d, 'Month'), path(d, 'Day'), path(t, 'Hour'), path(t, 'Minute'), path(t, 'Second')].map((e) => num(e?.text));
  if (parts.some((p) => p === undefined)) return undefined;
  const [y, mo, day, h, mi, s] = parts as number[];
  return Date.UTC(y!, mo! - 1, day!, h!, mi!, s!);
}

/** POSIX TZ offset ("ICT-7", "CST-8", "UTC+05:30") in ms to ADD to local time to get UTC. */
function posixTzToUtcMs(tz: string): number | undefined {
  const m = /^[A-Za-z]{3,}|^<[^>]+>/.exec(tz);
  const rest = m ? tz.slice(m[0].length) : '';
  const o = /^([+-]?)(\d{1,2})(?::(\d{2}))?/.exec(rest);
  if (!o) return m ? 0 : undefined;
  const sign = o[1] === '-' ? -1 : 1;
  return sign * (Number(o[2]) * 3600_000 + Number(o[3] ?? 0) * 60_000);
}

/** Camera time from GetSystemDateAndTimeResponse: UTCDateTime, else LocalDateTime corrected by the POSIX TZ. */
export function readSystemDateTime(resp: XmlElement, address: string): number {
  const sdt = child(resp, 'SystemDateAndTime');
  const utc = dateTimeOf(child(sdt, 'UTCDateTime'));
  if (utc !== undefined) return utc;
  const local = dateTimeOf(child(sdt, 'LocalDateTime'));
  const shift = posixTzToUtcMs(path(sdt, 'TimeZone', 'TZ')?.text ?? '');
  if (local !== undefined && shift !== undefined) return local + shift;
  throw malformed(address, 'GetSystemDateAndTime', 'no UTCDateTime');
}

export function readDeviceInfo(resp: XmlElement): DeviceInfo {
  const t = (n: string): string => child(resp, n)?.text ?? '';
  return {
    manufacturer: t('Manufacturer'),
    model: t('Model'),
    firmwareVersion: t('FirmwareVersion'),
    serialNumber: t('SerialNumber'),
    hardwareId: t('HardwareId'),
  };
}

export function readProfiles(resp: XmlElement): MediaProfile[] {
  return childrenNamed(resp, 'Profiles').map((p) => {
    const enc = child(p, 'VideoEncoderConfiguration');
    return {
      token: p.attrs.token ?? '',
      name: child(p, 'Name')?.text ?? '',
      encoding: child(enc, 'Encoding')?.text,
      width: num(path(enc, 'Resolution', 'Width')?.text),
      height: num(path(enc, 'Resolution', 'Height')?.text),
      frameRate: num(path(enc, 'RateControl', 'FrameRateLimit')?.text),
      hasPtz: child(p, 'PTZConfiguration') !== undefined,
    };
  });
}

function readPosition(el: XmlElement | undefined): { pan: number; tilt: number; zoom: number } | undefined {
  const pt = child(el, 'PanTilt');
  const zoom = child(el, 'Zoom');
  if (!pt && !zoom) return undefined;
  return { pan: num(pt?.attrs.x) ?? 0, tilt: num(pt?.attrs.y) ?? 0, zoom: num(zoom?.attrs.x) ?? 0 };
}

export function readPresets(resp: XmlElement): PtzPreset[] {
  // Tokens stay strings: "01" and "1" are different presets on some firmware.
  return childrenNamed(resp, 'Preset').map((p) => ({
    token: p.attrs.token ?? '',
    name: child(p, 'Name')?.text ?? '',
    position: readPosition(child(p, 'PTZPosition')),
  }));
}

export function readPtzStatus(resp: XmlElement, address: string): PtzStatus {
  const status = child(resp, 'PTZStatus');
  const pos = readPosition(child(status, 'Position'));
  if (!pos) throw malformed(address, 'GetStatus', 'no Position');
  const move = child(status, 'MoveStatus');
  // Some firmware reports MoveStatus as plain text instead of PanTilt/Zoom children.
  const moving = (axis: string): boolean => (child(move, axis)?.text ?? move?.text ?? '').toUpperCase() === 'MOVING';
  const utc = child(status, 'UtcTime')?.text;
  return { ...pos, moving: { panTilt: moving('PanTilt'), zoom: moving('Zoom') }, utcTime: utc ? new Date(utc) : undefined };
}

export function readXAddr(caps: XmlElement, service: 'Media' | 'PTZ'): string | undefined {
  return path(find(caps, 'Capabilities'), service, 'XAddr')?.text || undefined;
}

export function readMediaUri(resp: XmlElement): string | undefined {
  return path(resp, 'MediaUri', 'Uri')?.text || undefined;
}
