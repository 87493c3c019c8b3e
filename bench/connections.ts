/**
 * Connections benchmark (issue 3): how many concurrent device connections one service process holds, and the memory
 * each costs. Devices are provisioned in-process, then connected in steps from separate client processes (raw MQTT
 * CONNECT + SUBSCRIBE with credentials and last-will, as the simulator's devices do; no telemetry), spread across
 * several 127.0.0.x source addresses; the service's resident memory is read after each step. Target: 20,000 under 1 GB.
 *
 *   npm run bench:connections [-- --connections 20000 --clients 2 --step 2500 --hold 30 --no-write]
 *
 * Loopback only. The connect rate limit is raised for the run (SW_MQTT_CONNECT_RATE/BURST). Every process here is
 * bound by the open-files limit (ulimit -n), which the script reports and cannot raise without privileges.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FleetDeviceSpec } from '../simulators/mqtt/fleet.ts';
import { planDevices } from '../simulators/mqtt/provision.ts';
import { createScratchDatabase } from '../tests/helpers/db-modes.ts';
import { Child } from './lib/child.ts';
import { currentRss, machineLine, mib, peakRss, ROOT, table, writeSection } from './lib/report.ts';

const PG_URL = process.env.SW_BENCH_PG_URL ?? process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const TARGET_CONNECTIONS = 20_000;
const TARGET_RSS = 2 ** 30;

const { values: argv } = parseArgs({
  options: {
    connections: { type: 'string', default: String(TARGET_CONNECTIONS) },
    clients: { type: 'string', default: '2' },
    step: { type: 'string', default: '2500' },
    hold: { type: 'string', default: '30' },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(argv.connections);
const CLIENTS = Math.max(1, Number(argv.clients));
const STEP = Math.max(1, Number(argv.step));
const HOLD_MS = Number(argv.hold) * 1000;

interface Stats {
  rss: number;
  heapUsed: number;
  connections: number;
}
interface Point {
  connections: number;
  rssBytes: number;
  heapBytes: number;
}

/** Soft and hard open-files limits of a process, from /proc (what `ulimit -n` / `ulimit -Hn` show). */
function fileLimits(pid: number | 'self'): { soft: string; hard: string } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return { soft: m?.[1] ?? '?', hard: m?.[2] ?? '?' };
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

