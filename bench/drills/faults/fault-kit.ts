/**
 * What the fault drills share: a scratch PostgreSQL database behind the drill's own TCP proxy, devices provisioned through
 * the API, a fleet of real MQTT clients publishing QoS1 telemetry with one unique timestamp per message, and the tally of
 * sent / acknowledged / stored / lost / duplicated messages and the p99 PUBACK delay.
 */
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { silentLogger } from '../../../services/common/logger.ts';
import { openPglite } from '../../../services/db/pglite-driver.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../../../tests/helpers/db-modes.ts';
import { TcpProxy } from '../../../tests/helpers/tcp-proxy.ts';
import { percentile, type Counts } from '../lib/drill.ts';

export interface Creds {
  username: string;
  password: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A scratch database on the local server, reached by the service only through a proxy the drill can cut or slow. */
export interface ProxiedDb {
  /** What the service is given (through the proxy). */
  serviceUrl: string;
  /** Direct, for the drill's own checks. */
  directUrl: string;
  proxy: TcpProxy;
  /** A direct connection on the admin database (ALTER DATABASE, terminating sessions). */
  admin(sql: string): Promise<void>;
  dbName: string;
  close(): Promise<void>;
}

export async function proxiedDb(): Promise<ProxiedDb> {
  const scratch = await createScratchDatabase(PG_ADMIN_URL);
  const target = new URL(scratch.url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  const port = await proxy.start();
  const via = new URL(scratch.url);
  via.host = `127.0.0.1:${port}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  return {
    serviceUrl: via.toString(),
    directUrl: scratch.url,
    proxy,
    admin,
    dbName: target.pathname.slice(1),
    async close() {
      await proxy.close();
      await scratch.drop();
    },
  };
}

/** Puts the scratch database in (or out of) read-only mode, as after a failover to a replica, and drops its sessions. */
export async function setReadOnly(db: ProxiedDb, on: boolean): Promise<void> {
  await db.admin(`ALTER DATABASE ${db.dbName} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
  await db.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.dbName}' AND pid <> pg_backend_pid()`);
}

export async function provision(httpUrl: string, token: string, ids: string[], kind = 'streetlight'): Promise<Creds[]> {
  const out: Creds[] = [];
  for (const id of ids) {
    const r = await fetch(`${httpUrl}/api/v1/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id, kind, name: id }),
    });
    if (r.status !== 201) throw new Error(`provision ${id}: ${r.status} ${await r.text()}`);
    out.push(((await r.json()) as { credentials: Creds }).credentials);
  }
  return out;
}

/** One MQTT client per device, reconnecting like real devices do (mqtt.js resends unacknowledged QoS1 messages). */
export class Fleet {
  readonly clients: MqttClient[] = [];
  sent = 0;
  readonly acked = new Set<string>();
  readonly latenciesMs: number[] = [];
  private timers: NodeJS.Timeout[] = [];
  private inflight = 0;
  private lastTs = new Map<string, number>();

  private readonly url: string;
  private readonly creds: Creds[];

  constructor(url: string, creds: Creds[]) {
    this.url = url;
    this.creds = creds;
  }

  async connect(): Promise<void> {
    await Promise.all(this.creds.map((c) => this.connectOne(c)));
  }

  private connectOne(c: Creds): Promise<void> {
    return new Promise((resolve, reject) => {
      const client = mqtt.connect(this.url, {
        clientId: c.username,
        username: c.username,
        password: c.password,
        protocolVersion: 4,
        reconnectPeriod: 500,
        connectTimeout: 10_000,
        keepalive: 30,
      });
      client.on('error', () => undefined);
      const t = setTimeout(() => reject(new Error(`${c.username} did not connect`)), 30_000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      this.clients.push(client);
    });
  }

  /** Every device publishes one telemetry message per `periodMs`. */
  start(periodMs: number): void {
    this.clients.forEach((client, i) => {
      const id = this.creds[i]!.username;
      this.timers.push(setInterval(() => this.publish(client, id), periodMs));
    });
  }

  publish(client: MqttClient, id: string): void {
    const ts = Math.max(Date.now(), (this.lastTs.get(id) ?? 0) + 1);
    this.lastTs.set(id, ts);
    const t0 = Date.now();
    this.sent++;
    this.inflight++;
    client.publish(`sw/v1/${id}/telemetry`, JSON.stringify({ ts, metrics: { power: ts % 1000 } }), { qos: 1 }, (err) => {
      this.inflight--;
      if (err) return;
      this.acked.add(`${id}|${ts}`);
      this.latenciesMs.push(Date.now() - t0);
    });
  }

  stopPublishing(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Waits (bounded) for the acknowledgements still in flight, then closes every client. */
  async close(waitMs = 20_000): Promise<void> {
    this.stopPublishing();
    const until = Date.now() + waitMs;
    while (this.inflight > 0 && Date.now() < until) await sleep(100);
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }

  get unacked(): number {
    return this.inflight;
  }
}

/** Telemetry rows of these devices, as `device|epoch ms` keys, and how many rows there are in all. */
export interface Stored {
  keys: Set<string>;
  rows: number;
}

const STORED_SQL = `SELECT device_id, (extract(epoch from time) * 1000)::bigint AS ms FROM telemetry WHERE device_id = ANY($1::text[])`;

export async function storedOnPg(url: string, ids: string[]): Promise<Stored> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ device_id: string; ms: string }>(STORED_SQL, [ids]);
    return { keys: new Set(r.rows.map((x) => `${x.device_id}|${Number(x.ms)}`)), rows: r.rows.length };
  } finally {
    await c.end();
  }
}

/** Opens a stopped service's embedded database (never while the service runs: one process per data folder). */
export async function storedOnEmbedded(dataDir: string, ids: string[]): Promise<Stored> {
  const db = await openPglite({ dataDir: `${dataDir}/db`, log: silentLogger() });
  try {
    const r = await db.query<{ device_id: string; ms: string | number }>(STORED_SQL, [ids]);
    return { keys: new Set(r.rows.map((x) => `${x.device_id}|${Number(x.ms)}`)), rows: r.rows.length };
  } finally {
    await db.close();
  }
}

/** The drill's counts; `lost` = acknowledged but not stored, `duplicated` = stored rows beyond one per message. */
export function tally(fleet: Fleet, stored: Stored, extra: Counts = {}): Counts & { lost: number; duplicated: number } {
  let lost = 0;
  for (const k of fleet.acked) if (!stored.keys.has(k)) lost++;
  const p99 = percentile(fleet.latenciesMs, 99);
  return {
    sent: fleet.sent,
    acked: fleet.acked.size,
    stored: stored.keys.size,
    lost,
    duplicated: stored.rows - stored.keys.size,
    'p99 ack ms': Number.isNaN(p99) ? '-' : Math.round(p99),
    ...extra,
  };
}

/** GET /ready as JSON (status code and body), never throwing. */
export async function readiness(httpUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const r = await fetch(`${httpUrl}/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message } };
  }
}

/** One sample of a Prometheus series from /metrics (0 when absent). */
export async function scrape(httpUrl: string, token: string, series: string): Promise<number> {
  const r = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const name = line.slice(0, sp);
    if (name === series || (!series.includes('{') && name.startsWith(`${series}{`))) sum += Number(line.slice(sp + 1));
  }
  return sum;
}
