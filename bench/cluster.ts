/**
 * Cluster benchmark (issue 12): three service processes, Redis and HAProxy on this machine, one PostgreSQL database.
 *   1. ingest with the whole fleet on one node, then spread over three nodes through HAProxy (side by side, one run):
 *      msg/s, CPU µs per message of the service processes, of Redis and of PostgreSQL; memory per connection per node;
 *   2. kill -9 of the busiest node under load: time until every device is connected again (to a survivor) and until a
 *      command to the whole fleet is acknowledged by every device; every acknowledged telemetry message is looked up in
 *      the database (0 lost = each one is there).
 *
 *   npm run bench:cluster [-- --devices 600 --clients 2 --warmup 3 --measure 10 --period 1000 --no-write]
 *
 * PostgreSQL: SW_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); Redis: SW_TEST_REDIS_URL (default
 * redis://127.0.0.1:6379, an empty database index 10–15 is used and flushed afterwards); HAProxy: /usr/sbin/haproxy.
 * Redis and PostgreSQL CPU are whole-server figures: other engineers' work on this machine counts in them.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CLUSTER_JOBS } from '../services/cluster/job-leases.ts';
import { settleWithLimit } from '../simulators/mqtt/concurrency.ts';
import { Child } from './lib/child.ts';
import { ClusterStack, REDIS_URL, api, clusterUnavailable, login, redisCommand } from './lib/cluster-stack.ts';
import { currentRss, machineLine, postgresCpuSeconds, ROOT, table, writeSection } from './lib/report.ts';

const { values: argv } = parseArgs({
  options: {
    devices: { type: 'string', default: '600' },
    clients: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '3' },
    measure: { type: 'string', default: '10' },
    period: { type: 'string', default: '1000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(argv.devices);
const CLIENTS = Number(argv.clients);
const WARMUP_MS = Number(argv.warmup) * 1000;
const MEASURE_MS = Number(argv.measure) * 1000;
const PERIOD_MS = Number(argv.period);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU ms a process used so far (utime + stime from /proc). */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function redisInfo(): Promise<{ cpuMs: number; memory: number }> {
  const [cpu, mem] = await redisCommand(REDIS_URL, [
    ['INFO', 'cpu'],
    ['INFO', 'memory'],
  ]);
  const num = (text: string | undefined, key: string): number => Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(text ?? '')?.[1] ?? 0);
  return { cpuMs: (num(cpu, 'used_cpu_user') + num(cpu, 'used_cpu_sys')) * 1000, memory: num(mem, 'used_memory') };
}

interface Ingest {
  label: string;
  msgsPerS: number;
  nodeUsPerMsg: number;
  redisUsPerMsg: number;
  pgUsPerMsg: number;
  nodeCores: number;
  clientCores: number;
  perNode: { id: string; connections: number; rssDeltaBytes: number }[];
  redisBytesPerConnection: number;
}

