import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { unavailable } = await dbModes();

// A database that answers, slowly: every COMMIT delayed by the test's own proxy (a slow disk, an overloaded server).
describe('a slow database (each commit slower than the ack deadline)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    const target = new URL(scratch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${await proxy.start()}`;
    t = await startTestApp({ databaseUrl: target.toString(), env: { SW_INGEST_ACK_DEADLINE_MS: '1000', SW_INGEST_SLOW_WRITE_MS: '300' } });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('acknowledges from the spool past the deadline, says degraded with the reason, and recovers', async () => {
    if (unavailable.postgres) {
      console.warn(`[ingest-slow-db] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const creds = await t.provision('streetlight', 'sl-slow');
    const dev = await connectDevice(t.mqttUrl, creds);
    proxy.setDelay({ ms: 2500, match: Buffer.from('COMMIT\0') });
    const base = Date.parse('2026-11-21T12:00:00Z');
    // Several in flight at once: they wait for writers, and the deadline covers that wait too.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        dev.publishAsync('sw/v1/sl-slow/telemetry', JSON.stringify({ ts: base + i * 1000, metrics: { power: i } }), { qos: 1 }),
      ),
    );
    expect((await t.app.metrics.histogram('sw_ingest_ack_seconds', { target: 'spool' })).count).toBeGreaterThan(0);
    const ready = await t.http<{ status: string; reasons: string[] }>('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.reasons.join(' ')).toMatch(/deadline|slow|spool/);
    proxy.setDelay(null);
    const direct = new pg.Client({ connectionString: scratch.url });
    await direct.connect();
    try {
      await waitFor(
        async () => (await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'sl-slow'`)).rows[0]?.n === 12,
        30_000,
      );
    } finally {
      await direct.end();
    }
    // The slow reason holds 30 s after the last slow commit, then /ready is plain ok again.
    await waitFor(async () => (await t.http('GET', '/ready')).status === 200, 60_000, 500);
    dev.end();
  }, 120_000);
});
