/**
 * Benchmark: dim a whole ward of 3,000 simulated streetlights and time it from the API call until every
 * acknowledgement is recorded in the database (docs/control.md, issue 4). The service runs in this process on a
 * scratch PostgreSQL database and on the embedded build (--db postgres|embedded|both); the 3,000 MQTT devices run in a child
 * process (SimulatedFleet), as a real fleet would be elsewhere. Writes the section "Dimming a ward" of BENCHMARKS.md.
 *
 *   npm run bench:dim                       # PostgreSQL at SW_TEST_PG_URL (default local), then embedded; 3,000 lights, 5 runs
 *   npm run bench:dim -- --db embedded --lights 1000 --runs 3 --no-write [--profile out.cpuprofile]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { startApp, type App } from '../services/app.ts';
import { silentLogger } from '../services/common/logger.ts';
import { loadConfig } from '../services/config/config.ts';
import type { Db } from '../services/db/db.ts';
import { openPg } from '../services/db/pg-driver.ts';
import { openPglite } from '../services/db/pglite-driver.ts';
import { SimulatedFleet, type FleetDeviceSpec } from '../simulators/mqtt/index.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../tests/helpers/db-modes.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const PASSWORD = 'bench-admin-password';

interface Args { lights: number; runs: number; db: 'postgres' | 'embedded' | 'both'; write: boolean; profile: string | null }

function args(): Args {
  const a = process.argv.slice(2);
  const val = (k: string, d: string): string => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] ? (a[i + 1] as string) : d;
  };
  return { lights: Number(val('--lights', '3000')), runs: Number(val('--runs', '5')), db: (['postgres', 'embedded', 'both'] as const).find((x) => x === val('--db', 'both')) ?? 'both', write: !a.includes('--no-write'), profile: a.includes('--profile') ? val('--profile', 'dim-ward.cpuprofile') : null };
}

// ── Child: the fleet ──────────────────────────────────────────────────────────────────────────────────────────────
async function fleetChild(): Promise<void> {
  let fleet: SimulatedFleet | undefined;
  process.on('message', (m: { start?: { brokerUrl: string; devices: FleetDeviceSpec[] }; stop?: true }) => {
    if (m.start) {
      fleet = new SimulatedFleet({ brokerUrl: m.start.brokerUrl, devices: m.start.devices, concurrency: 50 });
      for (const d of fleet.devices) d.on('clientError', () => undefined);
      void fleet.start().then((r) => process.send?.({ ready: r }));
    }
    if (m.stop) void (fleet?.stop('kill') ?? Promise.resolve()).then(() => process.exit(0));
  });
  process.send?.({ hello: true });
}

// ── Parent: the service and the measurement ───────────────────────────────────────────────────────────────────────
async function openDb(kind: 'postgres' | 'embedded'): Promise<{ db: Db; label: string; drop: () => Promise<void> }> {
  if (kind === 'embedded') {
    const db = await openPglite({ dataDir: null, log: silentLogger() });
    return { db, label: 'embedded TimescaleDB (PGlite, in-process)', drop: () => db.close() };
  }
  const s = await createScratchDatabase(PG_ADMIN_URL);
  const db = await openPg({ url: s.url, poolSize: 10, log: silentLogger() });
  const v = await db.query<{ v: string }>('SELECT version() AS v');
  return { db, label: `PostgreSQL ${(v.rows[0]?.v ?? '').split(' ')[1] ?? ''} (local server${db.capabilities.timescale ? ', TimescaleDB' : ''})`, drop: async () => { await db.close(); await s.drop(); } };
}

async function provision(app: App, n: number): Promise<FleetDeviceSpec[]> {
  const specs: FleetDeviceSpec[] = [];
  const ids = Array.from({ length: n }, (_, i) => `sl-w-${String(i + 1).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 25) {
    const batch = await Promise.all(ids.slice(i, i + 25).map((id) => app.devices.provision({ id, kind: 'streetlight', name: `Đèn ${id}` })));
    for (const r of batch) specs.push({ deviceId: r.device.id, secret: r.credentials.password, kind: 'streetlight' });
  }
  return specs;
}

function startFleet(brokerUrl: string, devices: FleetDeviceSpec[]): Promise<{ child: ChildProcess; connected: number }> {
  const child = fork(SELF, ['--fleet'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { hello?: true; ready?: { connected: number; failed: unknown[] } }) => {
      if (m.hello) child.send({ start: { brokerUrl, devices } });
      if (m.ready) resolve({ child, connected: m.ready.connected });
    });
    child.once('exit', (code) => reject(new Error(`fleet process exited with ${code}`)));
  });
}

async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

interface RunResult { apiMs: number; allAckedMs: number; acked: number }

async function dimOnce(app: App, token: string, n: number, level: number): Promise<RunResult> {
  const base = app.urls().http;
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/lighting/override`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ target: { type: 'ward', code: app.config.ward.code }, level, rampS: 0, durationS: 3600 }),
  });
  const body = (await res.json()) as { commands?: { id: string }[] };
  const apiMs = performance.now() - t0;
  const id = body.commands?.[0]?.id;
  if (res.status !== 201 || !id) throw new Error(`dim refused: ${res.status} ${JSON.stringify(body)}`);
  let acked = 0;
  await waitUntil(async () => {
    const r = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM command_deliveries WHERE command_id = $1 AND state = 'acknowledged'`, [id]);
    acked = r.rows[0]?.n ?? 0;
    return acked >= n;
  }, 60_000, 10);
  return { apiMs, allAckedMs: performance.now() - t0, acked };
}

function machine(): Record<string, string> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return { nproc: String(os.availableParallelism()), cpu, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`, node: process.version, os: `${os.type()} ${os.release()}`, load: os.loadavg().map((x) => x.toFixed(1)).join(' / ') };
}

function writeSection(md: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const heading = '## Dimming a ward';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nMeasured on this project\'s machines; each section says how to reproduce it.\n';
  const start = text.indexOf(heading);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + heading.length);
    text = text.slice(0, start) + md + (next >= 0 ? text.slice(next + 1) : '');
  } else {
    text = `${text.trimEnd()}\n\n${md}`;
  }
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

interface Measured { label: string; results: RunResult[] }

async function profiled<T>(file: string | null, fn: () => Promise<T>): Promise<T> {
  // --profile FILE: a CPU profile of the service during the measured runs only (open it in Chrome DevTools).
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/** Starts the service on one database, connects the fleet, and measures the runs. */
async function measure(kind: 'postgres' | 'embedded', a: Args): Promise<Measured> {
  const { db, label, drop } = await openDb(kind);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-bench-'));
  const config = loadConfig({}, {
    SW_DATA_DIR: dataDir, SW_MQTT_HOST: '127.0.0.1', SW_MQTT_PORT: '0', SW_HTTP_HOST: '127.0.0.1', SW_HTTP_PORT: '0', SW_ADMIN_PASSWORD: PASSWORD,
    SW_LOG_LEVEL: 'warn', SW_MQTT_CONNECT_RATE: '100000', SW_MQTT_CONNECT_BURST: '100000',
  });
  const app = await startApp(config, silentLogger(), { db });
  let child: ChildProcess | undefined;
  try {
    console.log(`provisioning ${a.lights} lights on ${label} …`);
    const specs = await provision(app, a.lights);
    console.log('connecting the fleet (child process) …');
    const f = await startFleet(app.urls().mqtt, specs);
    child = f.child;
    if (f.connected !== a.lights) throw new Error(`only ${f.connected} of ${a.lights} lights connected`);
    await waitUntil(async () => ((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_state WHERE online')).rows[0]?.n ?? 0) >= a.lights, 60_000, 100);
    const login = await fetch(`${app.urls().http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    const token = ((await login.json()) as { token: string }).token;
    // One warm-up run (JIT, connection pool, query plans), then the measured runs.
    await dimOnce(app, token, a.lights, 90);
    const results = await profiled(a.profile, async () => {
      const out: RunResult[] = [];
      for (let i = 0; i < a.runs; i++) {
        const r = await dimOnce(app, token, a.lights, i % 2 ? 70 : 40);
        out.push(r);
        console.log(`run ${i + 1}: API answered in ${r.apiMs.toFixed(0)} ms, all ${r.acked} acks recorded after ${r.allAckedMs.toFixed(0)} ms`);
        await new Promise((res) => setTimeout(res, 500));
      }
      return out;
    });
    return { label, results };
  } finally {
    child?.send({ stop: true });
    await new Promise((r) => (child ? child.once('exit', r) : r(null)));
    await app.stop();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(a: Args, all: Measured[]): string {
  const m = machine();
  const lines = [
    '## Dimming a ward',
    '',
    `Dim every streetlight of a ward (${a.lights.toLocaleString('en')} simulated lights, one \`POST /api/v1/lighting/override\` with a ward target) and time it`,
    'from the API call until the database holds an acknowledged delivery for every light. Target: under 2 s.',
    '',
    'Reproduce: `npm run bench:dim` (options: `--db postgres|embedded|both`, `--lights N`, `--runs N`, `--no-write`, `--profile FILE`).',
    'The service runs in the benchmark process with its real broker, ingest and API on loopback; the lights are a `SimulatedFleet` of',
    'real MQTT clients in a child process. One warm-up run is not counted.',
    '',
  ];
  for (const x of all) {
    const sorted = x.results.map((r) => r.allAckedMs).sort((p, q) => p - q);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    lines.push(
      `Measured ${new Date().toISOString().slice(0, 10)} on ${x.label}:`,
      '',
      '| run | API answered (ms) | all acks recorded (ms) |',
      '|---|---|---|',
      ...x.results.map((r, i) => `| ${i + 1} | ${r.apiMs.toFixed(0)} | ${r.allAckedMs.toFixed(0)} |`),
      '',
      `Median ${median.toFixed(0)} ms, best ${sorted[0]?.toFixed(0)} ms, worst ${sorted[sorted.length - 1]?.toFixed(0)} ms — ${median < 2000 ? 'within' : 'over'} the 2 s target.`,
      '',
    );
  }
  lines.push(
    `Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memory} memory, Node ${m.node}, ${m.os}. It was shared with other engineers' work while`,
    `measured: load average ${m.load} (1 / 5 / 15 min) at the end.`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = args();
  const kinds: ('postgres' | 'embedded')[] = a.db === 'both' ? ['postgres', 'embedded'] : [a.db];
  const all: Measured[] = [];
  for (const k of kinds) all.push(await measure(k, a));
  const md = report(a, all);
  console.log(`\n${md}`);
  if (a.write) writeSection(md);
}

if (process.argv.includes('--fleet')) void fleetChild();
else main().then(() => process.exit(0), (err: Error) => {
  console.error(err);
  process.exit(1);
});
