import { badRequest } from '../../common/errors.ts';
import { addDaysIso as addDays, dayStart } from '../../common/zoned-time.ts';

/**
 * Reporting periods (docs/health.md "Periods"). The ward plans ask units to report twice a year "trước 30/6 và 25/12"
 * (Phước Long plan §VII.3–6) and Ba Ngòi asks for monthly progress. A half-year ends at 00:00 local time of its
 * deadline day, so a complete report exists on the deadline day itself, and the next half-year starts there: no day
 * is reported twice or never.
 * - month   YYYY-MM  calendar month
 * - H1      YYYY-H1  25/12 of the previous year 00:00 → 30/06 00:00 (i.e. 25/12 … 29/06)
 * - H2      YYYY-H2  30/06 00:00 → 25/12 00:00 (i.e. 30/06 … 24/12)
 * - year    YYYY     calendar year (the plans' annual targets are per calendar year)
 * Bounds are local midnights in the ward's time zone; `to` is exclusive.
 */
export interface Period {
  code: string;
  type: 'month' | 'half' | 'year';
  from: number;
  to: number;
  /** First and last local day included ('YYYY-MM-DD'). */
  firstDay: string;
  lastDay: string;
  label: { vi: string; en: string };
}

const pad = (n: number): string => String(n).padStart(2, '0');
const vnDate = (day: string): string => `${day.slice(8, 10)}/${day.slice(5, 7)}/${day.slice(0, 4)}`;

export function parsePeriod(code: string, tz: string): Period {
  let m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(code);
  const make = (type: Period['type'], first: string, endExclusive: string, label: { vi: string; en: string }): Period => ({
    code,
    type,
    from: dayStart(first, tz),
    to: dayStart(endExclusive, tz),
    firstDay: first,
    lastDay: addDays(endExclusive, -1),
    label,
  });
  if (m) {
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const next = mo === 12 ? `${y + 1}-01-01` : `${y}-${pad(mo + 1)}-01`;
    return make('month', `${y}-${pad(mo)}-01`, next, {
      vi: `Tháng ${mo}/${y}`,
      en: `${new Date(Date.UTC(y, mo - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' })} ${y}`,
    });
  }
  m = /^(\d{4})-H([12])$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    const [first, end] = m[2] === '1' ? [`${y - 1}-12-25`, `${y}-06-30`] : [`${y}-06-30`, `${y}-12-25`];
    const span = `${vnDate(first)} – ${vnDate(addDays(end, -1))}`;
    return make(
      'half',
      first,
      end,
      m[2] === '1'
        ? { vi: `Sáu tháng đầu năm ${y} (${span})`, en: `First half of ${y} (${span})` }
        : { vi: `Sáu tháng cuối năm ${y} (${span})`, en: `Second half of ${y} (${span})` },
    );
  }
  m = /^(\d{4})$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    return make('year', `${y}-01-01`, `${y + 1}-01-01`, { vi: `Năm ${y}`, en: `Year ${y}` });
  }
  throw badRequest('BAD_PERIOD', `Period '${code}' is not YYYY-MM, YYYY-H1, YYYY-H2 or YYYY`);
}

/** Calendar months overlapping a period (for monthly charts), clipped to it. */
export function monthsOf(p: Period, tz: string): { code: string; from: number; to: number }[] {
  const out: { code: string; from: number; to: number }[] = [];
  let y = Number(p.firstDay.slice(0, 4));
  let mo = Number(p.firstDay.slice(5, 7));
  for (;;) {
    const start = dayStart(`${y}-${pad(mo)}-01`, tz);
    if (start >= p.to) break;
    const ny = mo === 12 ? y + 1 : y;
    const nm = mo === 12 ? 1 : mo + 1;
    const end = dayStart(`${ny}-${pad(nm)}-01`, tz);
    out.push({ code: `${y}-${pad(mo)}`, from: Math.max(start, p.from), to: Math.min(end, p.to) });
    y = ny;
    mo = nm;
  }
  return out;
}

/** 'YYYY-MM-DD' naming a real day (Date.parse rolls 2026-02-30 over to March). */
const isCalendarDay = (d: string): boolean => {
  const t = Date.parse(`${d}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
};

/**
 * The last local day of data a report counts (issue 15): units file the half-year report before its deadline, so it is
 * cut off at a day of their choosing. `asOf` (a request's YYYY-MM-DD) wins; otherwise a half-year takes the configured
 * cut-off (`MM-DD` for H1 and H2); otherwise the period's last day. The day must lie in the period.
 */
export function cutoffDay(p: Period, o: { asOf?: string | undefined; halfYear?: { h1: string; h2: string } | null }): string {
  let day = p.lastDay;
  if (o.asOf !== undefined) {
    if (!isCalendarDay(o.asOf)) throw badRequest('BAD_AS_OF', `asOf '${o.asOf}' is not a date YYYY-MM-DD`);
    day = o.asOf;
  } else if (p.type === 'half' && o.halfYear) {
    const md = p.code.endsWith('H1') ? o.halfYear.h1 : o.halfYear.h2;
    day = `${p.lastDay.slice(0, 4)}-${md}`;
  }
  if (!isCalendarDay(day) || day < p.firstDay || day > p.lastDay) {
    throw badRequest('BAD_AS_OF', `The cut-off day ${vnDate(day)} is outside the period ${vnDate(p.firstDay)} – ${vnDate(p.lastDay)}`);
  }
  return day;
}
