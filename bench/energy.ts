/**
 * Energy counters (issue 10), side by side in one run on one database: the indicator's kWh figure over a month for a
 * ward's streetlights from (a) the old hourly min/max rollup, (b) the per-reading counter rollup + real-time tail (the
 * code the indicators use now), (c) per-reading steps over the raw rows only; and the cost of keeping the counter
 * rollup fresh (first build, a pass over the last 2 hours, the hourly 3-day late-data sweep).
 * Every light's node is replaced once, mid-hour (its counter restarts at 0), as in the field.
 *
 *   npm run bench:energy                    # PostgreSQL at SW_BENCH_PG_URL (default the local server), else embedded
 *   SW_BENCH_DB=embedded npm run bench:energy
 *   SW_BENCH_WRITE=0 npm run bench:energy   # do not update BENCHMARKS.md
 */
import { silentLogger } from '../services/common/logger.ts';
import type { Db } from '../services/db/db.ts';
import { migrate } from '../services/db/migrator.ts';
import { openPg } from '../services/db/pg-driver.ts';
import { openPglite } from '../services/db/pglite-driver.ts';
import { IndicatorsRepository } from '../services/health/indicators/indicators.repository.ts';
import { MaintenanceRepository } from '../services/maintenance/maintenance.repository.ts';
import { counterCeiling, counterStepsCte } from '../services/telemetry/counter-steps.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../tests/helpers/db-modes.ts';
import { machineLine, table, writeSection } from './lib/report.ts';

const LIGHTS = Number(process.env.SW_BENCH_LIGHTS ?? 200);
const DAYS = Number(process.env.SW_BENCH_DAYS ?? 30);
const STEP_MS = 15 * 60_000;
const HOUR = 3600_000;

async function openDb(): Promise<{ db: Db; label: string; drop: () => Promise<void> }> {
  const log = silentLogger();
  if (process.env.SW_BENCH_DB !== 'embedded') {
    try {
      const s = await createScratchDatabase(process.env.SW_BENCH_PG_URL ?? PG_ADMIN_URL);
      const db = await openPg({ url: s.url, poolSize: 4, log });
      const v = await db.query<{ v: string }>(`SELECT split_part(version(), ' on ', 1) AS v`);
      return {
        db,
        label: `${v.rows[0]?.v ?? 'PostgreSQL'} (${db.flavour}, local server)`,
        drop: async () => {
          await db.close();
          await s.drop();
        },
      };
    } catch (err) {
      console.warn(`PostgreSQL unreachable (${(err as Error).message}); using the embedded database`);
    }
  }
  const db = await openPglite({ dataDir: null, log });
  return { db, label: 'embedded PGlite + TimescaleDB (WASM, in-process)', drop: () => db.close() };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const total = (m: Map<string, number>): number => [...m.values()].reduce((s, v) => s + v, 0);

/** Each light draws 0.1 kWh per 15 min at night (12 h); its node is replaced once at hh:37 on a day of its own. */
async function load(db: Db, ids: string[], start: number, end: number): Promise<{ rows: number; trueKWh: number }> {
  await db.query(`INSERT INTO zones (id, name, kind, ward_code) VALUES ('tdp-b', 'Tổ bench', 'residential_group', '22330')`);
  await db.query(`INSERT INTO devices (id, kind, name, ward_code, group_id) SELECT u, 'streetlight', u, '22330', 'tdp-b' FROM unnest($1::text[]) u`, [ids]);
  let rows = 0;
  let trueKWh = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const resetAt = start + (1 + (i % (DAYS - 2))) * 86400_000 + 20 * HOUR + 37 * 60_000;
    let e = 1000 + i;
    let resetDone = false;
    const times: string[] = [];
    const data: string[] = [];
    for (let t = start; t < end; t += STEP_MS) {
      const night = new Date(t + 7 * HOUR).getUTCHours() >= 18 || new Date(t + 7 * HOUR).getUTCHours() < 6;
      if (!resetDone && t >= resetAt) {
        // The new node counts from 0 and has used 0.05 kWh by its first report.
        e = 0.05;
        resetDone = true;
        trueKWh += 0.05;
      } else if (night && t > start) {
        e += 0.1;
        trueKWh += 0.1;
      }
      times.push(new Date(t).toISOString());
      data.push(JSON.stringify({ energy: Math.round(e * 1000) / 1000, operatingHours: 0 }));
    }
    await db.query(`INSERT INTO telemetry (time, device_id, data) SELECT t, $2, d FROM unnest($1::timestamptz[], $3::jsonb[]) AS x(t, d)`, [times, id, data]);
    rows += times.length;
  }
  return { rows, trueKWh };
}

/** The indicator query before issue 10: per-hour max − min, steps between hours, from telemetry_hourly only. */
async function oldMinMax(db: Db, ids: string[], from: number, to: number): Promise<Map<string, number>> {
  const r = await db.query<{ device_id: string; delta: number }>(
    `WITH h AS (
       SELECT device_id, bucket, (stats->$2->>2)::float8 AS mn, (stats->$2->>3)::float8 AS mx
       FROM telemetry_hourly
       WHERE device_id = ANY($1::text[]) AND bucket >= $3::timestamptz - interval '7 days' AND bucket < $4 AND stats ? $2),
     d AS (SELECT device_id, bucket, mn, mx, mn - lag(mx) OVER (PARTITION BY device_id ORDER BY bucket) AS gap FROM h)
     SELECT device_id, sum((mx - mn) + CASE WHEN gap IS NULL THEN 0 WHEN gap >= 0 THEN gap ELSE mn END)::float8 AS delta
     FROM d WHERE bucket >= $3 GROUP BY device_id`,
    [ids, 'energy', new Date(from), new Date(to)],
  );
  return new Map(r.rows.map((x) => [x.device_id, Number(x.delta)]));
}

