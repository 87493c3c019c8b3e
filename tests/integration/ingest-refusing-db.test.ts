import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { unavailable } = await dbModes();

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** As after a failover onto a replica: every write fails with SQLSTATE 25006, reads still work. */
async function setReadOnly(name: string, on: boolean): Promise<void> {
  await admin(`ALTER DATABASE ${name} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
  await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
}

// Needs its own PostgreSQL database to switch to read-only (never the shared ones).
describe('a database that refuses every write without being down (read-only after a failover)', () => {
  let t: TestApp;
  let scratch: { url: string; drop: () => Promise<void> };
  let name = '';

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    name = new URL(scratch.url).pathname.slice(1);
    t = await startTestApp({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    if (name) await setReadOnly(name, false).catch(() => undefined);
    await t?.close();
    await scratch?.drop();
  });

  const count = async (id: string): Promise<number> => {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    try {
      const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1`, [id]);
      return r.rows[0]?.n ?? 0;
    } finally {
      await c.end();
    }
  };

  it('acknowledges only from the spool, turns no valid row into a dead letter, and stores every message once writable', async () => {
    if (unavailable.postgres) {
      console.warn(`[ingest-refusing-db] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const creds = await t.provision('streetlight', 'sl-ro');
    const dev = await connectDevice(t.mqttUrl, creds);
    await setReadOnly(name, true);
    const base = Date.parse('2026-11-21T12:00:00Z');
    for (let i = 0; i < 30; i++) {
      await dev.publishAsync('sw/v1/sl-ro/telemetry', JSON.stringify({ ts: base + i * 1000, metrics: { power: i } }), { qos: 1 });
    }
    expect(await t.app.metrics.total('sw_ingest_storage_refused_total')).toBe(0);
    expect(await t.app.metrics.value('sw_ingest_write_errors_total', { class: 'unavailable' })).toBeGreaterThan(0);
    expect((await t.app.metrics.histogram('sw_ingest_ack_seconds', { target: 'spool' })).count).toBeGreaterThan(0);
    const ready = await t.http<{ status: string; reasons: string[] }>('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('degraded');
    expect((await t.http('GET', '/ready?degraded=ok')).status).toBe(200);
    await setReadOnly(name, false);
    await waitFor(async () => (await count('sl-ro')) === 30, 30_000);
    const dl = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE device_id = 'sl-ro'`);
    expect(dl.rows[0]?.n).toBe(0);
    await waitFor(async () => !t.app.ingest.spooling && t.app.ingest.readiness().spooledBatches === 0, 15_000);
    await dev.publishAsync('sw/v1/sl-ro/telemetry', JSON.stringify({ ts: base + 60_000, metrics: { power: 1 } }), { qos: 1 });
    // The histograms and gauges the Grafana dashboard reads.
    const text = await t.app.metrics.render();
    for (const s of [
      'sw_ingest_ack_seconds_bucket{le="60",target="db"} 1',
      'sw_ingest_commit_seconds_count{target="spool"}',
      'sw_ingest_spool_bytes 0',
      'sw_ingest_spool_batches 0',
    ]) {
      expect(text).toContain(s);
    }
    dev.end();
  });

  it('quarantines a spooled batch that keeps failing while others are written, instead of blocking the replay', async () => {
    if (unavailable.postgres) return;
    const spoolDir = path.join(t.dataDir, 'spool');
    const t0 = Date.parse('2026-11-22T00:00:00Z');
    // Left by a fault (or an older version): a batch the database cannot take for a reason that is not about a row.
    writeFileSync(
      path.join(spoolDir, '000000000000001-1-00000000.json'),
      JSON.stringify({ telemetry: [], states: [], events: [null], statuses: [], deadLetters: [] }),
    );
    for (let i = 0; i < 3; i++) {
      const good = {
        telemetry: [{ time: new Date(t0 + i * 1000).toISOString(), deviceId: 'sl-ro', data: { power: 7 } }],
        states: [],
        events: [],
        statuses: [],
        deadLetters: [],
      };
      writeFileSync(path.join(spoolDir, `00000000000000${2 + i}-1-00000000.json`), JSON.stringify(good));
    }
    const creds = await t.provision('streetlight', 'sl-ro-2');
    const dev = await connectDevice(t.mqttUrl, creds);
    // Live traffic keeps committing meanwhile: proof that the database takes writes and the old batch is at fault.
    let n = 0;
    await waitFor(
      async () => {
        await dev.publishAsync('sw/v1/sl-ro-2/telemetry', JSON.stringify({ ts: t0 + n++ * 1000, metrics: { power: 1 } }), { qos: 1 });
        return readdirSync(path.join(spoolDir, 'poison')).length === 1;
      },
      30_000,
      200,
    );
    const r = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'sl-ro' AND time >= '2026-11-22'`);
    expect(r.rows[0]?.n).toBe(3);
    expect(await t.app.metrics.value('sw_ingest_spool_quarantined_total', { reason: 'refused' })).toBe(1);
    expect(t.app.ingest.readiness().quarantinedBatches).toBe(1);
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toEqual([]);
    dev.end();
  });
});
