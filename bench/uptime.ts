/**
 * Uptime for a whole ward over half a year: from the daily rollup vs from raw status events, side by side.
 * 3,000 devices, 180 days of status history (random outages), planned maintenance windows.
 * Target (issue 6): rollups under 200 ms and at least 20× faster than raw.
 *
 *   npm run bench:uptime                 # PostgreSQL at SW_BENCH_PG_URL (default the local server), else embedded
 *   SW_BENCH_DB=embedded npm run bench:uptime
 *   SW_BENCH_WRITE=0 npm run bench:uptime   # do not update BENCHMARKS.md
 *
 * Writes its results into the "Uptime from rollups" section of BENCHMARKS.md (other sections are left alone).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../services/common/logger.ts';
import type { Db } from '../services/db/db.ts';
import { migrate } from '../services/db/migrator.ts';
import { openPg } from '../services/db/pg-driver.ts';
import { openPglite } from '../services/db/pglite-driver.ts';
import { dayStart, floorDay, localDay, addDaysIso as addDays } from '../services/common/zoned-time.ts';
import type { UptimeTotals } from '../services/health/uptime/uptime-math.ts';
import { UptimeRepository } from '../services/health/uptime/uptime.repository.ts';
import { UptimeService } from '../services/health/uptime/uptime.service.ts';
import { ServiceRunRepository } from '../services/health/uptime/service-runs.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../tests/helpers/db-modes.ts';

const DEVICES = 3000;
const DAYS = 180;
const TZ = 'Asia/Ho_Chi_Minh';
const KINDS = ['streetlight', 'streetlight', 'streetlight', 'wifi-ap', 'camera', 'speaker'];

/** Deterministic PRNG (mulberry32) so every run loads the same history. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

async function load(db: Db, start: number, end: number): Promise<{ events: number; windows: number }> {
  const r = rng(20260623);
  const ids: string[] = [];
  for (let i = 0; i < DEVICES; i++) ids.push(`dev-${String(i).padStart(5, '0')}`);
  const groups = Array.from({ length: 30 }, (_, i) => `tdp-${i + 1}`);
  await db.query(`INSERT INTO zones (id, name, kind, ward_code) SELECT g, g, 'residential_group', '22330' FROM unnest($1::text[]) g`, [groups]);
  await db.query(
    `INSERT INTO devices (id, kind, name, ward_code, group_id, installed_at) SELECT * FROM unnest($1::text[], $2::text[], $1::text[], $3::text[], $4::text[], $5::timestamptz[])`,
    [
      ids,
      ids.map((_, i) => KINDS[i % KINDS.length]),
      ids.map(() => '22330'),
      ids.map((_, i) => groups[i % groups.length]),
      ids.map((_, i) => (i % 10 === 0 ? new Date(start + 30 * 86400_000) : new Date(start - 86400_000)).toISOString()),
    ],
  );
  let events = 0;
  let batch: { t: number; id: string; on: boolean }[] = [];
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    await db.query(
      `INSERT INTO status_events (time, device_id, online, reason) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::boolean[], $4::text[])`,
      [batch.map((e) => new Date(e.t).toISOString()), batch.map((e) => e.id), batch.map((e) => e.on), batch.map(() => 'bench')],
    );
    events += batch.length;
    batch = [];
  };
  for (const id of ids) {
    // Online from the start; outages arrive ~every 3 days and last ~2 h (exponential), some never end.
    let t = start - 3600_000;
    batch.push({ t, id, on: true });
    for (;;) {
      t += -Math.log(1 - r()) * 3 * 86400_000;
      if (t >= end) break;
      batch.push({ t, id, on: false });
      t += -Math.log(1 - r()) * 2 * 3600_000;
      if (t >= end) break;
      batch.push({ t, id, on: true });
    }
    if (batch.length > 50_000) await flush();
  }
  await flush();
  // A monthly 2-hour ward-wide window and 60 per-device windows.
  let windows = 0;
  for (let d = 15; d < DAYS; d += 30, windows++) {
    await db.query(
      `INSERT INTO maintenance_windows (title, scope_type, scope_id, starts_at, ends_at, created_by) VALUES ('ward', 'ward', '22330', $1, $2, 'bench')`,
      [new Date(start + d * 86400_000), new Date(start + d * 86400_000 + 7200_000)],
    );
  }
  for (let i = 0; i < 60; i++, windows++) {
    const s = start + Math.floor(r() * DAYS) * 86400_000 + 3600_000;
    await db.query(
      `INSERT INTO maintenance_windows (title, scope_type, scope_id, starts_at, ends_at, created_by) VALUES ('dev', 'device', $1, $2, $3, 'bench')`,
      [ids[i * 50], new Date(s), new Date(s + 6 * 3600_000)],
    );
  }
  await db.query('ANALYZE');
  return { events, windows };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function totalOf(m: Map<string, UptimeTotals>): UptimeTotals {
  const t = { upS: 0, downS: 0, unknownS: 0, maintenanceS: 0, changes: 0 };
  for (const v of m.values()) {
    t.upS += v.upS;
    t.downS += v.downS;
    t.unknownS += v.unknownS;
    t.maintenanceS += v.maintenanceS;
    t.changes += v.changes;
  }
  return t;
}

function machine(): string {
  const cpu = existsSync('/proc/cpuinfo')
    ? (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model)
    : os.cpus()[0]?.model;
  return `${os.availableParallelism()} CPUs (nproc), ${cpu ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

function writeSection(text: string): void {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../BENCHMARKS.md');
  const heading = '## Uptime from rollups';
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const at = doc.indexOf(heading);
  if (at >= 0) {
    const next = doc.indexOf('\n## ', at + heading.length);
    doc = doc.slice(0, at) + text + (next >= 0 ? doc.slice(next + 1) : '');
  } else {
    doc = `${doc.trimEnd()}\n\n${text}`;
  }
  writeFileSync(file, doc.endsWith('\n') ? doc : `${doc}\n`);
}

async function main(): Promise<void> {
  const { db, label, drop } = await openDb();
  try {
    await migrate(db, silentLogger());
    const today = floorDay(Date.now(), TZ);
    const start = dayStart(addDays(localDay(today, TZ), -DAYS), TZ);
    const loaded = await timed(() => load(db, start, Date.now()));
    console.log(
      `loaded ${DEVICES} devices, ${loaded.value.events} status events, ${loaded.value.windows} maintenance windows in ${(loaded.ms / 1000).toFixed(1)} s`,
    );
    // With the service-run table (issue 10), as the health module builds it: the bench has no runs, so no gaps.
    const uptime = new UptimeService({ repo: new UptimeRepository(db), timezone: TZ, log: silentLogger(), graceMs: 0, runs: new ServiceRunRepository(db) });
    const build = await timed(() => uptime.refresh());
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM uptime_daily');
    console.log(`rollup first build: ${rows.rows[0]?.n} rows in ${(build.ms / 1000).toFixed(1)} s`);

    const devices = await uptime.devicesInScope({ type: 'ward', id: '22330' });
    const window = { from: start, to: today };
    // An unaligned window (10:37 local, 180 days back, up to now) exercises the raw edges and today.
    const ragged = { from: start + 10 * 3600_000 + 37 * 60_000, to: Date.now() };
    await uptime.perDevice(devices, window); // warm-up
    const rolled = [];
    for (let i = 0; i < 15; i++) rolled.push(await timed(() => uptime.perDevice(devices, window)));
    const raggedRuns = [];
    for (let i = 0; i < 5; i++) raggedRuns.push(await timed(() => uptime.perDevice(devices, ragged)));
    const raw = [];
    for (let i = 0; i < 3; i++) raw.push(await timed(() => uptime.perDevice(devices, window, { rollups: false })));
    const a = totalOf(rolled[0]?.value ?? new Map());
    const b = totalOf(raw[0]?.value ?? new Map());
    const agree =
      Math.abs(a.upS - b.upS) < 1e-3 * DEVICES && Math.abs(a.downS - b.downS) < 1e-3 * DEVICES && Math.abs(a.maintenanceS - b.maintenanceS) < 1e-3 * DEVICES;
    const rm = median(rolled.map((x) => x.ms));
    const gm = median(raggedRuns.map((x) => x.ms));
    const wm = median(raw.map((x) => x.ms));
    const avail = (a.upS / (a.upS + a.downS)) * 100;
    const verdict = rm < 200 && wm / rm >= 20 ? 'target met' : 'TARGET MISSED';
    console.log(
      `rollups ${rm.toFixed(1)} ms (unaligned window ${gm.toFixed(1)} ms), raw ${wm.toFixed(0)} ms, ${(wm / rm).toFixed(0)}× — ${verdict}; results agree: ${agree}`,
    );
    const section = `## Uptime from rollups

Command: \`npm run bench:uptime\` (bench/uptime.ts). Run on ${new Date().toISOString().slice(0, 10)}.

- Machine: ${machine()}. Shared with other engineers' test runs while measuring: load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} (1/5/15 min) at the end of the run.
- Database: ${label}.
- Data: ${DEVICES} devices (one ward), ${DAYS} days of status history: ${loaded.value.events.toLocaleString('en')} status events
  (outages every ~3 days lasting ~2 h, exponential), ${loaded.value.windows} planned maintenance windows, 10 % of devices installed a month in.
- Query: per-device uptime (up / down / unknown / maintenance seconds) for all ${DEVICES} devices over the ${DAYS} whole local days,
  through \`UptimeService.perDevice\` — the code the API and the indicators use. Median of 15 (rollups) and 3 (raw) runs after a warm-up.

| Path | Median time | Notes |
|---|---|---|
| Daily rollup (\`uptime_daily\`, ${rows.rows[0]?.n?.toLocaleString('en')} rows) | **${rm.toFixed(1)} ms** | includes the dirty check and watermark read |
| Rollup + raw edges, unaligned window (10:37, ${DAYS} days back → now) | ${gm.toFixed(1)} ms | two partial days and today from raw events |
| Raw status events (same arithmetic, no rollup) | ${wm.toFixed(0)} ms | reads every event of the window |
| **Speed-up** | **${(wm / rm).toFixed(0)}×** | target: rollups < 200 ms and ≥ 20× faster — ${verdict} |

Both paths give the same totals (${agree ? 'checked in the run' : 'MISMATCH — investigate'}): ward availability ${avail.toFixed(3)} %.
Building the rollup from nothing (first start on an existing history) took ${(build.ms / 1000).toFixed(1)} s; afterwards it grows by one
row per device per day, and late events or maintenance changes recompute only the devices and days they touch.
`;
    if (process.env.SW_BENCH_WRITE !== '0') writeSection(section);
    console.log(section);
  } finally {
    await drop();
  }
}

await main();
