/**
 * The broker under test, in its own process (bench/ingest.ts forks it):
 *   aedes    bare aedes, default hooks (no auth, no storage), TCP server with noDelay
 *   naive    aedes whose authorizePublish INSERTs one row per telemetry message (pg, single-row INSERT) before the PUBACK
 *   service  this service (startApp) on a scratch PostgreSQL database, devices provisioned in-process
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapStatistics } from 'node:v8';
import { createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes, type PublishPacket } from 'aedes';
import pg from 'pg';
import { startApp, type App } from '../../services/app.ts';
import { createLogger } from '../../services/common/logger.ts';
import { loadConfig } from '../../services/config/config.ts';
import { settleWithLimit } from '../../simulators/mqtt/concurrency.ts';
import type { FleetDeviceSpec } from '../../simulators/mqtt/fleet.ts';
import type { PlannedDevice } from '../../simulators/mqtt/provision.ts';
import { serve } from './child.ts';

/** The telemetry table's shape (migrations/0002_telemetry.plain.sql), for the naive baseline. */
export const NAIVE_DDL = `
  CREATE TABLE IF NOT EXISTS telemetry (
    time timestamptz NOT NULL, device_id text NOT NULL, data jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
  CREATE UNIQUE INDEX IF NOT EXISTS telemetry_device_time_key ON telemetry (device_id, time DESC);
  CREATE INDEX IF NOT EXISTS telemetry_time_idx ON telemetry USING brin (time);`;

let stopTarget: () => Promise<void> = async () => undefined;
let app: App | undefined;
let profiler: Session | undefined;

/** process.memoryUsage() opens /proc/self/stat, which fails once every descriptor is taken (the connections bench). */
function memory(): { rss: number; heapUsed: number } {
  try {
    return process.memoryUsage();
  } catch {
    return { rss: 0, heapUsed: getHeapStatistics().used_heap_size };
  }
}

async function listenBroker(authorizePublish?: (packet: PublishPacket, cb: (err?: Error | null) => void) => void): Promise<number> {
  const broker = await Aedes.createBroker(authorizePublish ? { authorizePublish: (_c, p, cb) => authorizePublish(p, cb) } : {});
  // noDelay: without it Nagle adds ~40 ms to every QoS1 round trip (DESIGN.md), which would flatter nobody.
  const server: Server = createServer({ noDelay: true }, (s) => broker.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stopTarget = async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
  return (server.address() as AddressInfo).port;
}

async function startNaive(dbUrl: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 10 });
  await pool.query(NAIVE_DDL);
  const port = await listenBroker((packet, cb) => {
    if (!packet.topic.endsWith('/telemetry')) return cb(null);
    const deviceId = packet.topic.split('/')[2] ?? '';
    let body: { ts?: number; metrics?: unknown };
    try {
      body = JSON.parse(packet.payload.toString()) as { ts?: number; metrics?: unknown };
    } catch {
      return cb(null);
    }
    pool
      .query('INSERT INTO telemetry (time, device_id, data) VALUES (to_timestamp($1::float8 / 1000), $2, $3) ON CONFLICT DO NOTHING', [
        body.ts ?? Date.now(),
        deviceId,
        JSON.stringify(body.metrics ?? {}),
      ])
      .then(
        () => cb(null),
        (err: Error) => cb(err),
      );
  });
  const inner = stopTarget;
  stopTarget = async () => {
    await inner();
    await pool.end();
  };
  return port;
}

async function startService(dbUrl: string, plan: PlannedDevice[]): Promise<{ port: number; specs: FleetDeviceSpec[] }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-bench-ingest-'));
  const config = loadConfig(
    {},
    {
      SW_DATA_DIR: dataDir,
      SW_DATABASE_URL: dbUrl,
      SW_MQTT_HOST: '127.0.0.1',
      SW_MQTT_PORT: '0',
      SW_HTTP_HOST: '127.0.0.1',
      SW_HTTP_PORT: '0',
      SW_ADMIN_PASSWORD: 'bench-admin-password',
      SW_LOG_LEVEL: 'warn',
      SW_MQTT_CONNECT_RATE: '100000',
      SW_MQTT_CONNECT_BURST: '100000',
      // Benchmarks load one process from loopback: lift the per-address pre-login and per-device publish limits.
      SW_MQTT_PENDING_PER_ADDRESS: '100000',
      SW_MQTT_PENDING_TOTAL: '100000',
      SW_MQTT_PUBLISH_RATE: '100000',
      SW_MQTT_PUBLISH_BURST: '100000',
    },
  );
  const started = await startApp(config, createLogger({ level: 'warn' }));
  app = started;
  const results = await settleWithLimit(plan, 16, async (p) => {
    const r = await started.devices.provision({ id: p.deviceId, kind: p.kind, name: p.name, lat: p.lat, lon: p.lon, asset: p.asset });
    return { deviceId: p.deviceId, kind: p.kind, secret: r.credentials.password };
  });
  const specs = results.map((r) => {
    if (r.status === 'rejected') throw r.reason as Error;
    return r.value;
  });
  stopTarget = async () => {
    await started.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { port: started.broker.address.port, specs };
}

serve(
  {
    async start(m) {
      const target = m.target as string;
      if (target === 'aedes') return { port: await listenBroker() };
      if (target === 'naive') return { port: await startNaive(m.dbUrl as string) };
      if (target === 'service') return startService(m.dbUrl as string, m.plan as PlannedDevice[]);
      throw new Error(`unknown target '${target}'`);
    },
    /** The same V8 CPU profile `node --cpu-prof` writes, but only over the window the orchestrator asks for. */
    async profileStart() {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return {};
    },
    async profileStop(m) {
      if (!profiler) throw new Error('profiler not started');
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(m.file as string, JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return {};
    },
    async stats(m) {
      // Only with --expose-gc: a collection first, so heap figures are live objects rather than garbage not yet collected.
      if (m.gc === true) (globalThis as { gc?: () => void }).gc?.();
      const mem = memory();
      const metrics = (await app?.metrics.render()) ?? '';
      const spool = /^sw_ingest_spool_batches (\d+)/m.exec(metrics)?.[1];
      return {
        rss: mem.rss,
        connections: app?.broker.connectedClients ?? 0,
        heapUsed: mem.heapUsed,
        cpu: process.cpuUsage(),
        spooling: app?.ingest.spooling ?? false,
        spoolBatches: spool === undefined ? 0 : Number(spool),
        spooledTotal: Number(/^sw_ingest_batches_total\{target="spool"\} (\d+)/m.exec(metrics)?.[1] ?? 0),
        writeFailures: Number(/^sw_ingest_write_failures_total (\d+)/m.exec(metrics)?.[1] ?? 0),
      };
    },
  },
  () => stopTarget(),
);
