/** What the WiFi page reads from the WiFi API (hashes are never read into the page's tables), and its periods. */
import { fromWall, toWall } from '../../../../services/common/zoned-time.ts';
import { halfYearOf, localDay } from '../../ui/report-period.ts';
import type { Static } from 'typebox';
import type * as wifi from '../../../../services/api/schemas/wifi-province.ts';

/** The WiFi API's answers, derived from its response schemas (services/api/schemas/wifi-province.ts). */
export type Totals = Static<typeof wifi.WifiUniqueUsers>;
export type Point = Static<typeof wifi.WifiPoint>;
export type Session = Static<typeof wifi.WifiSession>;
export type LoginSummary = Static<typeof wifi.LoginSummary>;
export type ConsentVersion = Static<typeof wifi.ConsentVersion>;
export type OpenNow = Static<typeof wifi.OpenNow>;
export type Retention = Static<typeof wifi.Retention>;

export type PeriodChoice = '24h' | '7d' | '30d' | 'month' | 'half';
export const PERIODS: PeriodChoice[] = ['24h', '7d', '30d', 'month', 'half'];

/** A period as instants, and the indicator report's period code when it is one (month, half-year). Pure. */
export function periodOf(choice: PeriodChoice, now: number, tz: string): { from: Date; to: Date; code: string | null } {
  const to = new Date(now + 60_000);
  const back = (days: number): { from: Date; to: Date; code: null } => ({ from: new Date(now - days * 86_400_000), to, code: null });
  switch (choice) {
    case '24h':
      return back(1);
    case '7d':
      return back(7);
    case '30d':
      return back(30);
    case 'month': {
      const w = toWall(now, tz);
      return { from: new Date(fromWall({ y: w.y, m: w.m, d: 1, h: 0, mi: 0 }, tz)), to, code: `${w.y}-${String(w.m).padStart(2, '0')}` };
    }
    case 'half': {
      // H1 runs 25/12 of the year before to 29/06, H2 30/06 to 24/12 (docs/health.md "Periods").
      const code = halfYearOf(localDay(tz, now));
      const y = Number(code.slice(0, 4));
      const start = code.endsWith('H1') ? { y: y - 1, m: 12, d: 25 } : { y, m: 6, d: 30 };
      return { from: new Date(fromWall({ ...start, h: 0, mi: 0 }, tz)), to, code };
    }
  }
}
