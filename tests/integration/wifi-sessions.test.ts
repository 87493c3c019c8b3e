/**
 * WiFi sessions and captive-portal records end to end: real broker, real ingest, real database. Session records made
 * by the access-point model are published over MQTT; the unique-users figure must count the distinct clients, and the
 * raw MAC addresses and phone numbers must appear nowhere in the database (every table dumped and searched).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/broker/topics.ts';
import type { ModelEvent } from '../../simulators/mqtt/models/model.ts';
import { wifiApModel } from '../../simulators/mqtt/models/wifi-ap.model.ts';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { rowCount, simDevice } from './control-helpers.ts';

const { modes } = await dbModes();
const run = promisify(execFile);

const HOUR = 3_600_000;

/** Session records the AP model produces over `hours` of evening demand ending now (pure, so known in advance). */
function modelEvents(seed: number, hours: number, end: number): ModelEvent[] {
  let s = wifiApModel.init({ seed, now: end - hours * HOUR, firmware: 'test' });
  const out: ModelEvent[] = [];
  // Steps of 5 minutes, as the device's reporting would advance it.
  for (let t = end - hours * HOUR; t < end; t += 300_000) {
    const step = wifiApModel.advance(s, Math.min(end, t + 300_000));
    s = step.state;
    out.push(...step.events.filter((e) => e.event.startsWith('session') || e.event === 'portalLogin'));
  }
  return out;
}

/** Every spelling of a MAC or phone a dump could hold it in. */
function spellings(mac: string, phone: string | null): string[] {
  const hex = mac.replaceAll(':', '');
  const out = [mac, mac.toUpperCase(), mac.replaceAll(':', '-'), hex, hex.toUpperCase()];
  if (phone) out.push(phone, `+84${phone.slice(1)}`, `84${phone.slice(1)}`, phone.slice(1));
  return out;
}

