/**
 * How the dashboard writes times, numbers and durations. Vietnamese: dd/mm/yyyy, 24 h, decimal comma; English: the
 * same day-first dates and 24 h clock (a ward office reads dd/mm either way), decimal point. Times are the ward's wall
 * clock (SW_TIMEZONE), whatever zone the browser runs in. Pure: the language and zone are passed or set once.
 */
import { toWall } from '../../services/common/zoned-time.ts';

export type Lang = 'vi' | 'en';

let zone = 'Asia/Ho_Chi_Minh';
export const setZone = (tz: string): void => void (zone = tz || zone);
export const getZone = (): string => zone;

const locale = (lang: Lang): string => (lang === 'vi' ? 'vi-VN' : 'en-GB');
const pad = (n: number): string => String(n).padStart(2, '0');

function wallParts(at: number, tz: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  const w = toWall(at, tz);
  return { year: String(w.y), month: pad(w.m), day: pad(w.d), hour: pad(w.h), minute: pad(w.mi), second: pad(w.s) };
}

const toMs = (t: string | number | Date): number => (typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime());

/** "05/03/2026 18:30" (or with seconds); '—' for nothing. */
export function formatDateTime(t: string | number | Date | null | undefined, opts: { seconds?: boolean; tz?: string } = {}): string {
  if (t === null || t === undefined || t === '') return '—';
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  const p = wallParts(ms, opts.tz ?? zone);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}${opts.seconds ? `:${p.second}` : ''}`;
}

/** "05/03/2026". */
export function formatDate(t: string | number | Date | null | undefined, tz = zone): string {
  if (t === null || t === undefined || t === '') return '—';
  // A bare calendar day (YYYY-MM-DD) is not an instant: write it as it is.
  if (typeof t === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(t)) return `${t.slice(8, 10)}/${t.slice(5, 7)}/${t.slice(0, 4)}`;
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  const p = wallParts(ms, tz);
  return `${p.day}/${p.month}/${p.year}`;
}

/** "18:30". */
export function formatClock(t: string | number | Date | null | undefined, tz = zone): string {
  if (t === null || t === undefined) return '—';
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  const p = wallParts(ms, tz);
  return `${p.hour}:${p.minute}`;
}

/** 99,89 in Vietnamese, 99.89 in English; thousands grouped the language's way. */
export function formatNumber(n: number | null | undefined, lang: Lang, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Number(n).toLocaleString(locale(lang), { maximumFractionDigits: digits });
}

/** A number with its unit ("99,9 %", "220 V"); no unit, no space. */
export function formatQuantity(n: number | null | undefined, unit: string, lang: Lang, digits = 2): string {
  const s = formatNumber(n, lang, digits);
  return unit && s !== '—' ? `${s} ${unit}` : s;
}

/** "3 giờ 20 phút" / "3 h 20 min". */
export function formatDuration(ms: number, lang: Lang): string {
  const [sec, min, hr, day] = lang === 'vi' ? ['giây', 'phút', 'giờ', 'ngày'] : ['s', 'min', 'h', 'd'];
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} ${sec}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} ${min}`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} ${hr} ${m % 60} ${min}` : `${h} ${hr}`;
  return h % 24 ? `${Math.floor(h / 24)} ${day} ${h % 24} ${hr}` : `${Math.floor(h / 24)} ${day}`;
}

/** Bytes as KiB/MiB/GiB with the language's decimal mark. */
export function formatBytes(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(v, lang, i === 0 ? 0 : 1)} ${units[i]}`;
}
