import { describe, expect, it } from 'vitest';
import { sunTimes } from '../../services/control/lighting/solar.ts';
import { checkProgram, levelAt, stepAt, stepInstant, type ProgramStep, type Site } from '../../services/control/lighting/program.ts';
import { addDays, fromWall } from '../../services/common/zoned-time.ts';

// Phước Long, Nha Trang (DOMAIN.md §1).
const SITE: Site = { lat: 12.22, lon: 109.19, tz: 'Asia/Ho_Chi_Minh' };
const MIN = 60_000;

/**
 * An independent check: the US Naval Observatory's "Almanac for Computers" (1990) sunrise/sunset method, which uses
 * different approximations (mean anomaly from the day of year, right ascension by quadrant) from NOAA's equations.
 */
function almanac(date: { y: number; m: number; d: number }, lat: number, lon: number, rising: boolean): number {
  const rad = Math.PI / 180;
  const N = Math.floor((date.m * 275) / 9) - Math.floor((date.m + 9) / 12) * (1 + Math.floor((date.y - 4 * Math.floor(date.y / 4) + 2) / 3)) + date.d - 30;
  const lngHour = lon / 15;
  const t = N + ((rising ? 6 : 18) - lngHour) / 24;
  const M = 0.9856 * t - 3.289;
  const L = (((M + 1.916 * Math.sin(M * rad) + 0.02 * Math.sin(2 * M * rad) + 282.634) % 360) + 360) % 360;
  let RA = (((Math.atan(0.91764 * Math.tan(L * rad)) / rad) % 360) + 360) % 360;
  RA = (RA + Math.floor(L / 90) * 90 - Math.floor(RA / 90) * 90) / 15;
  const sinDec = 0.39782 * Math.sin(L * rad);
  const cosDec = Math.cos(Math.asin(sinDec));
  const cosH = (Math.cos(90.833 * rad) - sinDec * Math.sin(lat * rad)) / (cosDec * Math.cos(lat * rad));
  const H = (rising ? 360 - Math.acos(cosH) / rad : Math.acos(cosH) / rad) / 15;
  const T = H + RA - 0.06571 * t - 6.622;
  const UT = (((T - lngHour) % 24) + 24) % 24;
  // UT is a time of day: take the instant within 12 h of the date's local noon (sunrise here is the previous UTC day).
  const noon = Date.UTC(date.y, date.m - 1, date.d, 12) - (lon / 15) * 3_600_000;
  let when = Date.UTC(date.y, date.m - 1, date.d) + UT * 3_600_000;
  while (when - noon > 12 * 3_600_000) when -= 86_400_000;
  while (noon - when > 12 * 3_600_000) when += 86_400_000;
  return when;
}

const local = (t: number): string => new Date(t + 7 * 3_600_000).toISOString().slice(11, 16);

describe('sun times at 12.22 N 109.19 E (NOAA equations)', () => {
  const days = Array.from({ length: 365 }, (_, k) => addDays({ y: 2026, m: 1, d: 1 }, k));

  it('agree with the USNO almanac method within two minutes on every day of the year', () => {
    for (const date of days) {
      const s = sunTimes(date, SITE.lat, SITE.lon);
      const where = `${date.y}-${date.m}-${date.d}`;
      expect(Math.abs((s.sunrise ?? 0) - almanac(date, SITE.lat, SITE.lon, true)) / MIN, where).toBeLessThan(2);
      expect(Math.abs((s.sunset ?? 0) - almanac(date, SITE.lat, SITE.lon, false)) / MIN, where).toBeLessThan(2);
    }
  });

  it('follow the tropical year: longest day at the June solstice, shortest at the December solstice, ~12 h at the equinoxes', () => {
    const len = (d: { y: number; m: number; d: number }): number => {
      const s = sunTimes(d, SITE.lat, SITE.lon);
      return ((s.sunset ?? 0) - (s.sunrise ?? 0)) / 3_600_000;
    };
    const lengths = days.map(len);
    const longest = lengths.indexOf(Math.max(...lengths));
    const shortest = lengths.indexOf(Math.min(...lengths));
    expect(Math.abs(longest - 171)).toBeLessThanOrEqual(4); // 21 June is day 172
    expect(Math.abs(shortest - 354)).toBeLessThanOrEqual(4); // 21 December is day 355
    expect(Math.max(...lengths)).toBeGreaterThan(12.75);
    expect(Math.max(...lengths)).toBeLessThan(12.95);
    expect(Math.min(...lengths)).toBeGreaterThan(11.3);
    expect(Math.min(...lengths)).toBeLessThan(11.5);
    // Refraction and the solar disc make the equinox day a few minutes longer than 12 h.
    expect(len({ y: 2026, m: 3, d: 20 })).toBeGreaterThan(12.05);
    expect(len({ y: 2026, m: 3, d: 20 })).toBeLessThan(12.15);
  });

  it('put solar noon where the equation of time says: earliest in early November, latest in mid-February', () => {
    const noon = (d: { y: number; m: number; d: number }): string => local(sunTimes(d, SITE.lat, SITE.lon).solarNoon);
    // Zone meridian 105 E vs 109.19 E: 16.8 min early; EoT +16.4 min (3 Nov) and −14.2 min (11 Feb).
    expect(noon({ y: 2026, m: 11, d: 3 })).toBe('11:26');
    expect(noon({ y: 2026, m: 2, d: 11 })).toBe('11:57');
  });
});

