/**
 * A real cluster on this machine for the cluster tests and `npm run bench:cluster`: N service processes (`npm start`'s
 * command, each with its own data folder and ports), one scratch PostgreSQL database, one Redis database index and,
 * optionally, HAProxy in TCP mode in front of MQTT and HTTP. Everything listens on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
export const HAPROXY = process.env.SW_TEST_HAPROXY ?? '/usr/sbin/haproxy';
export const REDIS_URL = process.env.SW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_ADMIN_URL = process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN_PASSWORD = 'cluster-admin-password-1';
export const METRICS_TOKEN = randomBytes(20).toString('hex');

/** One RESP command over a fresh connection (enough for PING, SELECT, DBSIZE, FLUSHDB, INFO; no Redis client needed). */
export function redisCommand(url: string, commands: string[][], timeoutMs = 3000): Promise<string[]> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    const t = setTimeout(() => s.destroy(new Error(`Redis at ${u.host} did not answer within ${timeoutMs} ms`)), timeoutMs);
    let buf = '';
    const replies: string[] = [];
    s.on('connect', () => s.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('')));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      for (;;) {
        const r = parseReply(buf);
        if (!r) break;
        replies.push(r.value);
        buf = buf.slice(r.used);
      }
      if (replies.length >= commands.length) {
        clearTimeout(t);
        s.end();
        const err = replies.find((x) => x.startsWith('-'));
        if (err) reject(new Error(`Redis: ${err.slice(1)}`));
        else resolve(replies);
      }
    });
    s.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

function parseReply(buf: string): { value: string; used: number } | null {
  const end = buf.indexOf('\r\n');
  if (end < 0) return null;
  const head = buf.slice(0, end);
  if (head[0] === '$') {
    const n = Number(head.slice(1));
    if (n < 0) return { value: '', used: end + 2 };
    const bytes = Buffer.from(buf.slice(end + 2), 'utf8');
    if (bytes.length < n + 2) return null;
    const value = bytes.subarray(0, n).toString('utf8');
    return { value, used: end + 2 + value.length + 2 };
  }
  return { value: head[0] === '-' ? head : head.slice(1), used: end + 2 };
}

/** Why the cluster cannot run here (Redis or HAProxy absent), or null. */
export async function clusterUnavailable(needHaproxy = true): Promise<string | null> {
  try {
    const [pong] = await redisCommand(REDIS_URL, [['PING']]);
    if (pong !== 'PONG') return `Redis at ${REDIS_URL} answered '${pong}' to PING`;
  } catch (err) {
    return `Redis not reachable at ${REDIS_URL} (${(err as Error).message}); set SW_TEST_REDIS_URL`;
  }
  if (needHaproxy && !existsSync(HAPROXY)) return `HAProxy not found at ${HAPROXY}; set SW_TEST_HAPROXY`;
  return null;
}