describe.each(modes)('WiFi sessions and portal records on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let url: string | null = null;
  const aps = new Map<string, SimulatedDevice>();
  const sent: { deviceId: string; e: ModelEvent }[] = [];
  const end = Date.now();

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    url = opened.url;
    t = await startTestApp({ db: opened.db, env: { SW_WIFI_PERSONAL_RETENTION_DAYS: '3' } });
    for (const id of ['ap-1', 'ap-2']) {
      const d = await simDevice(t, 'wifi-ap', id);
      await d.connect();
      aps.set(id, d);
    }
  });
  afterAll(async () => {
    for (const d of aps.values()) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const publish = async (deviceId: string, e: ModelEvent): Promise<void> => {
    const d = aps.get(deviceId);
    if (!d) throw new Error(deviceId);
    const r = await d.publishRaw(topicFor(deviceId, 'event'), JSON.stringify({ ts: e.at, event: e.event, data: e.data }));
    expect(r.outcome).toBe('acked');
    sent.push({ deviceId, e });
  };
  const api = <T>(method: string, path: string, body?: unknown) => t.http<T>(method, `/api/v1${path}`, { token: t.adminToken, body });

  it('folds the simulated sessions into records and counts unique users once across points', async () => {
    // Two APs whose clients are drawn from the same seed's pool: the same people visit both points.
    const events = { 'ap-1': modelEvents(7, 3, end), 'ap-2': modelEvents(7, 2, end - 1000) };
    // Distinct session ids per AP (the model names sessions by its seed): prefix the second AP's.
    events['ap-2'] = events['ap-2'].map((e) => ({ ...e, data: { ...e.data, sessionId: `b-${String(e.data?.sessionId)}` } }));
    for (const [id, list] of Object.entries(events)) for (const e of list) await publish(id, e);

    const starts = sent.filter((s) => s.e.event === 'sessionStart');
    const macs = new Set(starts.map((s) => String(s.e.data?.mac)));
    expect(starts.length).toBeGreaterThan(20);
    // The model's returning residents: fewer people than sessions.
    expect(macs.size).toBeLessThan(starts.length);
    await waitFor(async () => (await rowCount(t, 'SELECT 1 FROM wifi_sessions WHERE started_at IS NOT NULL')) === starts.length, 20_000);

    const from = new Date(end - 4 * HOUR).toISOString();
    const to = new Date(end + HOUR).toISOString();
    const u = await api<{ sessions: number; uniqueUsers: number; bytes: number }>('GET', `/wifi/unique-users?from=${from}&to=${to}`);
    expect(u.status).toBe(200);
    expect(u.body.sessions).toBe(starts.length);
    expect(u.body.uniqueUsers).toBe(macs.size);
    const stops = sent.filter((s) => s.e.event === 'sessionStop');
    await waitFor(async () => (await rowCount(t, 'SELECT 1 FROM wifi_sessions WHERE ended_at IS NOT NULL')) === stops.length);
    expect((await api<{ bytes: number }>('GET', `/wifi/unique-users?from=${from}&to=${to}`)).body.bytes).toBe(
      stops.reduce((s, x) => s + Number(x.e.data?.bytesIn) + Number(x.e.data?.bytesOut), 0),
    );

    // Per access point: each AP's own sessions and users; the ward's users are fewer than their sum (shared people).
    const points = await api<{ items: { deviceId: string; sessions: number; uniqueUsers: number }[] }>('GET', `/wifi/points?from=${from}&to=${to}`);
    for (const id of ['ap-1', 'ap-2']) {
      const mine = starts.filter((s) => s.deviceId === id);
      expect(points.body.items.find((p) => p.deviceId === id)).toMatchObject({
        sessions: mine.length,
        uniqueUsers: new Set(mine.map((s) => String(s.e.data?.mac))).size,
      });
    }
    expect(points.body.items.reduce((n, p) => n + p.uniqueUsers, 0)).toBeGreaterThan(macs.size);

    // The indicator the report reads: the same figure through the indicators API (the current month holds `end`).
    const month = new Date(end + 7 * HOUR).toISOString().slice(0, 7);
    const ind = await api<{ figures: { id: string; value: number | null }[] }>('GET', `/indicators?period=${month}`);
    const inMonth = new Set(starts.filter((s) => new Date(Number(s.e.at) + 7 * HOUR).toISOString().slice(0, 7) === month).map((s) => String(s.e.data?.mac)));
    expect(ind.body.figures.find((f) => f.id === 'wifi-ap.uniqueUsers')?.value).toBe(inMonth.size);

    // Consent is recorded with what was agreed to.
    const logins = await api<{ items: { consentVersion: string; consentPurposes: string[]; phoneHash: string | null; clientHash: string }[] }>(
      'GET',
      `/wifi/portal-logins?from=${from}&to=${to}&limit=5000`,
    );
    expect(logins.body.items.length).toBe(sent.filter((s) => s.e.event === 'portalLogin').length);
    expect(logins.body.items.every((l) => l.consentVersion === '2026-01' && l.consentPurposes.includes('terms') && l.clientHash.startsWith('h1:'))).toBe(true);
    expect(logins.body.items.some((l) => l.phoneHash?.startsWith('h1:'))).toBe(true);
  });

  it('keeps no raw MAC or phone anywhere: refused records are redacted, and a dump of every table finds none', async () => {
    const mac = '3C:22:FB:12:AB:9E';
    const phone = '0912345678';
    // A session start with a field the kind does not declare: refused as a dead letter, with the phone inside.
    const d = aps.get('ap-1');
    const r = await d?.publishRaw(
      topicFor('ap-1', 'event'),
      JSON.stringify({ ts: Date.now(), event: 'sessionStart', data: { sessionId: 'x1', mac, phone }, vendor: 'acme' }),
    );
    expect(r?.outcome).toBe('acked');
    // Malformed JSON carrying both in text form: scrubbed by pattern.
    await d?.publishRaw(topicFor('ap-1', 'event'), `{"event":"portalLogin","data":{"mac":"${mac.toLowerCase()}","msisdn":"+84 912 345 678"`);
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM dead_letters WHERE device_id = 'ap-1'`)) === 2);
    const dl = await t.app.db.query<{ payload: string; reason_code: string }>(
      `SELECT payload, reason_code FROM dead_letters WHERE device_id = 'ap-1' ORDER BY id`,
    );
    expect(dl.rows.map((x) => x.reason_code)).toEqual(['UNKNOWN_FIELD', 'MALFORMED_JSON']);
    expect(dl.rows[0]?.payload).toContain('[redacted]');
    expect(dl.rows[0]?.payload).toContain('"sessionId":"x1"');
    // And a valid login with both, hashed by ingest.
    await publish('ap-1', {
      event: 'portalLogin',
      at: Date.now(),
      data: { sessionId: 'x2', mac, phone, method: 'sms', consentVersion: '2026-01', consentPurposes: ['terms'], language: 'vi' },
    });
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM wifi_portal_logins WHERE session_id = 'x2'`)) === 1);

    const forbidden = [...spellings(mac, phone)];
    for (const s of sent) {
      const p = s.e.data?.phone;
      forbidden.push(...spellings(String(s.e.data?.mac ?? '02:00:00:00:00:00'), typeof p === 'string' ? p : null));
    }
    const needles = [...new Set(forbidden.filter((x) => x.length >= 9).map((x) => x.toLowerCase()))];

    // Every table's every row as text.
    const tables = await t.app.db.query<{ name: string }>(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE '\\_timescaledb%'`,
    );
    let text = '';
    for (const tb of tables.rows) {
      const rows = await t.app.db.query<{ r: string }>(`SELECT x::text AS r FROM ${tb.name} x`);
      text += rows.rows.map((x) => x.r).join('\n');
    }
    expect(text).toContain('h1:');
    const lower = text.toLowerCase();
    expect(needles.filter((n) => lower.includes(n))).toEqual([]);

    if (url && existsSync('/usr/bin/pg_dump')) {
      const dump = (await run('pg_dump', ['--data-only', url], { maxBuffer: 256 * 1024 * 1024 })).stdout.toLowerCase();
      expect(dump).toContain('wifi_sessions');
      expect(needles.filter((n) => dump.includes(n))).toEqual([]);
    } else {
      console.warn(
        `[wifi] SKIPPED the pg_dump part on ${mode.name}: ${url ? 'no pg_dump binary' : 'embedded store (no server to dump); the SELECT of every table ran'}`,
      );
    }
  });

  it('removes personal records past the retention period and keeps the rest', async () => {
    const old = Date.now() - 4 * 86_400_000;
    await publish('ap-2', { event: 'sessionStart', at: old, data: { sessionId: 'old-1', mac: '02:aa:bb:cc:dd:ee', ssid: 'x' } });
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM wifi_sessions WHERE session_id = 'old-1'`)) === 1);
    const before = await rowCount(t, 'SELECT 1 FROM wifi_sessions');
    const r = await api<{ sessions: number; events: number }>('POST', '/wifi/retention/run');
    expect(r.status).toBe(200);
    expect(r.body.sessions).toBe(1);
    expect(r.body.events).toBeGreaterThanOrEqual(1);
    expect(await rowCount(t, `SELECT 1 FROM wifi_sessions WHERE session_id = 'old-1'`)).toBe(0);
    expect(await rowCount(t, 'SELECT 1 FROM wifi_sessions')).toBe(before - 1);
    expect(await rowCount(t, `SELECT 1 FROM device_events WHERE event = 'sessionStart' AND time < now() - interval '3 days'`)).toBe(0);
    // Viewers may read the figure but not the (pseudonymous) records.
    const viewer = await t.userToken('viewer');
    expect((await t.http('GET', `/api/v1/wifi/sessions?from=${new Date(old).toISOString()}&to=${new Date().toISOString()}`, { token: viewer })).status).toBe(
      403,
    );
  });
});
