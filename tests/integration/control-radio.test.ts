import { readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UrlSigner } from '../../services/control/radio/url-signer.ts';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { mp3, png, wav } from './control-audio-fixtures.ts';
import { rowCount, simDevice, until } from './control-helpers.ts';

const { modes } = await dbModes();

interface Asset {
  id: string;
  sha256: string;
  durationS: number;
  sizeBytes: number;
  format: string;
}
interface Created {
  broadcast: { id: string; priority: string };
  clusters: string[];
  dispatched: string[];
  conflicts: { otherId: string }[];
  willPreempt: { otherId: string }[];
  blockedBy: { otherId: string }[];
}
interface PlayLog {
  clusterId: string;
  broadcastId: string;
  result: string;
  data: Record<string, unknown>;
}

describe.each(modes)('loudspeaker radio on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const speakers = new Map<string, SimulatedDevice>();

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-radio', name: 'Tổ dân phố 3', kind: 'broadcast_zone' } })).status).toBe(
      201,
    );
    for (const id of ['spk-a', 'spk-b', 'spk-c']) {
      const d = await simDevice(t, 'speaker', id, { zoneIds: ['z-radio'] });
      await d.connect();
      speakers.set(id, d);
    }
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id LIKE 'spk-%'`)) === 3);
  });
  afterAll(async () => {
    for (const d of speakers.values()) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });
  const upload = async (body: Buffer, title: string, type = 'audio/mpeg'): Promise<{ status: number; body: Asset & { error?: { code: string } } }> => {
    const r = await t.app.api.inject({
      method: 'POST',
      url: `/api/v1/radio/audio?title=${encodeURIComponent(title)}`,
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': type },
      payload: body,
    });
    return { status: r.statusCode, body: JSON.parse(r.body) as Asset & { error?: { code: string } } };
  };
  const playLogs = async (broadcast: string): Promise<PlayLog[]> =>
    (
      await api<{ items: PlayLog[] }>(
        'GET',
        `/radio/play-logs?broadcast=${broadcast}&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
      )
    ).body.items;

  it('stores an upload checked by content, with its checksum and duration, and serves it by signed link', async () => {
    const r = await upload(wav(2), 'Thông báo tiêm chủng', 'audio/wav');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ format: 'wav', durationS: 2, sizeBytes: 44 + 32_000 });
    expect(r.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await upload(wav(2), 'same bytes, another title', 'application/octet-stream');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(r.body.id);
    // 64 frames × 417 bytes × 8 / 128 kbit/s = 1.668 s.
    const m = await upload(mp3(64), 'Bản tin sáng');
    expect(m.body).toMatchObject({ format: 'mp3', durationS: 1.668 });
    const signer = t.app.ctx.shared.get('radioSigner') as UrlSigner;
    const link = signer.sign(`/api/v1/radio/files/${r.body.id}`, Math.floor(Date.now() / 1000) + 60);
    const f = await t.app.api.inject({ method: 'GET', url: link });
    expect(f.statusCode).toBe(200);
    expect(f.rawPayload.equals(wav(2))).toBe(true);
    expect(f.headers['x-content-sha256']).toBe(r.body.sha256);
    expect((await t.app.api.inject({ method: 'GET', url: link.replace(/sig=./, 'sig=A') })).statusCode).toBe(403);
    const old = signer.sign(`/api/v1/radio/files/${r.body.id}`, Math.floor(Date.now() / 1000) - 1);
    expect(JSON.parse((await t.app.api.inject({ method: 'GET', url: old })).body).error.code).toBe('LINK_EXPIRED');
  });

  it('refuses a non-audio upload and an oversized file with a clear 4xx, storing nothing', async () => {
    const before = await rowCount(t, 'SELECT 1 FROM audio_assets');
    const files = readdirSync(path.join(t.dataDir, 'audio')).length;
    const fake = await upload(png(), 'anh.mp3', 'audio/mpeg');
    expect(fake.status).toBe(415);
    expect(fake.body.error?.code).toBe('UNSUPPORTED_AUDIO');
    const text = await upload(Buffer.from('just some text, long enough to be checked'), 'x', 'text/plain');
    expect(text.status).toBe(415);
    const big = Buffer.concat([wav(1), Buffer.alloc(20 * 1024 * 1024)]);
    const tooBig = await upload(big, 'qua lon', 'audio/wav');
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error?.code).toBe('AUDIO_TOO_LARGE');
    expect(await rowCount(t, 'SELECT 1 FROM audio_assets')).toBe(before);
    expect(readdirSync(path.join(t.dataDir, 'audio')).length).toBe(files);
    expect((await t.http('GET', '/health')).status).toBe(200);
  });

  it('an emergency preempts a running normal broadcast on the targeted clusters only, and both are logged', async () => {
    const news = await upload(wav(40), 'Bản tin thời sự', 'audio/wav');
    const alarm = await upload(wav(1.5), 'Cảnh báo lũ', 'audio/wav');
    const normal = await api<Created>('POST', '/radio/broadcasts', {
      id: 'news-1',
      title: 'Bản tin thời sự',
      priority: 'normal',
      audioId: news.body.id,
      zoneIds: ['z-radio'],
      volume: 60,
    });
    expect(normal.status).toBe(201);
    expect(normal.body.clusters).toEqual(['spk-a', 'spk-b', 'spk-c']);
    // The scheduler sends the file ahead of air time; the clusters start it at its time (now).
    const cmdId = await waitFor(
      async () => (await api<{ clusters: { airings: { commandId: string }[] }[] }>('GET', '/radio/broadcasts/news-1')).body.clusters[0]?.airings[0]?.commandId,
    );
    await until(t, cmdId, ['acknowledged']);
    for (const id of ['spk-a', 'spk-b', 'spk-c']) expect(speakers.get(id)?.metrics()).toMatchObject({ state: 'playing', broadcastId: 'news-1' });

    const em = await api<Created>('POST', '/radio/broadcasts', {
      id: 'flood-1',
      title: 'Cảnh báo lũ',
      priority: 'emergency',
      audioId: alarm.body.id,
      clusterIds: ['spk-a', 'spk-b'],
    });
    expect(em.status).toBe(201);
    expect(em.body.dispatched.length).toBe(1);
    await until(t, em.body.dispatched[0] ?? '', ['acknowledged']);
    expect(speakers.get('spk-a')?.metrics()).toMatchObject({ state: 'emergency', broadcastId: 'flood-1' });
    expect(speakers.get('spk-b')?.metrics()).toMatchObject({ state: 'emergency', broadcastId: 'flood-1' });
    expect(speakers.get('spk-c')?.metrics()).toMatchObject({ state: 'playing', broadcastId: 'news-1' });

    // The interrupted bulletin is logged by the clusters (play log) and by the service (when it dispatched).
    const cut = await waitFor(async () => {
      const logs = await playLogs('news-1');
      return logs.length === 2 ? logs : null;
    });
    expect(cut.map((l) => [l.clusterId, l.result, l.data.preemptedBy])).toEqual(
      [
        ['spk-a', 'preempted', 'flood-1'],
        ['spk-b', 'preempted', 'flood-1'],
      ].sort(),
    );
    const pre = await waitFor(async () => {
      const r = await api<{ items: { clusterId: string; broadcastId: string; byBroadcastId: string; source: string }[] }>(
        'GET',
        `/radio/preemptions?broadcast=flood-1&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
      );
      return r.body.items.length === 4 ? r.body.items : null;
    });
    expect(pre.map((p) => `${p.source}:${p.clusterId}:${p.broadcastId}>${p.byBroadcastId}`).sort()).toEqual([
      'dispatch:spk-a:news-1>flood-1',
      'dispatch:spk-b:news-1>flood-1',
      'playlog:spk-a:news-1>flood-1',
      'playlog:spk-b:news-1>flood-1',
    ]);

    // The emergency airs to its end (1.5 s, read from the file's header) and is logged too.
    await new Promise((r) => setTimeout(r, 1800));
    for (const id of ['spk-a', 'spk-b', 'spk-c']) speakers.get(id)?.metrics();
    const aired = await waitFor(async () => {
      const logs = await playLogs('flood-1');
      return logs.length === 2 ? logs : null;
    });
    expect(aired.map((l) => [l.clusterId, l.result])).toEqual([
      ['spk-a', 'ok'],
      ['spk-b', 'ok'],
    ]);
    const report = await api<{ summary: Record<string, number>; broadcast: { requestedAt: string; priority: string } }>('GET', '/radio/broadcasts/flood-1');
    expect(report.body.summary).toMatchObject({ clusters: 2, acknowledged: 2, airedFully: 2, preempted: 0 });
    expect(report.body.broadcast.priority).toBe('emergency');
    const airtime = await api<{ clusters: { clusterId: string; bulletins: number; preempted: number }[] }>(
      'GET',
      `/radio/airtime?zone=z-radio&from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
    );
    expect(airtime.body.clusters.map((c) => [c.clusterId, c.bulletins, c.preempted])).toEqual([
      ['spk-a', 2, 1],
      ['spk-b', 2, 1],
    ]);
  });

  it('reports clashes of equal priority as conflicts for the operator, who resolves them', async () => {
    const a = await upload(wav(3), 'Thông báo A', 'audio/wav');
    const start = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const p1 = await api<Created>('POST', '/radio/broadcasts', {
      id: 'prio-1',
      title: 'Lịch cắt điện',
      priority: 'priority',
      audioId: a.body.id,
      clusterIds: ['spk-a'],
      startAt: start,
    });
    expect(p1.body.conflicts).toEqual([]);
    const p2 = await api<Created>('POST', '/radio/broadcasts', {
      id: 'prio-2',
      title: 'Tỉnh: phòng dịch',
      priority: 'priority',
      audioId: a.body.id,
      zoneIds: ['z-radio'],
      startAt: start,
    });
    expect(p2.status).toBe(201);
    expect(p2.body.conflicts.map((c) => c.otherId)).toEqual(['prio-1']);
    const n1 = await api<Created>('POST', '/radio/broadcasts/check', {
      title: 'Nhạc',
      priority: 'normal',
      audioId: a.body.id,
      clusterIds: ['spk-c'],
      startAt: start,
    });
    expect(n1.body.blockedBy.map((c) => c.otherId)).toEqual(['prio-2']);
    const open = await api<{ items: { id: number; broadcastId: string; otherBroadcastId: string; clusterIds: string[] }[] }>(
      'GET',
      '/radio/conflicts?status=open',
    );
    expect(open.body.items).toEqual([expect.objectContaining({ broadcastId: 'prio-2', otherBroadcastId: 'prio-1', clusterIds: ['spk-a'] })]);
    const id = open.body.items[0]?.id ?? 0;
    expect((await api('POST', `/radio/conflicts/${id}/resolve`, { cancel: 'news-1' })).status).toBe(400);
    const done = await api<{ status: string; resolution: string }>('POST', `/radio/conflicts/${id}/resolve`, { cancel: 'prio-1' });
    expect(done.body).toMatchObject({ status: 'resolved', resolution: 'broadcast prio-1 cancelled' });
    expect((await api<{ broadcast: { status: string } }>('GET', '/radio/broadcasts/prio-1')).body.broadcast.status).toBe('cancelled');
    expect((await api<{ items: unknown[] }>('GET', '/radio/conflicts?status=open')).body.items).toEqual([]);
  });

  it('refuses bad broadcasts: unknown zone, emergency with a start time, no source', async () => {
    const before = await rowCount(t, 'SELECT 1 FROM broadcasts');
    const a = (await api<{ items: Asset[] }>('GET', '/radio/audio')).body.items[0]?.id;
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 'x', priority: 'normal', audioId: a, zoneIds: ['no-zone'] }, 'UNKNOWN_ZONE'],
      [{ title: 'x', priority: 'emergency', audioId: a, zoneIds: ['z-radio'], startAt: new Date().toISOString() }, 'EMERGENCY_AIRS_NOW'],
      [{ title: 'x', priority: 'normal', zoneIds: ['z-radio'] }, 'SOURCE_REQUIRED'],
      [{ title: 'x', priority: 'normal', audioId: 'au-nothing', zoneIds: ['z-radio'] }, 'UNKNOWN_AUDIO'],
      [{ title: 'x', priority: 'normal', audioId: a, clusterIds: ['spk-a'], rrule: 'FREQ=YEARLY' }, 'BAD_RRULE'],
    ];
    for (const [body, code] of cases) {
      const r = await api<{ error: { code: string } }>('POST', '/radio/broadcasts', body);
      expect(r.status, code).toBe(400);
      expect(r.body.error.code).toBe(code);
    }
    expect(await rowCount(t, 'SELECT 1 FROM broadcasts')).toBe(before);
  });

  it('pushes each occurrence of a recurring broadcast ahead of its time, with the occurrence as start', async () => {
    const a = await upload(wav(1), 'Chuông', 'audio/wav');
    const c = await api<Created>('POST', '/radio/broadcasts', {
      id: 'chime',
      title: 'Chuông giờ',
      priority: 'normal',
      audioId: a.body.id,
      clusterIds: ['spk-c'],
      startAt: new Date(Date.now() + 60_000).toISOString(),
      rrule: 'FREQ=MINUTELY;COUNT=3',
    });
    expect(c.status).toBe(201);
    // Lead time is 5 minutes: all three occurrences are due now and go out as plays with their own startAt.
    const airings = await waitFor(async () => {
      const r = await api<{ clusters: { airings: { occurrenceAt: string; state: string | null }[] }[] }>('GET', '/radio/broadcasts/chime');
      const list = r.body.clusters[0]?.airings ?? [];
      return list.length === 3 && list.every((x) => x.state === 'acknowledged') ? list : null;
    });
    const times = airings.map((x) => Date.parse(x.occurrenceAt));
    expect(times[1]! - times[0]!).toBe(60_000);
    expect(times[2]! - times[1]!).toBe(60_000);
    const cmds = speakers.get('spk-c')?.recentCommands.filter((x) => x.params.broadcastId === 'chime') ?? [];
    expect(cmds.map((x) => x.params.startAt)).toEqual(airings.map((x) => x.occurrenceAt));
  });

  it('relays a live stream: one upstream connection, every cluster gets the same bytes', async () => {
    let upstreams = 0;
    const source = http.createServer((_req, res) => {
      upstreams++;
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      let n = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1000, n++ % 256));
        if (n === 6) {
          clearInterval(timer);
          res.end();
        }
      }, 150);
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(source.address() as AddressInfo).port}/live.mp3`;
      const b = await api<Created>('POST', '/radio/broadcasts', {
        id: 'live-1',
        title: 'Tiếp sóng',
        priority: 'normal',
        streamUrl: url,
        clusterIds: ['spk-b'],
        durationS: 60,
      });
      expect(b.status).toBe(201);
      const cmd = await waitFor(async () => speakers.get('spk-b')?.recentCommands.find((x) => x.name === 'live' && x.params.broadcastId === 'live-1'));
      const relay = String(cmd.params.streamUrl);
      expect(relay).toMatch(/\/api\/v1\/radio\/live\/live-1\/stream\?exp=\d+&sig=/);
      const base = t.app.urls().http;
      const pathOnly = relay.slice(relay.indexOf('/api/v1/'));
      const [x, y] = await Promise.all([fetch(`${base}${pathOnly}`), fetch(`${base}${pathOnly}`)]);
      const [bx, by] = await Promise.all([x.arrayBuffer(), y.arrayBuffer()]);
      expect(x.status).toBe(200);
      expect(bx.byteLength).toBeGreaterThan(0);
      expect(
        Buffer.from(bx).equals(Buffer.from(by).subarray(by.byteLength - bx.byteLength)) ||
          Buffer.from(by).equals(Buffer.from(bx).subarray(bx.byteLength - by.byteLength)),
      ).toBe(true);
      expect(upstreams).toBe(1);
      expect((await fetch(`${base}${pathOnly.replace(/sig=[^&]+/, 'sig=bad')}`)).status).toBe(403);
    } finally {
      await new Promise((r) => source.close(r));
    }
  });
});
