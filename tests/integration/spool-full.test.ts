import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { unavailable } = await dbModes();
const CAP = 65536;

describe('a full spool refuses instead of acknowledging', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    const target = new URL(scratch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${await proxy.start()}`;
    t = await startTestApp({ databaseUrl: target.toString(), env: { SW_SPOOL_MAX_BYTES: String(CAP) } });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('gives no PUBACK past SW_SPOOL_MAX_BYTES, counts why, and stores every message it did acknowledge', async () => {
    if (unavailable.postgres) {
      console.warn(`[spool-full] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const creds = await t.provision('streetlight', 'sl-full');
    let dev = await connectDevice(t.mqttUrl, creds);
    proxy.cut();
    const acked: number[] = [];
    const base = Date.parse('2026-11-21T12:00:00Z');
    let refusedAt = -1;
    for (let i = 0; i < 2000 && refusedAt < 0; i++) {
      const ts = base + i * 1000;
      // No PUBACK comes for a refused message: the broker drops the connection (MQTT 3.1.1 has no negative PUBACK).
      let onClose = (): void => undefined;
      const closed = new Promise<never>((_, reject) => {
        onClose = () => reject(new Error('connection closed without a PUBACK'));
        dev.once('close', onClose);
      });
      try {
        await Promise.race([dev.publishAsync('sw/v1/sl-full/telemetry', JSON.stringify({ ts, metrics: { power: i } }), { qos: 1 }), closed]);
        acked.push(ts);
      } catch {
        refusedAt = i;
      } finally {
        dev.off('close', onClose);
      }
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(await t.app.metrics.value('sw_ingest_spool_refused_total', { reason: 'max_bytes' })).toBeGreaterThan(0);
    expect(t.app.ingest.readiness().spooledBytes).toBeLessThanOrEqual(CAP);
    expect((await t.http<{ status: string }>('GET', '/ready')).body.status).toBe('down');
    expect(readdirSync(path.join(t.dataDir, 'spool')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    proxy.restore();
    const direct = new pg.Client({ connectionString: scratch.url });
    await direct.connect();
    try {
      await waitFor(async () => (await direct.query(`SELECT 1 FROM telemetry WHERE device_id = 'sl-full'`)).rowCount === acked.length, 30_000);
      const r = await direct.query<{ ms: string }>(`SELECT (extract(epoch from time) * 1000)::bigint AS ms FROM telemetry WHERE device_id = 'sl-full'`);
      expect(new Set(r.rows.map((x) => Number(x.ms)))).toEqual(new Set(acked));
    } finally {
      await direct.end();
    }
    // The device resends what got no PUBACK, and now it is taken.
    dev.end(true);
    dev = await connectDevice(t.mqttUrl, creds);
    await dev.publishAsync('sw/v1/sl-full/telemetry', JSON.stringify({ ts: base + refusedAt * 1000, metrics: { power: refusedAt } }), { qos: 1 });
    dev.end();
  });
});
