/**
 * Process faults: kill -9 three times under load in embedded mode (the default `npm start`), a command acknowledgement
 * acknowledged just before a kill -9, and two instances started on one data folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import pg from 'pg';
import type { Drill } from '../lib/drill.ts';
import { adminToken, startService, type ServiceProcess } from '../lib/service.ts';
import { Fleet, provision, proxiedDb, sleep, storedOnEmbedded, tally } from './fault-kit.ts';

const killNine: Drill = {
  name: 'kill -9 x3, embedded database',
  timeoutMs: 420_000,
  async run() {
    let svc = await startService({ readyTimeoutMs: 120_000 });
    const { dataDir, mqttPort, httpPort } = svc;
    const token = await adminToken(svc.httpUrl);
    const ids = Array.from({ length: 10 }, (_, i) => `dr-k9-${i}`);
    const fleet = new Fleet(svc.mqttUrl, await provision(svc.httpUrl, token, ids));
    await fleet.connect();
    fleet.start(200);
    const restartsMs: number[] = [];
    for (let k = 0; k < 3; k++) {
      await sleep(4000 + Math.floor(Math.random() * 3000));
      await svc.kill9();
      const t0 = Date.now();
      svc = await startService({ dataDir, mqttPort, httpPort, readyTimeoutMs: 120_000 });
      restartsMs.push(Date.now() - t0);
    }
    await sleep(5000);
    await fleet.close();
    await svc.stop();
    const counts = tally(fleet, await storedOnEmbedded(dataDir, ids), { 'restart s': restartsMs.map((m) => (m / 1000).toFixed(1)).join('/') });
    const passed = counts.lost === 0 && Number(counts.acked) > 0;
    if (passed) svc.cleanup();
    const why = 'p99 includes messages sent while the service was down (devices resend after reconnecting)';
    return {
      passed,
      detail: passed
        ? `every acknowledged message survived three kill -9 and restarts; ${why}`
        : `${counts.lost} acknowledged messages lost (data: ${dataDir})`,
      counts,
    };
  },
};

interface AckDevice {
  received: string[];
  acked: Set<string>;
  sentAcks: number;
  /** Answers every command received so far, once (never a second time, so a lost ack stays lost). */
  ackAll(): void;
  close(): Promise<void>;
}

async function ackingDevice(url: string, creds: { username: string; password: string }): Promise<AckDevice> {
  const id = creds.username;
  const c = await mqtt.connectAsync(url, { clientId: id, username: id, password: creds.password, protocolVersion: 4, reconnectPeriod: 500 });
  c.on('error', () => undefined);
  await c.subscribeAsync(`sw/v1/${id}/cmd`, { qos: 1 });
  const answered = new Set<string>();
  const dev: AckDevice = {
    received: [],
    acked: new Set(),
    sentAcks: 0,
    ackAll() {
      for (const cmd of dev.received) {
        if (answered.has(cmd)) continue;
        answered.add(cmd);
        dev.sentAcks++;
        c.publish(`sw/v1/${id}/ack`, JSON.stringify({ id: cmd, status: 'ok', ts: Date.now(), result: { level: 40 } }), { qos: 1 }, (err) => {
          if (!err) dev.acked.add(cmd);
        });
      }
    },
    close: () => c.endAsync(true),
  };
  c.on('message', (_t, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string };
    if (!dev.received.includes(cmd.id)) dev.received.push(cmd.id);
  });
  return dev;
}

/**
 * The ack arrives while the database is away (it is spooled and acknowledged to the device), and the service is killed
 * before the database returns: the ack must still reach its command after the restart.
 */