const WARD_ROAD: ProgramStep[] = [
  { at: 'sunset', level: 100 },
  { at: '22:00', level: 70 },
  { at: '00:00', level: 50 },
  { at: '04:30', level: 70 },
  { at: 'sunrise', level: 0 },
];

describe('sun-relative program steps across the year', () => {
  it('switch on at sunset and off at sunrise on the 15th of every month, with the fixed steps in between', () => {
    for (let m = 1; m <= 12; m++) {
      const date = { y: 2026, m, d: 15 };
      const sun = sunTimes(date, SITE.lat, SITE.lon);
      const set = sun.sunset ?? 0;
      const rise = sun.sunrise ?? 0;
      const at = (t: number): number => levelAt(WARD_ROAD, t, SITE).level;
      const where = `month ${m}`;
      // Steps are applied on whole minutes, as the nodes do.
      expect(at(set - 2 * MIN), where).toBe(0);
      expect(at(set + 2 * MIN), where).toBe(100);
      expect(at(fromWall({ ...date, h: 23 }, SITE.tz)), where).toBe(70);
      expect(at(fromWall({ ...date, h: 23 }, SITE.tz) + 2 * 3_600_000), where).toBe(50);
      expect(at(rise - 2 * MIN), where).toBe(70);
      expect(at(rise + 2 * MIN), where).toBe(0);
    }
  });

  it('move a "sunset + 15 min" step with the season: ~17:40 in December, ~18:25 in June', () => {
    const step: ProgramStep = { at: 'sunset', offsetMin: 15, level: 80 };
    const dec = stepInstant(step, { y: 2026, m: 12, d: 1 }, SITE);
    const jun = stepInstant(step, { y: 2026, m: 6, d: 28 }, SITE);
    expect(local(dec) >= '17:30' && local(dec) <= '17:40').toBe(true);
    expect(local(jun) >= '18:20' && local(jun) <= '18:30').toBe(true);
  });

  it('carry the last step of yesterday past midnight, and ramp from the previous level', () => {
    const p: ProgramStep[] = [
      { at: '18:00', level: 100 },
      { at: '22:00', level: 40, rampS: 600 },
    ];
    const t = fromWall({ y: 2026, m: 5, d: 2, h: 3 }, SITE.tz);
    expect(stepAt(p, t, SITE).index).toBe(1);
    const mid = levelAt(p, fromWall({ y: 2026, m: 5, d: 2, h: 22, mi: 5 }, SITE.tz), SITE);
    expect(mid).toMatchObject({ level: 70, inRamp: true });
  });
});

describe('program checks', () => {
  it('accept the ward-road program', () => {
    expect(checkProgram(WARD_ROAD, SITE)).toBeNull();
  });

  it('refuse steps that swap order during the year (sunset + 60 against 19:00)', () => {
    const p = checkProgram(
      [
        { at: 'sunset', offsetMin: 60, level: 100 },
        { at: '19:00', level: 80 },
        { at: 'sunrise', level: 0 },
      ],
      SITE,
    );
    expect(p?.code).toBe('OVERLAPPING_STEPS');
    expect(p?.message).toMatch(/change order|within a minute/);
  });

  it('refuse two steps at the same time, and a ramp that runs into the next step', () => {
    expect(
      checkProgram(
        [
          { at: '22:00', level: 70 },
          { at: '22:00', level: 50 },
        ],
        SITE,
      )?.code,
    ).toBe('OVERLAPPING_STEPS');
    const ramp = checkProgram(
      [
        { at: '22:00', level: 70, rampS: 1800 },
        { at: '22:20', level: 50 },
      ],
      SITE,
    );
    expect(ramp?.code).toBe('OVERLAPPING_STEPS');
    expect(ramp?.message).toMatch(/ramps for 1800 s/);
  });

  it('refuse a step pushed outside its day by its offset', () => {
    expect(
      checkProgram(
        [
          { at: 'sunrise', offsetMin: -180, level: 50 },
          { at: '23:30', level: 20 },
        ],
        SITE,
      ),
    ).toBeNull();
    expect(checkProgram([{ at: '23:30', offsetMin: 60, level: 20 }], SITE)?.code).toBe('STEP_OUTSIDE_DAY');
  });
});
