/**
 * Sunrise and sunset for streetlight programs (steps at "sunset ± offset"), NOAA's general solar-position
 * approximation: accurate to a minute or two at Vietnam's latitudes, which is far inside a lighting program's tolerance.
 */
import { VN_OFFSET_MS } from '../local-time.ts';

const RAD = Math.PI / 180;
/** Sun's centre 0.833° below the horizon: refraction plus the solar disc's radius. */
const ZENITH = 90.833 * RAD;

export interface SunTimes {
  /** Minutes after local midnight (UTC+7); null during polar day or night (never in Vietnam). */
  sunrise: number | null;
  sunset: number | null;
}

/** Sun times on the given local day (days since 1970-01-01, local calendar) at lat/lon in degrees. */
export function sunTimes(localDayNumber: number, lat: number, lon: number): SunTimes {
  const date = new Date(localDayNumber * 86_400_000);
  const year = date.getUTCFullYear();
  const dayOfYear = Math.round((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const g = ((2 * Math.PI) / 365) * (dayOfYear - 1);
  const eqTimeMin = 229.18 * (0.000075 + 0.001868 * Math.cos(g) - 0.032077 * Math.sin(g) - 0.014615 * Math.cos(2 * g) - 0.040849 * Math.sin(2 * g));
  const decl =
    0.006918 -
    0.399912 * Math.cos(g) +
    0.070257 * Math.sin(g) -
    0.006758 * Math.cos(2 * g) +
    0.000907 * Math.sin(2 * g) -
    0.002697 * Math.cos(3 * g) +
    0.00148 * Math.sin(3 * g);
  const phi = lat * RAD;
  const cosHa = Math.cos(ZENITH) / (Math.cos(phi) * Math.cos(decl)) - Math.tan(phi) * Math.tan(decl);
  if (cosHa < -1 || cosHa > 1) return { sunrise: null, sunset: null };
  const haDeg = Math.acos(cosHa) / RAD;
  const offsetMin = VN_OFFSET_MS / 60_000;
  return {
    sunrise: 720 - 4 * (lon + haDeg) - eqTimeMin + offsetMin,
    sunset: 720 - 4 * (lon - haDeg) - eqTimeMin + offsetMin,
  };
}
