/**
 * The API the dashboard's WiFi and province-link pages read, beyond what those features had: portal-login counts by
 * consent (no hash leaves them, so viewers may read them), the retention in force, the outbox's recent messages and
 * the administrator's "retry now" (a message waiting out a long backoff is pushed at once once the province is back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/broker/topics.ts';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { ProvinceStandIn } from '../../simulators/province/stand-in.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { rowCount, simDevice } from './control-helpers.ts';

const { modes } = await dbModes();
const TOKEN = 'province-broker-token-for-feeds-0001';

describe.each(modes)('dashboard feeds of the WiFi and province pages on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let ap: SimulatedDevice;
  let viewer: string;
  const standIn = new ProvinceStandIn({ token: TOKEN });

  beforeAll(async () => {
    await standIn.start();
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({
      db: opened.db,
      env: {
        SW_WIFI_PERSONAL_RETENTION_DAYS: '30',
        SW_PROVINCE_BROKER_URL: standIn.url,
        SW_PROVINCE_BROKER_TOKEN: TOKEN,
        // A long backoff: after a failure only "retry now" can push before the test ends.
        SW_PROVINCE_RETRY_BASE_MS: '600000',
        SW_PROVINCE_RETRY_MAX_MS: '600000',
        SW_PROVINCE_EXPORT_INTERVAL_MS: '3600000',
      },
    });
    ap = await simDevice(t, 'wifi-ap', 'ap-f1');
    await ap.connect();
    viewer = await t.userToken('viewer');
  });
  afterAll(async () => {
    await ap?.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
    await standIn.stop();
  });

  const get = <T>(url: string, token = viewer) => t.http<T>('GET', `/api/v1${url}`, { token });

  it('counts portal logins by method, consent version and purpose without a hash, sessions in progress, and states the retention', async () => {
    const now = Date.now();
    const logins = [
      { mac: '02:11:22:33:44:01', phone: '0912345001', method: 'sms', consentVersion: '2026-01', consentPurposes: ['terms', 'marketing'], language: 'vi' },
      { mac: '02:11:22:33:44:02', method: 'click', consentVersion: '2026-01', consentPurposes: ['terms'], language: 'vi' },
      { mac: '02:11:22:33:44:01', method: 'click', consentVersion: '2025-07', consentPurposes: ['terms'], language: 'en' },
    ];
    for (const [i, l] of logins.entries()) {
      const r = await ap.publishRaw(
        topicFor('ap-f1', 'event'),
        JSON.stringify({ ts: now - 60_000 + i * 10, event: 'portalLogin', data: { sessionId: `f-${i}`, ...l } }),
      );
      expect(r.outcome).toBe('acked');
    }
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM wifi_portal_logins WHERE device_id = 'ap-f1'`)) === 3, 15_000);
    const from = new Date(now - 3_600_000).toISOString();
    const to = new Date(now + 60_000).toISOString();
    const s = await get<Record<string, unknown>>(`/wifi/portal-logins/summary?from=${from}&to=${to}`);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      logins: 3,
      distinctClients: 2,
      withPhone: 1,
      byMethod: [
        { method: 'click', logins: 2 },
        { method: 'sms', logins: 1 },
      ],
      byConsentVersion: [
        { version: '2026-01', known: false, logins: 2 },
        { version: '2025-07', known: false, logins: 1 },
      ],
      byPurpose: [
        { purpose: 'terms', logins: 3 },
        { purpose: 'marketing', logins: 1 },
      ],
      byLanguage: [
        { language: 'vi', logins: 2 },
        { language: 'en', logins: 1 },
      ],
    });
    expect(JSON.stringify(s.body)).not.toContain('h1:');
    // The listing itself (hashes) stays an operator's.
    expect((await get(`/wifi/portal-logins?from=${from}&to=${to}`)).status).toBe(403);
    expect((await get(`/wifi/portal-logins/summary?from=${to}&to=${from}`)).status).toBe(400);
    // The WiFi figure's id is camelCase like every figure id: a plan target can be set for it (the page shows it).
    const target = await t.http('PUT', '/api/v1/plan-targets/wifi-ap.uniqueUsers/2026', {
      token: t.adminToken,
      body: { comparator: '>=', target: 100, source: 'Kế hoạch 2026' },
    });
    expect(target.status).toBe(200);
    // Sessions in progress: started, not stopped, heard of within a day; a session whose stop was lost is not counted.
    await ap.publishRaw(
      topicFor('ap-f1', 'event'),
      JSON.stringify({ ts: now - 120_000, event: 'sessionStart', data: { sessionId: 'o-1', mac: '02:11:22:33:44:01', ssid: 'x' } }),
    );
    await ap.publishRaw(
      topicFor('ap-f1', 'event'),
      JSON.stringify({ ts: now - 110_000, event: 'sessionStart', data: { sessionId: 'o-2', mac: '02:11:22:33:44:02', ssid: 'x' } }),
    );
    await ap.publishRaw(
      topicFor('ap-f1', 'event'),
      JSON.stringify({ ts: now - 100_000, event: 'sessionStop', data: { sessionId: 'o-2', bytesIn: 10, bytesOut: 5, durationS: 10 } }),
    );
    await ap.publishRaw(
      topicFor('ap-f1', 'event'),
      JSON.stringify({ ts: now - 2 * 86_400_000, event: 'sessionStart', data: { sessionId: 'o-3', mac: '02:11:22:33:44:03', ssid: 'x' } }),
    );
    await waitFor(
      async () => (await rowCount(t, `SELECT 1 FROM wifi_sessions WHERE session_id LIKE 'o-%' AND (session_id <> 'o-2' OR ended_at IS NOT NULL)`)) === 3,
      15_000,
    );
    const o = await get<{ total: number; items: { deviceId: string; open: number }[] }>('/wifi/sessions/open');
    expect(o.status).toBe(200);
    expect(o.body.total).toBe(1);
    expect(o.body.items).toEqual([{ deviceId: 'ap-f1', open: 1 }]);
    const r = await get<Record<string, unknown>>('/wifi/retention');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ personalRetentionDays: 30, rawEventKeepDays: 7, intervalMs: 3_600_000 });
  });

  it('lists outbox messages and lets an administrator retry now after an outage', async () => {
    await waitFor(async () => ((await get<{ pending: number }>('/province/outbox')).body.pending === 0 ? true : null), 20_000);
    await standIn.stop();
    await t.provision('streetlight', 'sl-f1', { lat: 12.22, lon: 109.19 });
    expect((await t.http('POST', '/api/v1/province/export/run', { token: t.adminToken })).status).toBe(200);
    type Pending = {
      enabled: boolean;
      items: { entityId: string; status: string; attempts: number; lastError: string | null; nextAttemptAt: string | null }[];
    };
    // Every waiting message has failed once; the backoff puts its next attempt minutes away.
    const pending = await waitFor(async () => {
      const r = await get<Pending>('/province/outbox/messages?status=pending');
      return r.body.items.length > 0 && r.body.items.every((m) => m.attempts >= 1) ? r : null;
    }, 15_000);
    expect(pending.body.enabled).toBe(true);
    expect((await get<{ failing: boolean }>('/province/outbox')).body.failing).toBe(true);
    for (const m of pending.body.items) expect(Date.parse(m.nextAttemptAt ?? '') - Date.now()).toBeGreaterThan(60_000);
    const sl = pending.body.items.find((m) => m.entityId.endsWith(':sl-f1'));
    expect(sl).toMatchObject({ status: 'pending', attempts: 1 });
    expect(sl?.lastError).toMatch(/unreachable/);
    expect((await get('/province/outbox/messages?status=lost')).status).toBe(400);

    await standIn.start();
    expect((await t.http('POST', '/api/v1/province/outbox/retry', { token: viewer })).status).toBe(403);
    const retry = await t.http<{ rescheduled: number }>('POST', '/api/v1/province/outbox/retry', { token: t.adminToken });
    expect(retry.status).toBe(200);
    expect(retry.body.rescheduled).toBe(pending.body.items.length);
    await waitFor(async () => ((await get<{ pending: number }>('/province/outbox')).body.pending === 0 ? true : null), 15_000);
    const delivered = await get<{ items: { entityId: string; deliveredAt: string | null }[] }>('/province/outbox/messages?status=delivered&type=Streetlight');
    expect(delivered.body.items.map((m) => m.entityId)).toContain(sl?.entityId);
    expect(standIn.entities.has(sl?.entityId ?? '')).toBe(true);
    expect(await rowCount(t, `SELECT 1 FROM audit_log WHERE action = 'province.outbox.retry' AND result = 'ok'`)).toBe(1);
  });
});