const commandAck: Drill = {
  name: 'command ack across kill -9',
  timeoutMs: 180_000,
  async run() {
    const db = await proxiedDb();
    const env = { SW_DATABASE_URL: db.serviceUrl, SW_INGEST_REPLAY_INTERVAL_MS: '500' };
    let svc: ServiceProcess = await startService({ env });
    const { dataDir, mqttPort, httpPort } = svc;
    const token = await adminToken(svc.httpUrl);
    const [creds] = await provision(svc.httpUrl, token, ['dr-ack-1']);
    const dev = await ackingDevice(svc.mqttUrl, creds!);
    const N = 20;
    for (let i = 0; i < N; i++) {
      const r = await fetch(`${svc.httpUrl}/api/v1/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          id: `dr-ack-cmd-${i}`,
          name: 'setLevel',
          params: { level: 40, expiresAt: new Date(Date.now() + 3600_000).toISOString() },
          target: { type: 'device', id: 'dr-ack-1' },
          maxAttempts: 1,
        }),
      });
      if (r.status >= 300) throw new Error(`command ${i}: ${r.status} ${await r.text()}`);
    }
    let until = Date.now() + 30_000;
    while (dev.received.length < N && Date.now() < until) await sleep(100);
    db.proxy.cut();
    dev.ackAll();
    until = Date.now() + 30_000;
    while (dev.acked.size < dev.received.length && Date.now() < until) await sleep(100);
    await svc.kill9();
    db.proxy.restore();
    svc = await startService({ dataDir, mqttPort, httpPort, env });
    const acked = [...dev.acked];
    let acknowledged = 0;
    const waitUntil = Date.now() + 30_000;
    while (Date.now() < waitUntil) {
      acknowledged = await countAcknowledged(db.directUrl, acked);
      if (acknowledged >= acked.length) break;
      await sleep(500);
    }
    await dev.close();
    await svc.stop();
    const lost = acked.length - acknowledged;
    const passed = lost === 0 && acked.length > 0;
    if (passed) svc.cleanup();
    await db.close();
    return {
      passed,
      detail: passed
        ? 'every command ack acknowledged to the device was recorded on its command after the kill -9'
        : `${lost} command acks got a PUBACK but were never recorded (log: ${svc.logFile})`,
      counts: { sent: dev.sentAcks, acked: acked.length, stored: acknowledged, lost, duplicated: 0 },
    };
  },
};

async function countAcknowledged(url: string, ids: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM command_deliveries WHERE state = 'acknowledged' AND command_id = ANY($1::text[])`, [
      ids,
    ]);
    return r.rows[0]?.n ?? 0;
  } finally {
    await c.end();
  }
}

const twoInstances: Drill = {
  name: 'two instances on one data folder',
  timeoutMs: 300_000,
  async run() {
    const first = await startService({ readyTimeoutMs: 120_000 });
    let second: ServiceProcess | null = null;
    let refusal = '';
    try {
      second = await startService({ dataDir: first.dataDir, readyTimeoutMs: 120_000 });
    } catch (err) {
      refusal = (err as Error).message;
    }
    if (second) {
      await second.stop();
      await first.stop();
      return { passed: false, detail: 'a second instance started on the same data folder and served', counts: { refused: 0, 'restart after kill -9 s': '-' } };
    }
    const logs = readdirSync(first.dataDir)
      .filter((f) => f.startsWith('service-'))
      .sort();
    const secondLog = readFileSync(`${first.dataDir}/${logs[logs.length - 1]}`, 'utf8');
    const named = secondLog.includes(`pid ${first.proc.pid}`);
    // The lock dies with its holder: a start right after a kill -9 must not be blocked by a stale lock.
    await first.kill9();
    const t0 = Date.now();
    const third = await startService({ dataDir: first.dataDir, readyTimeoutMs: 120_000 });
    const restartMs = Date.now() - t0;
    await third.stop();
    const passed = named && /exited \(1\)/.test(refusal);
    if (passed) third.cleanup();
    return {
      passed,
      detail: passed
        ? 'the second start was refused naming the holder; a start after kill -9 went through'
        : `second start: ${refusal}; holder named: ${named}`,
      counts: { refused: 1, 'restart after kill -9 s': (restartMs / 1000).toFixed(1) },
    };
  },
};

export const drills: Drill[] = [killNine, commandAck, twoInstances];