async function main(): Promise<void> {
  const why = await clusterUnavailable();
  if (why) {
    console.error(`bench:cluster needs Redis and HAProxy: ${why}`);
    process.exit(2);
  }
  const machine = machineLine();
  console.log(`machine: ${machine}`);
  const s = await ClusterStack.start({ nodes: 3, leaseMs: 3000, logLevel: 'warn' });
  const clients = Array.from({ length: CLIENTS }, () => new Child(path.join(ROOT, 'bench/lib/cluster-client.ts')));
  try {
    const lb = s.lb!;
    const token = await login(lb.httpUrl);
    await api(lb.httpUrl, 'POST', '/api/v1/zones', { token, body: { id: 'z-bench', name: 'Bench zone', kind: 'lighting_zone' } });
    const ids = Array.from({ length: DEVICES }, (_, i) => `sl-bench-${String(i).padStart(5, '0')}`);
    const specs: { deviceId: string; secret: string }[] = [];
    const t0 = Date.now();
    await settleWithLimit(ids, 8, async (id) => {
      const r = await api<{ credentials: { password: string } }>(lb.httpUrl, 'POST', '/api/v1/devices', {
        token,
        body: { id, kind: 'streetlight', name: id, zoneIds: ['z-bench'] },
      });
      if (r.status !== 201) throw new Error(`provision ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      specs.push({ deviceId: id, secret: r.body.credentials.password });
    });
    console.log(`${specs.length} streetlights provisioned through HAProxy in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const slices = clients.map((_, i) => specs.filter((_s, j) => j % CLIENTS === i));
    const pids = s.nodes.map((n) => n.proc!.pid!);

    const ingest = async (label: string, url: (i: number) => string): Promise<Ingest> => {
      const rss0 = pids.map((p) => currentRss(p));
      const redis0 = (await redisInfo()).memory;
      const connected = await Promise.all(clients.map((c, i) => c.call<{ connected: number; failed: string[] }>('connect', { url: url(i), specs: slices[i] })));
      const n = connected.reduce((a, c) => a + c.connected, 0);
      if (n !== DEVICES) throw new Error(`${label}: ${n}/${DEVICES} connected (${connected.flatMap((c) => c.failed).join('; ')})`);
      await sleep(2000);
      const byNode = await s.sql<{ node_id: string; n: number }>('SELECT node_id, count(*)::int AS n FROM cluster_connections GROUP BY node_id');
      const perNode = s.nodes.map((node, i) => ({
        id: node.id,
        connections: byNode.find((r) => r.node_id === node.id)?.n ?? 0,
        rssDeltaBytes: currentRss(pids[i]!) - rss0[i]!,
      }));
      const redisBytesPerConnection = ((await redisInfo()).memory - redis0) / DEVICES;
      const cpu0 = pids.map(procCpuMs);
      const r0 = await redisInfo();
      const pg0 = postgresCpuSeconds();
      const w0 = performance.now();
      const res = await Promise.all(
        clients.map((c) => c.call<{ acked: number; clientCpu: number }>('run', { mode: 'closed', warmupMs: WARMUP_MS, measureMs: MEASURE_MS })),
      );
      const wall = performance.now() - w0;
      const cpuMs = pids.map(procCpuMs).reduce((a, v, i) => a + v - cpu0[i]!, 0);
      const redisMs = (await redisInfo()).cpuMs - r0.cpuMs;
      const pgMs = (postgresCpuSeconds() - pg0) * 1000;
      const acked = res.reduce((a, r) => a + r.acked, 0);
      // The CPU counters cover warm-up and drain too: scale messages by the wall time, not the window.
      const msgsPerS = acked / (MEASURE_MS / 1000);
      const msgsInWall = (msgsPerS * wall) / 1000;
      await Promise.all(clients.map((c) => c.call('close')));
      await sleep(1500);
      const out: Ingest = {
        label,
        msgsPerS,
        perNode,
        redisBytesPerConnection,
        nodeUsPerMsg: (cpuMs * 1000) / msgsInWall,
        redisUsPerMsg: (redisMs * 1000) / msgsInWall,
        pgUsPerMsg: (pgMs * 1000) / msgsInWall,
        nodeCores: cpuMs / wall,
        clientCores: res.reduce((a, r) => a + r.clientCpu, 0),
      };
      console.log(
        `${label}: ${msgsPerS.toFixed(0)} msg/s; CPU µs/msg: service ${out.nodeUsPerMsg.toFixed(0)}, Redis ${out.redisUsPerMsg.toFixed(0)}, PostgreSQL ${out.pgUsPerMsg.toFixed(0)}; connections ${perNode.map((p) => `${p.id} ${p.connections}`).join(', ')}`,
      );
      return out;
    };

    const one = process.env.SW_BENCH_FAILOVER_ONLY ? null : await ingest('1 node (all devices on node-1)', () => s.nodes[0]!.mqttUrl);
    const three = process.env.SW_BENCH_FAILOVER_ONLY ? null : await ingest('3 nodes (devices through HAProxy)', () => lb.mqttUrl);

    // Failover under load.
    await Promise.all(clients.map((c, i) => c.call('connect', { url: lb.mqttUrl, specs: slices[i] })));
    await sleep(2000);
    const byNode = await s.sql<{ node_id: string; n: number }>(
      'SELECT node_id, count(*)::int AS n FROM cluster_connections GROUP BY node_id ORDER BY n DESC, node_id',
    );
    const victimId = byNode[0]!.node_id;
    const victimDevices = byNode[0]!.n;
    const victim = s.nodes.findIndex((n) => n.id === victimId);
    const devicesBefore = await s.sql<{ device_id: string; node_id: string }>('SELECT device_id, node_id FROM cluster_connections');
    const heldBefore = await s.sql<{ name: string }>('SELECT name FROM cluster_leases WHERE holder = $1', [victimId]);
    const killAfterMs = 4000;
    const loadMs = 40_000;
    console.log(
      `failover: open loop, one message per device every ${PERIOD_MS} ms; kill -9 ${victimId} (${victimDevices} devices) after ${killAfterMs / 1000} s`,
    );
    const load = Promise.all(clients.map((c) => c.call<{ acked: number }>('run', { mode: 'open', periodMs: PERIOD_MS, warmupMs: 0, measureMs: loadMs })));
    // Kept handled: if a later step throws, the clients are closed under it and this must not hide that error.
    load.catch(() => undefined);
    await sleep(killAfterMs);
    const killedAt = Date.now();
    await s.kill(victim);
    // Watched from the kill on, alongside the devices and the command.
    const jobsMoved = (async (): Promise<number> => {
      while (Date.now() - killedAt < 30_000) {
        const [r] = await s.sql<{ n: number }>('SELECT count(*)::int AS n FROM cluster_leases WHERE holder <> $1', [victimId]);
        if (r!.n === CLUSTER_JOBS.length) return Date.now() - killedAt;
        await sleep(100);
      }
      return -1;
    })();
    let backMs = -1;
    while (Date.now() - killedAt < 30_000) {
      const [r] = await s.sql<{ n: number }>('SELECT count(*)::int AS n FROM cluster_connections WHERE node_id <> $1', [victimId]);
      const st = await Promise.all(clients.map((c) => c.call<{ connected: number }>('status')));
      if (r!.n === DEVICES && st.reduce((a, x) => a + x.connected, 0) === DEVICES) {
        backMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    console.log(`  every device connected to a survivor after ${backMs} ms`);
    // To a survivor directly: a keep-alive connection through HAProxy may still be pinned to the dead node (a POST is
    // not retried; an operator's browser would simply send it again).
    const survivor = s.alive()[0]!.httpUrl;
    const ov = await api<{ commands: { id: string }[]; lights: number }>(survivor, 'POST', '/api/v1/lighting/override', {
      token,
      body: { target: { type: 'zone', id: 'z-bench' }, level: 33, rampS: 0, durationS: 600 },
    });
    if (ov.status !== 201) throw new Error(`override: ${ov.status} ${JSON.stringify(ov.body)}`);
    const cmdId = ov.body.commands[0]!.id;
    const sentAt = Date.now();
    let cmdMs = -1;
    let lastShown = '';
    let counts: Record<string, number> = {};
    while (Date.now() - killedAt < 60_000) {
      const f = await api<{ command: { state: string; counts: Record<string, number> } }>(survivor, 'GET', `/api/v1/commands/${cmdId}`, { token });
      counts = f.body.command.counts;
      const shown = JSON.stringify(counts);
      if (shown !== lastShown && process.env.SW_BENCH_VERBOSE) console.log(`    +${Date.now() - sentAt} ms ${shown}`);
      lastShown = shown;
      if ((counts.acknowledged ?? 0) === DEVICES) {
        cmdMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    console.log(
      `  fleet-wide command acknowledged by ${counts.acknowledged ?? 0}/${DEVICES} devices, ${cmdMs} ms after the kill (${Date.now() - sentAt} ms after it was sent)`,
    );
    if (process.env.SW_BENCH_VERBOSE) {
      const retried = await s.sql<{ device_id: string; attempts: number; node_id: string | null; sent_at: Date; acked_at: Date }>(
        `SELECT d.device_id, d.attempts, c.node_id, d.sent_at, d.acked_at FROM command_deliveries d LEFT JOIN cluster_connections c USING (device_id)
          WHERE d.command_id = $1 AND d.attempts > 1 ORDER BY d.device_id`,
        [cmdId],
      );
      const before = new Map(devicesBefore.map((r) => [r.device_id, r.node_id]));
      console.log(
        `    retried deliveries: ${retried.length}; were on: ${JSON.stringify(retried.reduce<Record<string, number>>((a, r) => ({ ...a, [before.get(r.device_id) ?? '?']: (a[before.get(r.device_id) ?? '?'] ?? 0) + 1 }), {}))}; now on: ${JSON.stringify(retried.reduce<Record<string, number>>((a, r) => ({ ...a, [r.node_id ?? '?']: (a[r.node_id ?? '?'] ?? 0) + 1 }), {}))}`,
      );
      const st = await Promise.all(clients.map((c) => c.call<{ connects: Record<string, number> }>('status')));
      const connects = Object.assign({}, ...st.map((x) => x.connects)) as Record<string, number>;
      const open = await s.sql<Record<string, unknown>>(
        `SELECT d.device_id, d.state, d.attempts, d.sent_at, s.online, s.status_reason, s.status_changed_at, c.node_id,
                (SELECT json_agg(json_build_object('t', e.time, 'on', e.online, 'r', e.reason) ORDER BY e.time) FROM status_events e WHERE e.device_id = d.device_id) AS events
           FROM command_deliveries d JOIN device_state s USING (device_id) LEFT JOIN cluster_connections c USING (device_id)
          WHERE d.command_id = $1 AND (d.state <> 'acknowledged' OR d.attempts > 1)`,
        [cmdId],
      );
      for (const o of open) console.log(`    ${JSON.stringify(o)}`);
      console.log(
        `    connects of retried devices: ${retried
          .slice(0, 10)
          .map((r) => `${r.device_id}=${connects[r.device_id]}`)
          .join(' ')}`,
      );
    }
    const jobsMs = await jobsMoved;
    const victimHeld = heldBefore.length;
    console.log(`  job leases (${victimHeld} of them held by ${victimId}) all on survivors ${jobsMs} ms after the kill`);
    const [offline] = await s.sql<{ n: number }>("SELECT count(*)::int AS n FROM status_events WHERE reason = 'node-lost'");
    await load;
    await sleep(2000);
    // Every acknowledged message of the whole run (all phases) must be in the table.
    const acked = (await Promise.all(clients.map((c) => c.call<{ id: string; ts: number[] }[]>('acked')))).flat();
    const pairs = acked.flatMap((a) => a.ts.map((t) => [a.id, t] as const));
    let found = 0;
    for (let i = 0; i < pairs.length; i += 20_000) {
      const chunk = pairs.slice(i, i + 20_000);
      const [r] = await s.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM telemetry t JOIN unnest($1::text[], $2::timestamptz[]) AS a(d, ts) ON t.device_id = a.d AND t.time = a.ts`,
        [chunk.map((p) => p[0]), chunk.map((p) => new Date(p[1]).toISOString())],
      );
      found += r!.n;
    }
    const lost = pairs.length - found;
    console.log(
      `  failover phase: ${pairs.length} telemetry messages acknowledged, ${found} found in the database (${lost} lost); devices recorded offline as node-lost: ${offline!.n}`,
    );

    const f0 = (v: number): string => v.toFixed(0);
    const body = [
      `\`npm run bench:cluster -- --devices ${DEVICES} --clients ${CLIENTS} --warmup ${WARMUP_MS / 1000} --measure ${MEASURE_MS / 1000} --period ${PERIOD_MS}\``,
      '',
      `Machine: ${machine}.`,
      '',
      "Three service processes (`npm start`'s command, SW_CLUSTER_REDIS_URL set, lease 3 s), Redis 7 on",
      'the machine (shared), HAProxy 2.6 in TCP mode, plain PostgreSQL (no TimescaleDB), the fleet in separate load-client',
      'processes (mqtt.js devices, QoS 1 telemetry, closed loop = next message when the last one was acknowledged). Redis and',
      'PostgreSQL CPU are whole-server counters: other work on the machine counts in them (PostgreSQL: the CPU of server',
      'processes alive at both ends of the window).',
      '',
      table(
        ['ingest', 'msg/s', 'service CPU µs/msg', 'Redis CPU µs/msg', 'PostgreSQL CPU µs/msg', 'service cores busy', 'load-client cores'],
        [one, three]
          .filter((r): r is Ingest => r !== null)
          .map((r) => [
            r.label,
            f0(r.msgsPerS),
            f0(r.nodeUsPerMsg),
            f0(r.redisUsPerMsg),
            r.pgUsPerMsg > 0 ? f0(r.pgUsPerMsg) : 'n/a (backends exited during the window)',
            r.nodeCores.toFixed(2),
            r.clientCores.toFixed(2),
          ]),
      ),
      '',
      'Memory per connection (RSS growth of each node while its devices connected, idle; Redis used_memory growth per device):',
      '',
      table(
        ['placement', ...s.nodes.map((n) => n.id), 'Redis bytes/device'],
        [one, three]
          .filter((r): r is Ingest => r !== null)
          .map((r) => [
            r.label,
            ...r.perNode.map((p) => (p.connections ? `${p.connections} conns, ${f0(p.rssDeltaBytes / p.connections / 1024)} KiB/conn` : '0 conns')),
            f0(r.redisBytesPerConnection),
          ]),
      ),
      '',
      `Failover: open loop (one message per device every ${PERIOD_MS} ms through HAProxy), kill -9 of ${victimId} holding ${victimDevices} of ${DEVICES} devices after ${killAfterMs / 1000} s:`,
      '',
      table(
        [
          'every device connected to a survivor',
          'fleet-wide command acknowledged by every device',
          'acknowledged telemetry (failover phase)',
          'found in the database',
          'lost',
          'job leases all on survivors',
          'devices recorded offline (node-lost)',
        ],
        [
          [
            `${backMs} ms after the kill`,
            `${cmdMs} ms after the kill`,
            pairs.length,
            found,
            lost,
            `${jobsMs} ms after the kill (${victimHeld} of ${CLUSTER_JOBS.length} had been on ${victimId})`,
            offline!.n,
          ],
        ],
      ),
      '',
      'On 2 cores three nodes cannot beat one: they share the same two cores, and every message also crosses Redis. The',
      "per-message CPU costs are what docs/scale.md sizes from. Devices that reconnect before the dead node's lease runs out",
      'change owner first, so the reaper finds none of them to record offline (node-lost counts only devices that stayed away).',
      'RSS growth per connection is noisy (garbage collection runs when it likes); the 3-node row divides by a third of the devices.',
    ].join('\n');
    console.log(`\n${body}\n`);
    if (!argv['no-write']) writeSection('## Cluster (issue 12)', body);
    if (lost > 0) process.exitCode = 1;
  } finally {
    await Promise.all(clients.map((c) => c.close(10_000)));
    await s.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