async function rawOnly(db: Db, ids: string[], from: number, to: number): Promise<Map<string, number>> {
  const r = await db.query<{ device_id: string; v: number }>(
    `WITH ${counterStepsCte({ ids: '$1', metric: '$2', from: '$3', to: '$4', max: '$5' })} SELECT device_id, sum(inc)::float8 AS v FROM cs_steps GROUP BY device_id`,
    [ids, 'energy', new Date(from), new Date(to), counterCeiling('energy')],
  );
  return new Map(r.rows.map((x) => [x.device_id, Number(x.v)]));
}

async function main(): Promise<void> {
  const machine = machineLine();
  const { db, label, drop } = await openDb();
  try {
    await migrate(db, silentLogger());
    const now = Date.now();
    const start = Math.floor((now - DAYS * 86400_000) / HOUR) * HOUR;
    const ids = Array.from({ length: LIGHTS }, (_, i) => `sl-b${String(i).padStart(4, '0')}`);
    const loaded = await timed(() => load(db, ids, start, now));
    console.log(`loaded ${loaded.value.rows} readings of ${LIGHTS} lights in ${(loaded.ms / 1000).toFixed(1)} s`);
    const m = new MaintenanceRepository(db);
    if (db.capabilities.timescale) await m.refreshTimescaleRollup(new Date(start - HOUR), new Date(now + HOUR));
    else await m.refreshPlainRollup(new Date(start - HOUR));
    const build = await timed(() => m.refreshCounterRollup('energy', ['streetlight'], null));
    const recent = [];
    const late = [];
    for (let i = 0; i < 3; i++) recent.push(await timed(() => m.refreshCounterRollup('energy', ['streetlight'], new Date(Date.now() - 2 * HOUR))));
    for (let i = 0; i < 3; i++) late.push(await timed(() => m.refreshCounterRollup('energy', ['streetlight'], new Date(Date.now() - 3 * 86400_000))));

    const repo = new IndicatorsRepository(db);
    const from = start;
    const to = Date.now();
    const runs = { old: [] as number[], now: [] as number[], raw: [] as number[] };
    let res = { old: 0, now: 0, raw: 0 };
    await repo.counterDeltas(ids, 'energy', from, to); // warm-up
    for (let i = 0; i < 5; i++) {
      const a = await timed(() => oldMinMax(db, ids, from, to));
      const b = await timed(() => repo.counterDeltas(ids, 'energy', from, to));
      const c = await timed(() => rawOnly(db, ids, from, to));
      runs.old.push(a.ms);
      runs.now.push(b.ms);
      runs.raw.push(c.ms);
      res = { old: total(a.value), now: total(b.value), raw: total(c.value) };
    }
    const truth = loaded.value.trueKWh;
    const f = (x: number): string => (Math.round(x * 10) / 10 + 0).toLocaleString('en', { maximumFractionDigits: 1 });
    const body = `Command: \`npm run bench:energy\` (bench/energy.ts; \`SW_BENCH_LIGHTS\`, \`SW_BENCH_DAYS\`). Machine: ${machine}.
Database: ${label}. Data: ${LIGHTS} streetlights × ${DAYS} days, a reading every 15 min (${loaded.value.rows.toLocaleString('en')} rows);
each light's node is replaced once at hh:37 (its counter restarts at 0; first report at hh:45, inside the hour). True energy used: **${f(truth)} kWh**.
The indicator's figure for the whole window (${DAYS} days back → now), median of 5 runs, the three queries interleaved:

${table(
  ['Query', 'Median', 'Ward kWh', 'Error'],
  [
    ['before issue 10: hourly max − min (telemetry_hourly)', `${median(runs.old).toFixed(1)} ms`, f(res.old), `${f(res.old - truth)} kWh`],
    ['now: counter_hourly + real-time tail (IndicatorsRepository.counterDeltas)', `${median(runs.now).toFixed(1)} ms`, f(res.now), `${f(res.now - truth)} kWh`],
    ['per-reading steps over raw rows only', `${median(runs.raw).toFixed(1)} ms`, f(res.raw), `${f(res.raw - truth)} kWh`],
  ],
)}

Keeping counter_hourly fresh (one counter metric): first build from the raw history ${(build.ms / 1000).toFixed(2)} s
(${build.value.toLocaleString('en')} rows); a maintenance pass over the last 2 hours ${median(recent.map((x) => x.ms)).toFixed(1)} ms;
the hourly 3-day late-data sweep ${median(late.map((x) => x.ms)).toFixed(1)} ms (medians of 3). The service runs the pass for each of the
kinds' counter metrics (6 today) every \`SW_ROLLUP_REFRESH_MS\`.
`;
    console.log(body);
    if (process.env.SW_BENCH_WRITE !== '0') writeSection('## Energy counters (resets, real-time tail)', body);
  } finally {
    await drop();
  }
}

await main();
