/**
 * Reporting periods and report file names as the dashboard needs them. Pure (no DOM, no API), so the unit tests check
 * them against the service's own period rules (services/health/indicators/periods.ts).
 */

import { localDate } from '../../../services/common/zoned-time.ts';

/** A date in a time zone as YYYY-MM-DD. */
export function localDay(timezone: string, at: number = Date.now()): string {
  return localDate(at, timezone);
}

/**
 * The half-year reporting period a local day belongs to (docs/health.md "Periods"): H1 runs 25/12 of the previous year to
 * 29/06, H2 from 30/06 to 24/12, so 25–31 December already belong to next year's H1.
 */
export function halfYearOf(day: string): string {
  const y = Number(day.slice(0, 4));
  const md = day.slice(5, 10);
  if (md >= '12-25') return `${y + 1}-H1`;
  return md >= '06-30' ? `${y}-H2` : `${y}-H1`;
}

export const currentHalfYear = (timezone: string, at: number = Date.now()): string => halfYearOf(localDay(timezone, at));

/** ASCII slug of a Vietnamese phrase for file names: "Phường Ba Ngòi" → "phuong-ba-ngoi". */
export function slugVi(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A file name an operator recognises: "bao-cao-chi-tieu-phuong-ba-ngoi-6-thang-cuoi-nam-2026.pdf". */
export function reportFileName(ward: { code: string; name: string }, period: string, ext: 'pdf' | 'csv', lang: 'vi' | 'en'): string {
  const y = period.slice(0, 4);
  const rest = period.slice(5);
  const when = rest === 'H1' ? `6-thang-dau-nam-${y}` : rest === 'H2' ? `6-thang-cuoi-nam-${y}` : rest ? `thang-${rest}-${y}` : `nam-${y}`;
  const who = slugVi(ward.name) || ward.code;
  return `bao-cao-chi-tieu-${who}-${when}${lang === 'en' && ext === 'pdf' ? '-en' : ''}.${ext}`;
}
