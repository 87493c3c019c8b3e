/**
 * Whole-ward run (issue 3 acceptance): a ward's fleet (3,000 lights, 60 WiFi APs, 30 speaker clusters) against the
 * service for 10 minutes with faults injected, then the database is compared with what the simulator saw
 * acknowledged. Exits non-zero on any mismatch.
 *
 *   npm run soak:ward [-- --minutes 10 --interval 15 --lights 3000 --aps 60 --speakers 30 --no-write]
 *
 * The service runs as its own process (`tsx services/main.ts`, as deployed) on a scratch plain-PostgreSQL database;
 * devices are provisioned through its HTTP API, exactly as `npm run simulate` does, and run in this process.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { FleetRun } from '../simulators/mqtt/fleet-run.ts';
import type { FleetFault } from '../simulators/mqtt/faults.ts';
import { summaryLines } from '../simulators/mqtt/progress.ts';
import type { RunSnapshot } from '../simulators/mqtt/progress.ts';
import { ApiClient, planDevices, provisionFleet } from '../simulators/mqtt/provision.ts';
import { createScratchDatabase } from '../tests/helpers/db-modes.ts';
import { machineLine, mib, peakRss, ROOT, writeSection } from './lib/report.ts';
import { compareWard, type WardCheck } from './lib/ward-checks.ts';

const PG_URL = process.env.SW_BENCH_PG_URL ?? process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'ward';

const { values: argv } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    interval: { type: 'string', default: '15' },
    lights: { type: 'string', default: '3000' },
    aps: { type: 'string', default: '60' },
    speakers: { type: 'string', default: '30' },
    'no-write': { type: 'boolean', default: false },
  },
});
const MINUTES = Number(argv.minutes);
const INTERVAL_MS = Number(argv.interval) * 1000;

/** Faults injected at the start (a ward's bad day), and one cleared later to show a fault ending. */
const FAULTS: [FleetFault, { count: number } | { fraction: number }][] = [
  ['lamp-failure', { fraction: 0.01 }],
  ['day-burner', { fraction: 0.005 }],
  ['supply-loss', { count: 10 }],
  ['flapping', { count: 20 }],
  ['silent-death', { count: 5 }],
  ['clock-skew', { count: 5 }],
  ['garbage', { count: 5 }],
];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The service as deployed: its own process, the real entry point, configured by environment. */
async function startService(
  dbUrl: string,
  dir: string,
): Promise<{ pid: number; http: string; mqtt: string; password: string; stop: () => Promise<void>; log: string }> {
  const [http, mqtt] = [await freePort(), await freePort()];
  const password = randomBytes(12).toString('base64url');
  const log = path.join(dir, 'service.log');
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SW_DATABASE_URL: dbUrl,
      SW_DATA_DIR: path.join(dir, 'data'),
      SW_HTTP_HOST: '127.0.0.1',
      SW_HTTP_PORT: String(http),
      SW_MQTT_HOST: '127.0.0.1',
      SW_MQTT_PORT: String(mqtt),
      SW_ADMIN_PASSWORD: password,
      SW_LOG_LEVEL: 'warn',
      // A real ward's devices connect from thousands of addresses; here all come from 127.0.0.1.
      SW_MQTT_CONNECT_RATE: '2000',
      SW_MQTT_CONNECT_BURST: '5000',
      SW_MQTT_PENDING_PER_ADDRESS: '5000',
      SW_MQTT_PENDING_TOTAL: '5000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(log);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${http}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited at start; see ${log}:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 240) throw new Error('the service did not become ready within 2 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    pid: child.pid ?? 0,
    http: base,
    mqtt: `mqtt://127.0.0.1:${mqtt}`,
    password,
    log,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function metricsText(http: string, token: string): Promise<string> {
  return (await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
}

async function login(http: string, password: string): Promise<string> {
  const r = await fetch(`${http}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  return ((await r.json()) as { token: string }).token;
}

/** PUBACK = durable in the database or the disk spool; compare only once the spool is replayed. */
async function drained(http: string, token: string): Promise<string> {
  const until = Date.now() + 180_000;
  for (;;) {
    const m = await metricsText(http, token);
    if (/^sw_ingest_spool_batches 0$/m.test(m) || Date.now() > until) return m;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function report(o: {
  machine: string;
  snap: RunSnapshot;
  checks: WardCheck[];
  ok: boolean;
  peak: number;
  errors: string[];
  minutes: number;
  devices: number;
  provisionS: number;
}): string {
  const table = [
    '| Check | Expected | Found | OK |',
    '| --- | --- | --- | --- |',
    ...o.checks.map((c) => `| ${c.name} | ${c.expected} | ${c.found} | ${c.ok ? 'yes' : '**no**'} |`),
  ];
  return [
    `Command: \`npm run soak:ward -- --minutes ${o.minutes} --interval ${INTERVAL_MS / 1000} --lights ${argv.lights} --aps ${argv.aps} --speakers ${argv.speakers}\``,
    '',
    `Machine: ${o.machine}.`,
    '',
    `The service as its own process (\`tsx services/main.ts\`) on a scratch plain-PostgreSQL 15 database; ${o.devices} devices provisioned` +
      ` through its HTTP API in ${o.provisionS.toFixed(0)} s, then run for ${o.minutes} min from one simulator process, each reporting every` +
      ` ${INTERVAL_MS / 1000} s, with faults injected at the start (lamp-failure cleared again after 60 % of the run). Result: **${o.ok ? 'PASS' : 'FAIL'}**.`,
    '',
    '```',
    ...summaryLines(o.snap),
    '```',
    '',
    ...table,
    '',
    `Service peak RSS ${mib(o.peak)}.${
      o.errors.length
        ? ` Service errors logged (${o.errors.length}): ${[...new Set(o.errors)]
            .slice(0, 5)
            .map((e) => `\`${e}\``)
            .join(', ')}.`
        : ' No errors in the service log.'
    }`,
  ].join('\n');
}

async function main(): Promise<void> {
  const machine = machineLine();
  console.log(`Machine: ${machine}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sw-ward-soak-'));
  const db = await createScratchDatabase(PG_URL);
  const svc = await startService(db.url, dir);
  let ok = false;
  try {
    console.log(`service up: ${svc.http}, ${svc.mqtt} (log ${svc.log})`);
    const api = new ApiClient(svc.http);
    await api.login('admin', svc.password);
    const plan = planDevices({ streetlight: Number(argv.lights), 'wifi-ap': Number(argv.aps), speaker: Number(argv.speakers) }, PREFIX);
    const t0 = Date.now();
    const { specs } = await provisionFleet(api, plan, new Map(), (d, n) => console.log(`  provisioned ${d}/${n}`));
    const provisionS = (Date.now() - t0) / 1000;
    const run = new FleetRun({ brokerUrl: svc.mqtt, devices: specs, intervalMs: INTERVAL_MS, concurrency: 50, log: (l) => console.log(l) });
    const started = await run.start();
    console.log(`${started.connected}/${specs.length} connected${started.failed[0] ? `; e.g. ${started.failed[0].deviceId}: ${started.failed[0].error}` : ''}`);
    for (const [fault, amount] of FAULTS) console.log(`fault ${fault}: ${(await run.inject(fault, amount)).devices.length} devices`);
    const faultsAt = Date.now();
    run.startProgress(30_000, (l) => console.log(l));
    const runMs = MINUTES * 60_000;
    await new Promise((r) => setTimeout(r, runMs * 0.6));
    const lampFailures = run.affectedBy('lamp-failure');
    console.log(`clearing lamp-failure on ${await run.clear('lamp-failure')} devices`);
    await new Promise((r) => setTimeout(r, runMs * 0.4));
    const silent = run.affectedBy('silent-death');
    const stoppedAt = Date.now();
    const snap = await run.stop();
    for (const l of summaryLines(snap)) console.log(l);
    const token = await login(svc.http, svc.password);
    const metrics = await drained(svc.http, token);
    const checks = await compareWard({ dbUrl: db.url, prefix: PREFIX, snap, run, metrics, lampFailures, silent, faultsAt, stoppedAt });
    ok = checks.every((c) => c.ok);
    const errors = readFileSync(svc.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":50'))
      .map((l) => (JSON.parse(l) as { msg?: string; err?: string }).err ?? '?');
    const text = report({ machine, snap, checks, ok, peak: peakRss(svc.pid), errors, minutes: MINUTES, devices: specs.length, provisionS });
    console.log(`\n${text}\n`);
    if (!argv['no-write']) {
      writeSection('## Whole-ward run', text);
      console.log('written to BENCHMARKS.md, section "Whole-ward run"');
    }
  } finally {
    await svc.stop();
    await db.drop().catch(() => undefined);
    if (ok) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept the service log for inspection: ${svc.log}`);
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: Error) => {
  console.error(`soak:ward failed: ${err.stack ?? err.message}`);
  process.exit(2);
});
