/**
 * Local time for the models. Asia/Ho_Chi_Minh is UTC+7 all year (Vietnam has had no daylight saving since 1975), so a
 * fixed offset is exact and keeps the models free of Intl look-ups in their hot loops.
 */
export const VN_OFFSET_MS = 7 * 3_600_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Hour of the local day as a fraction, 0 ≤ h < 24. */
export function localHour(epochMs: number): number {
  const ms = (((epochMs + VN_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return ms / HOUR_MS;
}

/** Number of the local calendar day since 1970-01-01 (local midnight boundaries). */
export function localDay(epochMs: number): number {
  return Math.floor((epochMs + VN_OFFSET_MS) / DAY_MS);
}

/** Epoch ms of local midnight starting the given local day. */
export function localMidnight(day: number): number {
  return day * DAY_MS - VN_OFFSET_MS;
}

/**
 * Piecewise-linear daily profile: points are [hour, value] sorted by hour; the curve wraps from the last point back
 * to the first one through midnight.
 */
export function dailyCurve(points: readonly (readonly [number, number])[], hour: number): number {
  const n = points.length;
  if (n === 0) return 0;
  for (let i = 0; i < n; i++) {
    const [h1, v1] = points[i] as readonly [number, number];
    const [h0, v0] = (i === 0 ? points[n - 1] : points[i - 1]) as readonly [number, number];
    const start = i === 0 ? h0 - 24 : h0;
    if (hour < h1 && hour >= start) return v0 + ((v1 - v0) * (hour - start)) / (h1 - start);
  }
  // After the last point: interpolate towards the first point of the next day.
  const [hl, vl] = points[n - 1] as readonly [number, number];
  const [hf, vf] = points[0] as readonly [number, number];
  return vl + ((vf - vl) * (hour - hl)) / (hf + 24 - hl);
}