/** An empty Redis database index (10–15) nobody else uses right now; the stack flushes it again when it stops. */
async function pickRedisDb(): Promise<number> {
  for (let db = 10; db <= 15; db++) {
    const [, size] = await redisCommand(REDIS_URL, [['SELECT', String(db)], ['DBSIZE']]);
    if (size === '0') return db;
  }
  throw new Error('no empty Redis database index between 10 and 15 (another cluster test or bench running?)');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ClusterNode {
  id: string;
  mqttPort: number;
  httpPort: number;
  mqttUrl: string;
  httpUrl: string;
  proc: ChildProcess | null;
  dataDir: string;
  logFile: string;
}

export interface StackOptions {
  nodes: number;
  haproxy?: boolean;
  leaseMs?: number;
  logLevel?: string;
  env?: Record<string, string>;
}

export class ClusterStack {
  readonly nodes: ClusterNode[] = [];
  lb: { mqttPort: number; httpPort: number; mqttUrl: string; httpUrl: string; proc: ChildProcess } | null = null;
  databaseUrl = '';
  redisUrl = '';
  redisDb = -1;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sw-cluster-'));
  private readonly secretKey = randomBytes(32).toString('hex');
  private dbName = '';
  private readonly o: StackOptions;

  constructor(o: StackOptions) {
    this.o = o;
  }

  static async start(o: StackOptions): Promise<ClusterStack> {
    const s = new ClusterStack(o);
    // An interrupted run (timeout, Ctrl-C, a crash) must not leave service processes and HAProxy running.
    const reap = (): void => s.killAllNow();
    process.once('exit', reap);
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.once(sig, () => {
        reap();
        // Then the scratch database and the Redis index, within a few seconds.
        const t = setTimeout(() => process.exit(130), 5000);
        void s.stop().finally(() => {
          clearTimeout(t);
          process.exit(130);
        });
      });
    try {
      await s.boot();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private async boot(): Promise<void> {
    this.redisDb = await pickRedisDb();
    const r = new URL(REDIS_URL);
    r.pathname = `/${this.redisDb}`;
    this.redisUrl = r.toString();
    this.dbName = `sw_cluster_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${this.dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${this.dbName}`;
    this.databaseUrl = u.toString();
    for (let i = 0; i < this.o.nodes; i++) {
      const mqttPort = await freePort();
      const httpPort = await freePort();
      const id = `node-${i + 1}`;
      this.nodes.push({
        id,
        mqttPort,
        httpPort,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        httpUrl: `http://127.0.0.1:${httpPort}`,
        proc: null,
        dataDir: path.join(this.dir, id),
        logFile: path.join(this.dir, `${id}.log`),
      });
    }
    // The first node migrates the empty database; the others start together once it is up.
    await this.startNode(0);
    await Promise.all(this.nodes.slice(1).map((_n, i) => this.startNode(i + 1)));
    if (this.o.haproxy !== false) await this.startHaproxy();
  }

  /** Starts (or restarts) node i with the same id, ports and data folder. */
  async startNode(i: number): Promise<void> {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${i}`);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SW_')));
    const log = createWriteStream(n.logFile, { flags: 'a' });
    const proc = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'services/main.ts')], {
      cwd: ROOT,
      env: {
        ...env,
        SW_DATABASE_URL: this.databaseUrl,
        SW_CLUSTER_REDIS_URL: this.redisUrl,
        SW_CLUSTER_NODE_ID: n.id,
        SW_CLUSTER_LEASE_MS: String(this.o.leaseMs ?? 3000),
        SW_DATA_DIR: n.dataDir,
        SW_MQTT_HOST: '127.0.0.1',
        SW_MQTT_PORT: String(n.mqttPort),
        SW_HTTP_HOST: '127.0.0.1',
        SW_HTTP_PORT: String(n.httpPort),
        SW_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SW_SECRET_KEY: this.secretKey,
        SW_METRICS_TOKEN: METRICS_TOKEN,
        SW_LOG_LEVEL: this.o.logLevel ?? 'warn',
        SW_MQTT_CONNECT_RATE: '100000',
        SW_MQTT_CONNECT_BURST: '100000',
        ...this.o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    n.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${n.id}: no start banner within 90 s (log: ${n.logFile})\n${out.slice(-2000)}`)), 90_000);
      const onData = (d: Buffer): void => {
        log.write(d);
        if (out.length < 20_000) out += d.toString();
        if (/HTTP API\s+https?:\/\//.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${n.id} exited (${code ?? sig}) while starting:\n${out.slice(-3000)}`));
      });
    });
    proc.removeAllListeners('exit');
    proc.once('exit', () => log.end());
  }

  /** Synchronous last resort (process exit): SIGKILL every child still running. */
  killAllNow(): void {
    for (const p of [...this.nodes.map((n) => n.proc), this.lb?.proc]) {
      if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
  }

  /** kill -9 (or another signal) and wait until the process is gone. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.nodes[i]?.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  alive(): ClusterNode[] {
    return this.nodes.filter((n) => n.proc && n.proc.exitCode === null && n.proc.signalCode === null);
  }

  private async startHaproxy(): Promise<void> {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const cfg = haproxyConfig({
      mqttBind: `127.0.0.1:${mqttPort}`,
      httpBind: `127.0.0.1:${httpPort}`,
      servers: this.nodes.map((n) => ({ name: n.id, host: '127.0.0.1', mqttPort: n.mqttPort, httpPort: n.httpPort })),
    });
    const file = path.join(this.dir, 'haproxy.cfg');
    writeFileSync(file, cfg);
    const check = spawnSync(HAPROXY, ['-c', '-q', '-f', file], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`haproxy refused its configuration:\n${check.stderr}${check.stdout}`);
    const proc = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    this.lb = { mqttPort, httpPort, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, proc };
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        const r = await fetch(`${this.lb.httpUrl}/ready`);
        if (r.status === 200) break;
      } catch {
        // not up yet
      }
      if (proc.exitCode !== null) throw new Error(`haproxy exited: ${err}`);
      if (Date.now() > until) throw new Error(`haproxy did not pass /ready within 15 s: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A query on the cluster's database (a fresh connection each time; tests and the bench only). */
  async sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.databaseUrl });
    await c.connect();
    try {
      return (await c.query<T>(text, params)).rows;
    } finally {
      await c.end();
    }
  }

  async stop(): Promise<void> {
    if (this.lb) {
      const p = this.lb.proc;
      if (p.exitCode === null)
        await new Promise<void>((r) => {
          p.once('exit', () => r());
          p.kill('SIGTERM');
        });
    }
    await Promise.all(
      this.nodes.map(async (n) => {
        const p = n.proc;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
        await new Promise<void>((r) => {
          p.once('exit', () => r());
          p.kill('SIGTERM');
        });
        clearTimeout(t);
      }),
    );
    if (this.redisDb >= 0) await redisCommand(REDIS_URL, [['SELECT', String(this.redisDb)], ['FLUSHDB']]).catch(() => undefined);
    if (this.dbName) {
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    if (!process.env.SW_KEEP_CLUSTER_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The load balancer (the same shape as deploy/haproxy.cfg): TCP mode for both MQTT and HTTP, so TLS and SSE pass
 * through untouched; MQTT by least connections, a dead node taken out after two failed checks one second apart, and
 * a connection to it re-dispatched to a live node.
 */
export function haproxyConfig(o: {
  maxconn?: number;
  mqttBind: string;
  httpBind: string;
  servers: { name: string; host: string; mqttPort: number; httpPort: number }[];
}): string {
  return `global
  # Two descriptors per proxied connection: keep within the file-descriptor limit (ulimit -n).
  maxconn ${o.maxconn ?? 9000}

defaults
  mode tcp
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  retries 3
  option redispatch

frontend mqtt
  bind ${o.mqttBind}
  default_backend mqtt_nodes

backend mqtt_nodes
  balance leastconn
${o.servers.map((s) => `  server ${s.name} ${s.host}:${s.mqttPort} check inter 1s fall 2 rise 2`).join('\n')}

frontend http
  bind ${o.httpBind}
  default_backend http_nodes

backend http_nodes
  balance roundrobin
  option httpchk GET /ready
${o.servers.map((s) => `  server ${s.name} ${s.host}:${s.httpPort} check inter 1s fall 2 rise 2`).join('\n')}
`;
}

/** JSON over HTTP with an optional bearer token. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  url: string,
  o: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const send = (): Promise<Response> =>
    fetch(`${base}${url}`, {
      method,
      headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
  // HAProxy in TCP mode pins a keep-alive connection to one node: when that node dies its pooled connections close
  // under the next requests. A GET is safe to send again (until a fresh connection reaches a live node); nothing else is.
  let r: Response | undefined;
  for (let attempt = 0; !r; attempt++) {
    try {
      r = await send();
    } catch (err) {
      if (method !== 'GET' || attempt >= 5) throw err;
    }
  }
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function login(base: string): Promise<string> {
  const r = await api<{ token: string }>(base, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}
