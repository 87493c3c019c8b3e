import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../services/db/db.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
// Both runs share the service key (device secrets are peppered with it); a test-only value.
const env = { SW_SECRET_KEY: randomBytes(32).toString('hex') };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 10 point 2 with the real service: stop it (the broker writes every device offline as it closes), keep it down
 * a few seconds, start it again on the same database and let the device reconnect. The downtime was the service's:
 * uptime must show it as unknown, not as the device being down.
 */
describe.each(modes)('a service restart is unknown time, not device downtime, on $name', (mode) => {
  let db: Db;
  let drop: () => Promise<void>;
  let t: TestApp | undefined;

  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('records the runs, and uptime over the restart has no down time, the gap as unknown', async () => {
    const opened = await mode.open();
    db = opened.db;
    drop = opened.drop;
    const first = await startTestApp({ db, env });
    const creds = await first.provision('wifi-ap', 'ap-restart');
    const before = Date.now();
    const dev1 = await connectDevice(first.mqttUrl, creds);
    await waitFor(async () => (await db.query<{ online: boolean }>(`SELECT online FROM device_state WHERE device_id = 'ap-restart'`)).rows[0]?.online === true);
    await sleep(1000);
    await first.close();
    dev1.end(true);
    const offline = await db.query<{ reason: string }>(`SELECT reason FROM status_events WHERE device_id = 'ap-restart' AND NOT online`);
    expect(offline.rows.length).toBeGreaterThan(0);
    await sleep(3000);

    t = await startTestApp({ db, env });
    const dev2 = await connectDevice(t.mqttUrl, creds);
    await waitFor(async () => (await db.query<{ online: boolean }>(`SELECT online FROM device_state WHERE device_id = 'ap-restart'`)).rows[0]?.online === true);
    await sleep(1000);
    const to = Date.now();

    const runs = await db.query<{ started_at: Date; stopped_at: Date | null }>('SELECT started_at, stopped_at FROM service_runs ORDER BY started_at');
    expect(runs.rows).toHaveLength(2);
    expect(runs.rows[0]?.stopped_at).toBeTruthy();
    expect(runs.rows[1]?.stopped_at).toBeNull();
    const gapS = (new Date(runs.rows[1]?.started_at as Date).getTime() - new Date(runs.rows[0]?.stopped_at as Date).getTime()) / 1000;
    expect(gapS).toBeGreaterThan(2.5);

    for (const source of ['', '&source=raw']) {
      const u = await t.http<{ total: { upS: number; downS: number; unknownS: number; availability: number | null } }>(
        'GET',
        `/api/v1/uptime?scope=device&id=ap-restart&from=${new Date(before).toISOString()}&to=${new Date(to).toISOString()}${source}`,
        { token: t.adminToken },
      );
      expect(u.status, JSON.stringify(u.body)).toBe(200);
      expect(u.body.total.downS).toBe(0);
      expect(u.body.total.unknownS).toBeGreaterThanOrEqual(gapS);
      expect(u.body.total.availability).toBe(1);
    }
    // The plan's report: availability 100 %, the gap shown as unknown ("không xác định"), not as downtime.
    const year = new Date(to + 7 * 3600_000).getUTCFullYear();
    const r = await t.http<{ figures: { id: string; value: number | null; note?: { vi: string; en: string } }[] }>('GET', `/api/v1/indicators?period=${year}`, {
      token: t.adminToken,
    });
    expect(r.status).toBe(200);
    const av = r.body.figures.find((f) => f.id === 'wifi-ap.availability');
    expect(av?.value).toBe(100);
    expect(av?.note?.vi).toMatch(/^Không xác định: /);
    expect(av?.note?.en).toMatch(/^Unknown: .*service not running/);
    dev2.end(true);
  }, 90_000);
});
