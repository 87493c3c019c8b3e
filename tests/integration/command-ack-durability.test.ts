import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pg from 'pg';
import { adminToken, startService, type ServiceProcess } from '../../bench/drills/lib/service.ts';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/test-app.ts';

const { unavailable } = await dbModes();

async function api<T>(url: string, token: string, path: string, body: unknown): Promise<T> {
  const r = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

// The real service in a child process (kill -9 is the point), on PostgreSQL behind the test's own proxy.
describe('a command ack that got its PUBACK survives a kill -9', () => {
  let proxy: TcpProxy;
  let scratch: { url: string; drop: () => Promise<void> };
  let svc: ServiceProcess | undefined;
  let proxyPort = 0;

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    const target = new URL(scratch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    proxyPort = await proxy.start();
  });
  afterAll(async () => {
    if (svc) {
      await svc.stop();
      svc.cleanup();
    }
    await proxy?.close();
    await scratch?.drop();
  });

  it('is applied to its command after the restart (acked while the database was away)', async () => {
    if (unavailable.postgres) {
      console.warn(`[command-ack-durability] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const via = new URL(scratch.url);
    via.host = `127.0.0.1:${proxyPort}`;
    const env = { SW_DATABASE_URL: via.toString(), SW_INGEST_REPLAY_INTERVAL_MS: '300', SW_LOG_LEVEL: 'warn' };
    svc = await startService({ env });
    const token = await adminToken(svc.httpUrl);
    const { credentials: creds } = await api<{ credentials: { username: string; password: string } }>(svc.httpUrl, token, '/api/v1/devices', {
      id: 'sl-ackd',
      kind: 'streetlight',
      name: 'sl-ackd',
    });
    const dev = await mqtt.connectAsync(svc.mqttUrl, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      protocolVersion: 4,
      reconnectPeriod: 300,
    });
    dev.on('error', () => undefined);
    await dev.subscribeAsync('sw/v1/sl-ackd/cmd', { qos: 1 });
    const received: string[] = [];
    dev.on('message', (_t, p) => received.push((JSON.parse(p.toString()) as { id: string }).id));
    const ids = ['ackd-1', 'ackd-2', 'ackd-3'];
    for (const id of ids) {
      await api(svc.httpUrl, token, '/api/v1/commands', {
        id,
        name: 'setLevel',
        params: { level: 30, expiresAt: new Date(Date.now() + 3600_000).toISOString() },
        target: { type: 'device', id: 'sl-ackd' },
        maxAttempts: 1,
      });
    }
    await waitFor(async () => received.length === ids.length, 20_000);
    proxy.cut();
    // Durable in the spool only, then the process dies before the database is back.
    for (const id of ids) await dev.publishAsync('sw/v1/sl-ackd/ack', JSON.stringify({ id, status: 'ok', ts: Date.now() }), { qos: 1 });
    const { dataDir, mqttPort, httpPort } = svc;
    await svc.kill9();
    proxy.restore();
    svc = await startService({ dataDir, mqttPort, httpPort, env });
    const direct = new pg.Client({ connectionString: scratch.url });
    await direct.connect();
    try {
      await waitFor(
        async () => {
          const r = await direct.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM command_deliveries WHERE state = 'acknowledged' AND command_id = ANY($1::text[])`,
            [ids],
          );
          return r.rows[0]?.n === ids.length;
        },
        30_000,
        300,
      );
      expect((await direct.query(`SELECT 1 FROM ingest_command_acks`)).rowCount).toBe(0);
    } finally {
      await direct.end();
      await dev.endAsync(true);
    }
  }, 150_000);
});
