import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startApp, type App } from '../../services/app.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { loadConfig } from '../../services/config/config.ts';
import type { Db } from '../../services/db/db.ts';
import type { ApiDeps } from '../../services/api/context.ts';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestApp {
  app: App;
  dataDir: string;
  mqttUrl: string;
  adminToken: string;
  /** fastify.inject with an optional bearer token; returns status and parsed JSON. */
  http<T = Record<string, unknown>>(method: string, url: string, opts?: { token?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  provision(kind: string, id: string, extra?: Record<string, unknown>): Promise<{ username: string; password: string }>;
  userToken(role: 'viewer' | 'operator' | 'admin'): Promise<string>;
  close(): Promise<void>;
}

/** Starts the whole service (broker on an ephemeral port, API via inject) on the given database. */
export async function startTestApp(
  opts: { db?: Db; databaseUrl?: string; env?: Record<string, string>; instrumentApi?: ApiDeps['instrument'] } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-test-'));
  const config = loadConfig(
    {},
    {
      SW_DATA_DIR: dataDir,
      SW_MQTT_HOST: '127.0.0.1',
      SW_MQTT_PORT: '0',
      SW_HTTP_HOST: '127.0.0.1',
      SW_HTTP_PORT: '0',
      SW_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SW_LOG_LEVEL: 'silent',
      SW_INGEST_REPLAY_INTERVAL_MS: '300',
      SW_DATABASE_URL: opts.databaseUrl ?? '',
      // Simulated cameras, live sources and webhook receivers listen on loopback, which the defaults refuse.
      SW_NETWORKS_LIVE_SOURCE: '0.0.0.0/0,::/0,127.0.0.0/8',
      SW_NETWORKS_CAMERA: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8',
      SW_NETWORKS_WEBHOOK: '0.0.0.0/0,::/0,127.0.0.0/8',
      ...opts.env,
    },
  );
  const app = await startApp(config, silentLogger(), {
    ...(opts.db ? { db: opts.db } : {}),
    ...(opts.instrumentApi ? { instrumentApi: opts.instrumentApi } : {}),
  });
  const http: TestApp['http'] = async (method, url, o = {}) => {
    const r = await app.api.inject({
      method: method as 'GET',
      url,
      headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      ...(o.body !== undefined ? { payload: o.body as object } : {}),
    });
    return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as never };
  };
  const login = await http<{ token: string }>('POST', '/api/v1/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
  if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`);
  const adminToken = login.body.token;
  let users = 0;
  return {
    app,
    dataDir,
    mqttUrl: app.urls().mqtt,
    adminToken,
    http,
    async provision(kind, id, extra = {}) {
      const r = await http<{ credentials: { username: string; password: string } }>('POST', '/api/v1/devices', {
        token: adminToken,
        body: { id, kind, name: id, ...extra },
      });
      if (r.status !== 201) throw new Error(`provision ${id} failed: ${JSON.stringify(r.body)}`);
      return r.body.credentials;
    },
    async userToken(role) {
      const username = `${role}-${++users}`;
      const password = 'a-long-password-1';
      const c = await http('POST', '/api/v1/users', { token: adminToken, body: { username, role, password } });
      if (c.status !== 201) throw new Error(`create user failed: ${JSON.stringify(c.body)}`);
      const l = await http<{ token: string }>('POST', '/api/v1/auth/login', { body: { username, password } });
      return l.body.token;
    },
    async close() {
      // A metric updated with the wrong label names is a bug the registry counts rather than throws: fail the test file.
      const metricErrors = await app.metrics.total('sw_metrics_errors_total');
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (metricErrors > 0) throw new Error(`${metricErrors} metric update(s) used the wrong label names (sw_metrics_errors_total)`);
    },
  };
}

/** Connects a real MQTT client over TCP; rejects with the broker's refusal. */
export function connectDevice(url: string, creds: { username: string; password: string }, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
