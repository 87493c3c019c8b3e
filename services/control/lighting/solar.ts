/**
 * Sunrise and sunset for lighting programs, by NOAA's solar calculator equations (Meeus, "Astronomical Algorithms"):
 * Julian century → geometric mean longitude/anomaly → equation of centre → apparent longitude → declination and the
 * equation of time; the sunrise hour angle uses a zenith of 90.833° (refraction 0.567° + solar radius 0.266°).
 * Within a minute of published tables at Vietnam's latitudes, far inside a lighting program's tolerance.
 */
const RAD = Math.PI / 180;
const DEG = 180 / Math.PI;
const ZENITH_DEG = 90.833;

export interface SunTimes {
  /** Epoch ms; null during polar day/night (never at Vietnam's latitudes). */
  sunrise: number | null;
  sunset: number | null;
  solarNoon: number;
}

interface SolarPosition {
  declinationRad: number;
  /** Equation of time, minutes (apparent − mean solar time). */
  eqTimeMin: number;
}

function solarPosition(julianDay: number): SolarPosition {
  const T = (julianDay - 2451545) / 36525;
  const L0 = (((280.46646 + T * (36000.76983 + T * 0.0003032)) % 360) + 360) % 360;
  const M = 357.52911 + T * (35999.05029 - 0.0001537 * T);
  const e = 0.016708634 - T * (0.000042037 + 0.0000001267 * T);
  const Mr = M * RAD;
  const C = Math.sin(Mr) * (1.914602 - T * (0.004817 + 0.000014 * T)) + Math.sin(2 * Mr) * (0.019993 - 0.000101 * T) + Math.sin(3 * Mr) * 0.000289;
  const omega = (125.04 - 1934.136 * T) * RAD;
  const lambda = (L0 + C - 0.00569 - 0.00478 * Math.sin(omega)) * RAD;
  const eps0 = 23 + (26 + (21.448 - T * (46.815 + T * (0.00059 - T * 0.001813))) / 60) / 60;
  const eps = (eps0 + 0.00256 * Math.cos(omega)) * RAD;
  const declinationRad = Math.asin(Math.sin(eps) * Math.sin(lambda));
  const y = Math.tan(eps / 2) ** 2;
  const L0r = L0 * RAD;
  const eqTimeRad =
    y * Math.sin(2 * L0r) -
    2 * e * Math.sin(Mr) +
    4 * e * y * Math.sin(Mr) * Math.cos(2 * L0r) -
    0.5 * y * y * Math.sin(4 * L0r) -
    1.25 * e * e * Math.sin(2 * Mr);
  return { declinationRad, eqTimeMin: 4 * eqTimeRad * DEG };
}

/** Minutes after 00:00 UTC of the event on that UTC date, or null when the sun does not cross the horizon. */
function eventMinutesUtc(dayStartUtc: number, lat: number, lon: number, which: 'rise' | 'set' | 'noon', guessMin: number): number | null {
  const jd = (dayStartUtc + guessMin * 60_000) / 86_400_000 + 2440587.5;
  const p = solarPosition(jd);
  const noon = 720 - 4 * lon - p.eqTimeMin;
  if (which === 'noon') return noon;
  const phi = lat * RAD;
  const cosH = Math.cos(ZENITH_DEG * RAD) / (Math.cos(phi) * Math.cos(p.declinationRad)) - Math.tan(phi) * Math.tan(p.declinationRad);
  if (cosH < -1 || cosH > 1) return null;
  const haMin = 4 * Math.acos(cosH) * DEG;
  return which === 'rise' ? noon - haMin : noon + haMin;
}

/** One refinement: the sun's position is taken at the event's own time, not at noon. */
function refined(dayStartUtc: number, lat: number, lon: number, which: 'rise' | 'set' | 'noon'): number | null {
  const first = eventMinutesUtc(dayStartUtc, lat, lon, which, 720 - 4 * lon);
  if (first === null) return null;
  return eventMinutesUtc(dayStartUtc, lat, lon, which, first);
}

/**
 * Sun times for the local calendar date (y, m, d) at lat/lon (degrees, east positive). The date's events are those
 * around its local solar noon, which for any zone near its meridian falls on the same UTC date.
 */
export function sunTimes(date: { y: number; m: number; d: number }, lat: number, lon: number): SunTimes {
  const day = Date.UTC(date.y, date.m - 1, date.d);
  const at = (min: number | null): number | null => (min === null ? null : Math.round(day + min * 60_000));
  return {
    sunrise: at(refined(day, lat, lon, 'rise')),
    sunset: at(refined(day, lat, lon, 'set')),
    solarNoon: at(refined(day, lat, lon, 'noon')) ?? day + 720 * 60_000,
  };
}
