import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import pg from 'pg';

const { unavailable } = await dbModes();

// Needs a PostgreSQL server to cut; the embedded database has no connection to lose.
describe('a QoS1 message whose database write fails is not lost', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    const target = new URL(scratch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    target.host = `127.0.0.1:${port}`;
    t = await startTestApp({ databaseUrl: target.toString() });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('acknowledges from the disk spool during an outage and lands every row after the database returns', async () => {
    if (unavailable.postgres) {
      console.warn(`[durability] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const creds = await t.provision('streetlight', 'sl-outage');
    const dev = await connectDevice(t.mqttUrl, creds);
    proxy.cut();
    const base = Date.parse('2026-11-21T12:00:00Z');
    for (let i = 0; i < 20; i++) {
      // Each PUBACK must arrive although the database is unreachable.
      await dev.publishAsync('sw/v1/sl-outage/telemetry', JSON.stringify({ ts: base + i * 1000, metrics: { power: i } }), { qos: 1 });
    }
    expect(t.app.ingest.spooling).toBe(true);
    expect(readdirSync(path.join(t.dataDir, 'spool')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    proxy.restore();
    const direct = new pg.Client({ connectionString: scratch.url });
    await direct.connect();
    try {
      const n = await waitFor(async () => {
        const r = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'sl-outage'`);
        return r.rows[0]?.n === 20 ? 20 : null;
      }, 20_000);
      expect(n).toBe(20);
    } finally {
      await direct.end();
    }
    await waitFor(async () => !t.app.ingest.spooling, 10_000);
    expect(readdirSync(path.join(t.dataDir, 'spool')).filter((f) => f.endsWith('.json'))).toEqual([]);
    // And the service writes directly again.
    await dev.publishAsync('sw/v1/sl-outage/telemetry', JSON.stringify({ ts: base + 60_000, metrics: { power: 99 } }), { qos: 1 });
    const r = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'sl-outage'`);
    expect(r.rows[0]?.n).toBe(21);
    dev.end();
  });
});