async function main(): Promise<void> {
  const machine = machineLine();
  console.log(`Machine: ${machine}`);
  const limits = fileLimits('self');
  console.log(`open-files limit (ulimit -n): soft ${limits.soft}, hard ${limits.hard}`);
  const db = await createScratchDatabase(PG_URL);
  // No `ulimit -n` needed for the soft limit: Node raises its own soft open-files limit to the hard limit at startup.
  const service = new Child(path.join(ROOT, 'bench/lib/ingest-target.ts'), { execArgv: ['--expose-gc'] });
  const clients = Array.from({ length: CLIENTS }, () => new Child(path.join(ROOT, 'bench/lib/conn-client.ts')));
  const points: Point[] = [];
  const errors: Record<string, number> = {};
  try {
    const plan = planDevices({ streetlight: N }, 'conn');
    const t0 = Date.now();
    const { specs, port } = await service.call<{ specs: FleetDeviceSpec[]; port: number }>('start', { target: 'service', dbUrl: db.url, plan });
    console.log(`${specs.length} devices provisioned in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const measure = async (): Promise<Stats> => {
      await new Promise((r) => setTimeout(r, 1500));
      return service.call<Stats>('stats', { gc: true });
    };
    const base = await measure();
    points.push({ connections: 0, rssBytes: currentRss(service.pid), heapBytes: base.heapUsed });
    for (let from = 0; from < specs.length; from += STEP) {
      const slice = specs.slice(from, from + STEP);
      const results = await Promise.all(
        clients.map((c, i) =>
          c.call<{ opened: number; errors: Record<string, number> }>('open', { port, specs: slice.filter((_, j) => j % CLIENTS === i), sources: SOURCES }),
        ),
      );
      for (const r of results) for (const [e, n] of Object.entries(r.errors)) errors[e] = (errors[e] ?? 0) + n;
      const s = await measure();
      points.push({ connections: s.connections, rssBytes: currentRss(service.pid), heapBytes: s.heapUsed });
      console.log(`  ${s.connections} connected: RSS ${mib(currentRss(service.pid))}, heap ${mib(s.heapUsed)}, open files ${openFds(service.pid)}`);
      if (results.every((r) => r.opened === 0)) break;
    }
    console.log(`holding for ${HOLD_MS / 1000} s…`);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const held = await measure();
    const stillOpen = (await Promise.all(clients.map((c) => c.call<{ open: number }>('count')))).reduce((a, c) => a + c.open, 0);
    const text = report({
      machine,
      limits: { self: limits, service: fileLimits(service.pid) },
      points,
      held,
      stillOpen,
      errors,
      peak: peakRss(service.pid),
      fds: openFds(service.pid),
    });
    console.log(`\n${text}\n`);
    if (!argv['no-write']) {
      writeSection('## Connections', text);
      console.log('written to BENCHMARKS.md, section "Connections"');
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await service.close(60_000);
    await db.drop().catch(() => undefined);
  }
}

function report(r: {
  machine: string;
  limits: { self: { soft: string; hard: string }; service: { soft: string; hard: string } };
  points: Point[];
  held: Stats;
  stillOpen: number;
  errors: Record<string, number>;
  peak: number;
  fds: number;
}): string {
  const base = r.points[0] as Point;
  const top = r.points.reduce((a, b) => (b.connections > a.connections ? b : a));
  const perConn = top.connections ? (top.rssBytes - base.rssBytes) / top.connections : 0;
  const heapPerConn = top.connections ? (top.heapBytes - base.heapBytes) / top.connections : 0;
  const errs = Object.entries(r.errors)
    .map(([e, n]) => `${n} × "${e}"`)
    .join('; ');
  const short = TARGET_CONNECTIONS - r.held.connections;
  return [
    `Command: \`npm run bench:connections -- --connections ${N} --clients ${CLIENTS} --step ${STEP} --hold ${HOLD_MS / 1000}\``,
    '',
    `Machine: ${r.machine}.`,
    '',
    `One service process (startApp on a scratch plain-PostgreSQL database, connect rate limit raised for the run) and ${CLIENTS} client` +
      ` processes opening device connections from ${SOURCES[0]}–${SOURCES[SOURCES.length - 1]}: MQTT 3.1.1 CONNECT with the device's` +
      ' credentials and last-will, then SUBSCRIBE to its command topic, as the simulator does (no telemetry: this measures holding' +
      ` connections). Open-files limit: ${r.limits.self.soft} soft / ${r.limits.self.hard} hard for this shell, ${r.limits.service.soft} / ${r.limits.service.hard} in the service process (Node raises its soft limit to the hard limit by itself at startup, so \`ulimit -n\` cannot add more). Raising the hard limit needs CAP_SYS_RESOURCE (systemd LimitNOFILE, docker --ulimit nofile); this machine's root has it removed.`,
    '',
    table(
      ['Connected', 'service RSS', 'JS heap (after GC)'],
      r.points.map((p) => [p.connections, mib(p.rssBytes), mib(p.heapBytes)]),
    ),
    '',
    `Held for ${HOLD_MS / 1000} s: ${r.held.connections} connections on the service, ${r.stillOpen} still open on the clients; service open files ${r.fds}; peak RSS ${mib(r.peak)}.`,
    `Memory per connection: ${(perConn / 1024).toFixed(1)} KiB RSS, ${(heapPerConn / 1024).toFixed(1)} KiB of JS heap` +
      ` (from ${top.connections} connections over the baseline of ${mib(base.rssBytes)} with ${N} devices provisioned and none connected).` +
      ` At that rate 20,000 connections would take ${mib(base.rssBytes + perConn * TARGET_CONNECTIONS)}.`,
    ...(errs ? [`Connections refused or failed: ${errs}.`] : []),
    '',
    table(
      ['Target', 'Met', 'Result'],
      [
        [
          '20,000 concurrent connections in one process',
          short <= 0 ? 'yes' : '**no**',
          short <= 0
            ? `${r.held.connections} held`
            : `${r.held.connections} held, ${short} short: the process hit its open-files limit (${r.limits.service.soft}; ${r.fds} descriptors open: ${r.held.connections} device sockets plus ${r.fds - r.held.connections} of the service's own: listening sockets, database connections, event loop, stdio). One descriptor per TCP connection, so with a hard limit of ${r.limits.service.hard} no process can hold ${TARGET_CONNECTIONS} connections *and* anything else; 20,000 devices need a limit of at least ~20,100 (systemd LimitNOFILE, docker --ulimit nofile), and this machine's hard limit cannot be raised from inside it (no CAP_SYS_RESOURCE)`,
        ],
        [
          '… under 1 GB resident memory',
          r.peak < TARGET_RSS ? 'yes' : '**no**',
          `peak RSS ${mib(r.peak)} at ${r.held.connections} connections; ${mib(base.rssBytes + perConn * TARGET_CONNECTIONS)} extrapolated to 20,000`,
        ],
      ],
    ),
  ].join('\n');
}

main().catch((err: Error) => {
  console.error(`bench:connections failed: ${err.stack ?? err.message}`);
  process.exit(2);
});
