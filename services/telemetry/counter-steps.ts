import { DEVICE_KINDS } from '../../devices/index.ts';

/**
 * The one definition of a counter's increase (issue 10), shared by the hourly counter rollup and by the real-time
 * tail read after it (SQL fragments for repositories; no I/O here).
 *
 * Readings of one device are taken in time order; each step between two readings counts at the later one:
 * - the value grew: the difference;
 * - the value dropped: the counter was reset (node replaced, firmware restart) and counts again from zero, so the
 *   new value itself is the increase;
 * - the previous reading is more than 7 days older: nothing (when that energy was used cannot be told, and a reading
 *   that old is also not looked up before the window).
 * A step is never negative; each value is within the kind's declared range (ingest refuses others).
 */
export const MAX_STEP_GAP = "interval '7 days'";

/**
 * The largest value a counter of this name may hold: the highest `max` the kinds declaring it give. Readings stored
 * before ingest enforced the ranges (a 1e308 counter) are not readings at all here, so no sum turns huge.
 */
export function counterCeiling(metric: string): number {
  let max = 0;
  for (const k of DEVICE_KINDS) {
    const spec = Object.hasOwn(k.telemetry, metric) ? k.telemetry[metric] : undefined;
    if (spec && (spec.type === 'number' || spec.type === 'integer') && spec.meaning === 'counter') max = Math.max(max, spec.max);
  }
  return max > 0 ? max : Number.MAX_SAFE_INTEGER;
}

/**
 * CTEs `cs_prev, cs_pts, cs_lagged, cs_steps`: cs_steps(device_id, time, inc, reset) for the readings of `metric` in
 * [from, to) of the devices in `ids`, values within 0..max (counterCeiling). Arguments are SQL expressions (usually $n
 * placeholders).
 */
export function counterStepsCte(a: { ids: string; metric: string; from: string; to: string; max: string }): string {
  return `cs_prev AS (
    SELECT b.device_id, b.time, b.v FROM unnest(${a.ids}::text[]) AS u(id)
    CROSS JOIN LATERAL (
      SELECT device_id, time, (data->>${a.metric})::float8 AS v FROM telemetry
      WHERE device_id = u.id AND time < ${a.from}::timestamptz AND time >= ${a.from}::timestamptz - ${MAX_STEP_GAP}
        AND jsonb_typeof(data->${a.metric}) = 'number' AND (data->>${a.metric})::float8 BETWEEN 0 AND ${a.max}::float8
      ORDER BY time DESC LIMIT 1) b
  ), cs_pts AS (
    SELECT device_id, time, (data->>${a.metric})::float8 AS v FROM telemetry
    WHERE device_id = ANY(${a.ids}::text[]) AND time >= ${a.from}::timestamptz AND time < ${a.to}::timestamptz
      AND jsonb_typeof(data->${a.metric}) = 'number' AND (data->>${a.metric})::float8 BETWEEN 0 AND ${a.max}::float8
    UNION ALL SELECT device_id, time, v FROM cs_prev
  ), cs_lagged AS (
    SELECT device_id, time, v, lag(v) OVER w AS pv, lag(time) OVER w AS pt
    FROM cs_pts WINDOW w AS (PARTITION BY device_id ORDER BY time)
  ), cs_steps AS (
    SELECT device_id, time,
           CASE WHEN pv IS NULL OR time - pt > ${MAX_STEP_GAP} THEN 0
                WHEN v >= pv THEN v - pv
                ELSE greatest(v, 0) END AS inc,
           (pv IS NOT NULL AND v < pv) AS reset
    FROM cs_lagged WHERE time >= ${a.from}::timestamptz
  )`;
}
