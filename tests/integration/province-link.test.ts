/**
 * The province link end to end, against the local stand-in (simulators/province): real HTTP both ways, real broker,
 * real database, simulated loudspeaker clusters over MQTT.
 * - The exporter survives the context broker being really down for a minute (shortened backoff) and then delivers
 *   every entity, each id once (one content version), even though an answer was lost and a batch came twice.
 * - A province emergency preempts a ward bulletin on the ward's clusters, and its play logs reach the stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { ProvinceStandIn } from '../../simulators/province/stand-in.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { wav } from './control-audio-fixtures.ts';
import { rowCount, simDevice, until } from './control-helpers.ts';

const { modes } = await dbModes();
const BROKER_TOKEN = 'province-broker-token-for-tests-0001';
const INBOUND_TOKEN = 'province-inbound-token-for-tests-000000000001';
const DOWN_MS = 60_000;
const WARD = '22366';

interface Backlog {
  enabled: boolean;
  pending: number;
  delivered: number;
  lastError: string | null;
  failing: boolean;
}

describe.each(modes)('province link on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const standIn = new ProvinceStandIn({ token: BROKER_TOKEN });
  const speakers = new Map<string, SimulatedDevice>();

  beforeAll(async () => {
    await standIn.start();
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({
      db: opened.db,
      env: {
        SW_WARD_CODE: WARD,
        SW_PROVINCE_BROKER_URL: standIn.url,
        SW_PROVINCE_BROKER_TOKEN: BROKER_TOKEN,
        SW_PROVINCE_INBOUND_TOKEN: INBOUND_TOKEN,
        // Shortened backoff for the test; the outage itself is real and a full minute.
        SW_PROVINCE_RETRY_BASE_MS: '200',
        SW_PROVINCE_RETRY_MAX_MS: '2000',
        SW_PROVINCE_EXPORT_INTERVAL_MS: '3600000',
      },
    });
    expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-loa', name: 'Tổ dân phố 5', kind: 'broadcast_zone' } })).status).toBe(
      201,
    );
  });
  afterAll(async () => {
    for (const d of speakers.values()) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
    await standIn.stop();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });

  it('exports every device and indicator exactly once by id after the province broker was down for a minute', async () => {
    // The first export (at start) had nothing but indicators; now the ward's devices are registered, with the broker down.
    await waitFor(async () => (await api<Backlog>('GET', '/province/outbox')).body.pending === 0, 20_000);
    const before = new Set(standIn.entities.keys());
    await standIn.stop();
    const downAt = Date.now();
    const expected: string[] = [];
    for (let i = 1; i <= 12; i++) {
      await t.provision('streetlight', `sl-${i}`, { lat: 12.22 + i / 1000, lon: 109.19 });
      expected.push(`urn:ngsi-ld:Streetlight:${WARD}:sl-${i}`);
    }
    for (let i = 1; i <= 4; i++) {
      await t.provision('wifi-ap', `ap-${i}`);
      expected.push(`urn:ngsi-ld:WifiAccessPoint:${WARD}:ap-${i}`);
    }
    const run = await api<{ devices: number; indicators: number; enqueued: number }>('POST', '/province/export/run');
    expect(run.status).toBe(200);
    expect(run.body.devices).toBe(16);
    expect(run.body.enqueued).toBeGreaterThanOrEqual(16);
    // Running it again while nothing changed adds nothing (content-hash message ids).
    expect((await api<{ enqueued: number }>('POST', '/province/export/run')).body.enqueued).toBe(0);

    // The backlog is visible and attempts keep failing while the broker is away.
    const down = await waitFor(async () => {
      const b = (await api<Backlog>('GET', '/province/outbox')).body;
      return b.failing && b.pending >= 16 ? b : null;
    }, 10_000);
    expect(down.lastError).toMatch(/unreachable/);
    const pendingWhileDown = down.pending;
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - downAt))));
    expect(await t.app.metrics.value('sw_province_push_failures_total')).toBeGreaterThan(5);
    expect(await t.app.metrics.value('sw_province_outbox_backlog')).toBe(pendingWhileDown);
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(DOWN_MS);

    // Back, but the answer to the first batch is lost: that batch is delivered twice (at least once), applied once.
    standIn.loseAnswers = 1;
    await standIn.start();
    const after = await waitFor(async () => {
      const b = (await api<Backlog>('GET', '/province/outbox')).body;
      return b.pending === 0 ? b : null;
    }, 30_000);
    expect(after.failing).toBe(false);
    const fresh = [...standIn.entities.keys()].filter((id) => !before.has(id));
    for (const id of expected) expect(standIn.entities.has(id), id).toBe(true);
    expect(fresh.filter((id) => !id.includes(':KeyPerformanceIndicator:')).sort()).toEqual([...expected].sort());
    // Each id arrived with exactly one content; the lost answer made some arrive twice (the redelivery was absorbed).
    for (const id of fresh) expect(standIn.entities.get(id)?.versions.size, id).toBe(1);
    expect([...standIn.entities.values()].some((e) => e.receipts > 1)).toBe(true);
    const sl = standIn.entities.get(`urn:ngsi-ld:Streetlight:${WARD}:sl-3`)?.body as Record<string, { value?: unknown }>;
    expect(sl.type).toBe('Streetlight');
    expect(sl.location?.value).toEqual({ type: 'Point', coordinates: [109.19, 12.223] });
    expect(standIn.unauthorized).toBe(0);
    // The plan indicators went up as KeyPerformanceIndicator entities, one per figure of the month.
    const kpis = standIn.ofType('KeyPerformanceIndicator');
    const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
    const figures = (await api<{ figures: { id: string }[] }>('GET', `/indicators?period=${month}`)).body.figures;
    expect(
      kpis
        .map((k) => k.id)
        .filter((id) => id.endsWith(`:${month}`))
        .sort(),
    ).toEqual(figures.map((f) => `urn:ngsi-ld:KeyPerformanceIndicator:${WARD}:${f.id}:${month}`).sort());
    expect(await rowCount(t, `SELECT 1 FROM province_outbox WHERE status = 'rejected'`)).toBe(0);
  }, 150_000);

  it('a province emergency preempts a ward bulletin on the clusters and its play logs reach the province', async () => {
    for (const id of ['spk-1', 'spk-2']) {
      const d = await simDevice(t, 'speaker', id, { zoneIds: ['z-loa'] });
      await d.connect();
      speakers.set(id, d);
    }
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id LIKE 'spk-%'`)) === 2);
    const up = await t.app.api.inject({
      method: 'POST',
      url: '/api/v1/radio/audio?title=ban-tin',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'audio/wav' },
      payload: wav(40),
    });
    expect(up.statusCode).toBe(201);
    const news = await api<{ broadcast: { id: string } }>('POST', '/radio/broadcasts', {
      id: 'ward-news',
      title: 'Bản tin phường',
      priority: 'normal',
      audioId: (JSON.parse(up.body) as { id: string }).id,
      zoneIds: ['z-loa'],
    });
    expect(news.status).toBe(201);
    const cmd = await waitFor(
      async () =>
        (await api<{ clusters: { airings: { commandId: string }[] }[] }>('GET', '/radio/broadcasts/ward-news')).body.clusters[0]?.airings[0]?.commandId,
    );
    await until(t, cmd, ['acknowledged']);
    for (const id of speakers.keys()) expect(speakers.get(id)?.metrics()).toMatchObject({ state: 'playing', broadcastId: 'ward-news' });

    const file = standIn.addAudio('lu-quet.wav', wav(1.5));
    const ward = t.app.urls().http;
    // Refused: no token, a wrong token, a file that is not the one the province hashed. Nothing airs.
    expect((await fetch(`${ward}/api/v1/province/broadcasts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(
      401,
    );
    expect(
      (await ProvinceStandIn.sendBulletin(ward, 'x'.repeat(40), { id: 'flood-7', title: 'x', priority: 'emergency', audioUrl: file.url, sha256: file.sha256 }))
        .status,
    ).toBe(401);
    // Audio from anywhere but the province's hosts is not fetched (here: the ward's own address).
    const elsewhere = await ProvinceStandIn.sendBulletin(ward, INBOUND_TOKEN, {
      id: 'flood-5',
      title: 'x',
      priority: 'emergency',
      audioUrl: `${ward}/health`,
      sha256: file.sha256,
    });
    expect(elsewhere.status).toBe(422);
    expect((elsewhere.body.error as { code: string }).code).toBe('AUDIO_HOST_NOT_ALLOWED');
    const bad = await ProvinceStandIn.sendBulletin(ward, INBOUND_TOKEN, {
      id: 'flood-6',
      title: 'x',
      priority: 'emergency',
      audioUrl: file.url,
      sha256: '0'.repeat(64),
    });
    expect(bad.status).toBe(422);
    expect((bad.body.error as { code: string }).code).toBe('AUDIO_CHECKSUM_MISMATCH');
    for (const id of speakers.keys()) expect(speakers.get(id)?.metrics()).toMatchObject({ state: 'playing', broadcastId: 'ward-news' });

    const sent = await ProvinceStandIn.sendBulletin(ward, INBOUND_TOKEN, {
      id: 'flood-7',
      title: 'Cảnh báo lũ quét (tỉnh)',
      priority: 'emergency',
      audioUrl: file.url,
      sha256: file.sha256,
    });
    expect(sent.status).toBe(201);
    const body = sent.body as { broadcast: { broadcastId: string; status: string; clusterIds: string[] }; dispatched: string[] };
    expect(body.broadcast).toMatchObject({ broadcastId: 'prov-flood-7', status: 'dispatched', clusterIds: ['spk-1', 'spk-2'] });
    await until(t, body.dispatched[0] ?? '', ['acknowledged']);
    for (const id of speakers.keys()) expect(speakers.get(id)?.metrics()).toMatchObject({ state: 'emergency', broadcastId: 'prov-flood-7' });
    // The same bulletin again (the province retries): answered with what was done, not aired twice.
    const again = await ProvinceStandIn.sendBulletin(ward, INBOUND_TOKEN, {
      id: 'flood-7',
      title: 'Cảnh báo lũ quét (tỉnh)',
      priority: 'emergency',
      audioUrl: file.url,
      sha256: file.sha256,
    });
    expect(again.status).toBe(200);

    // The ward bulletin was preempted on both clusters, logged by the clusters and by the service.
    const cut = await waitFor(async () => {
      const r = await api<{ items: { clusterId: string; result: string; data: Record<string, unknown> }[] }>(
        'GET',
        `/radio/play-logs?broadcast=ward-news&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
      );
      return r.body.items.length === 2 ? r.body.items : null;
    });
    expect(cut.map((l) => [l.clusterId, l.result, l.data.preemptedBy]).sort()).toEqual([
      ['spk-1', 'preempted', 'prov-flood-7'],
      ['spk-2', 'preempted', 'prov-flood-7'],
    ]);

    // The emergency airs to its end; its play logs reach the province stand-in as BroadcastPlayLog entities.
    await new Promise((r) => setTimeout(r, 1800));
    for (const id of speakers.keys()) speakers.get(id)?.metrics();
    const logs = await waitFor(async () => {
      const l = standIn.ofType('BroadcastPlayLog').filter((e) => (e.body.refBroadcast as { value: string }).value === 'flood-7');
      return l.length === 2 ? l : null;
    }, 20_000);
    expect(logs.map((l) => [(l.body.refDevice as { object: string }).object, (l.body.result as { value: string }).value]).sort()).toEqual([
      [`urn:ngsi-ld:Device:${WARD}:spk-1`, 'ok'],
      [`urn:ngsi-ld:Device:${WARD}:spk-2`, 'ok'],
    ]);
    // Who asked is on record.
    expect(await rowCount(t, `SELECT 1 FROM audit_log WHERE actor = 'province' AND action = 'province.broadcast.receive' AND result = 'ok'`)).toBe(2);
    expect(await rowCount(t, `SELECT 1 FROM audit_log WHERE action = 'province.broadcast.receive' AND result = 'error'`)).toBe(4);
  }, 60_000);

  it('holds a normal province bulletin for the ward operator, who decides', async () => {
    const file = standIn.addAudio('thong-bao.wav', wav(1));
    const sent = await ProvinceStandIn.sendBulletin(t.app.urls().http, INBOUND_TOKEN, {
      id: 'notice-1',
      title: 'Thông báo của tỉnh',
      priority: 'normal',
      audioUrl: file.url,
      sha256: file.sha256,
      zoneIds: ['z-loa'],
    });
    expect(sent.status).toBe(201);
    expect((sent.body as { broadcast: { status: string }; dispatched: string[] }).broadcast.status).toBe('awaiting_operator');
    expect((sent.body as { dispatched: string[] }).dispatched).toEqual([]);
    expect((await api('GET', '/radio/broadcasts/prov-notice-1')).status).toBe(404);
    const viewer = await t.userToken('viewer');
    expect((await t.http('POST', '/api/v1/province/inbox/notice-1/decision', { token: viewer, body: { accept: true } })).status).toBe(403);
    const ok = await api<{ broadcast: { status: string; decidedBy: string } }>('POST', '/province/inbox/notice-1/decision', {
      accept: true,
      startAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.broadcast).toMatchObject({ status: 'scheduled', decidedBy: 'admin' });
    expect((await api<{ broadcast: { priority: string } }>('GET', '/radio/broadcasts/prov-notice-1')).body.broadcast.priority).toBe('normal');
    expect((await api('POST', '/province/inbox/notice-1/decision', { accept: false })).status).toBe(409);
  });
});
