/**
 * An RRULE (the radio scheduler's RFC 5545 subset) in the operator's words: "FREQ=DAILY;BYHOUR=6;BYMINUTE=30" →
 * "Hằng ngày lúc 06:30" / "Daily at 06:30". Times without BYHOUR/BYMINUTE come from the first airing's wall clock. A
 * rule this cannot word is shown as it is, never as something it does not say.
 */
import { formatDate, type Lang } from '../format.ts';

const DAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const DAYS: Record<Lang, string[]> = {
  vi: ['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy', 'Chủ nhật'],
  en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};

const pad = (n: number): string => String(n).padStart(2, '0');

function untilDate(v: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(v);
  return m ? formatDate(`${m[1]}-${m[2]}-${m[3]}`) : null;
}

function dayList(codes: string[], lang: Lang): string | null {
  const idx = codes.map((c) => DAY_CODES.indexOf(c as (typeof DAY_CODES)[number]));
  if (idx.some((i) => i < 0)) return null;
  const sorted = [...idx].sort((a, b) => a - b);
  const run = sorted.length >= 3 && sorted.every((d, i) => i === 0 || d === sorted[i - 1]! + 1);
  if (run) return `${DAYS[lang][sorted[0]!]} – ${DAYS[lang][sorted[sorted.length - 1]!]}`;
  return sorted.map((i) => DAYS[lang][i]).join(', ');
}

/** `start` gives the time of day when the rule names none: {h, mi} on the ward's clock. */
export function rruleText(rrule: string, lang: Lang, start?: { h: number; mi: number }): string {
  const rule = Object.fromEntries(
    rrule
      .replace(/^RRULE:/i, '')
      .split(';')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const known = new Set(['FREQ', 'INTERVAL', 'BYHOUR', 'BYMINUTE', 'BYDAY', 'BYMONTHDAY', 'UNTIL', 'COUNT']);
  if (Object.keys(rule).some((k) => !known.has(k))) return rrule;
  const interval = Number(rule.INTERVAL ?? 1);
  const hours = rule.BYHOUR ? rule.BYHOUR.split(',').map(Number) : start ? [start.h] : [];
  const minutes = rule.BYMINUTE ? rule.BYMINUTE.split(',').map(Number) : start ? [start.mi] : [0];
  if (hours.some((x) => !Number.isInteger(x) || x < 0 || x > 23) || minutes.some((x) => !Number.isInteger(x) || x < 0 || x > 59)) return rrule;
  const times = hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)).sort();
  const at = times.length ? `${lang === 'vi' ? ' lúc ' : ' at '}${times.join(lang === 'vi' ? ' và ' : ' and ')}` : '';
  let when: string | null;
  switch (rule.FREQ ?? '') {
    case 'DAILY':
      when = interval === 1 ? (lang === 'vi' ? 'Hằng ngày' : 'Daily') : lang === 'vi' ? `${interval} ngày một lần` : `Every ${interval} days`;
      break;
    case 'WEEKLY': {
      const days = rule.BYDAY ? dayList(rule.BYDAY.split(','), lang) : null;
      if (rule.BYDAY && !days) return rrule;
      const every = interval === 1 ? (lang === 'vi' ? 'hằng tuần' : 'every week') : lang === 'vi' ? `${interval} tuần một lần` : `every ${interval} weeks`;
      when = days
        ? lang === 'vi'
          ? `${days}, ${every}`
          : `${days}, ${every}`
        : lang === 'vi'
          ? every.charAt(0).toUpperCase() + every.slice(1)
          : every.charAt(0).toUpperCase() + every.slice(1);
      break;
    }
    case 'MONTHLY': {
      const d = rule.BYMONTHDAY;
      if (!d || !/^\d{1,2}(,\d{1,2})*$/.test(d)) return rrule;
      when = lang === 'vi' ? `Ngày ${d.split(',').join(', ')} hằng tháng` : `On day ${d.split(',').join(', ')} of every month`;
      if (interval !== 1) return rrule;
      break;
    }
    default:
      return rrule;
  }
  let out = `${when}${at}`;
  if (rule.UNTIL) {
    const u = untilDate(rule.UNTIL);
    if (!u) return rrule;
    out += lang === 'vi' ? `, đến ${u}` : `, until ${u}`;
  }
  if (rule.COUNT) out += lang === 'vi' ? ` (${rule.COUNT} lần)` : ` (${rule.COUNT} times)`;
  return out;
}
