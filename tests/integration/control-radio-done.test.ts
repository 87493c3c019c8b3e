import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BroadcastUpdate } from '../../services/control/radio/broadcast.service.ts';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { wav } from './control-audio-fixtures.ts';
import { rowCount, simDevice } from './control-helpers.ts';

const { modes } = await dbModes();

interface Report {
  broadcast: { id: string; status: string };
  clusters: { clusterId: string; playLogs: { result: string | null }[] }[];
}

describe.each(modes)('broadcasts that finished airing on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const speakers: SimulatedDevice[] = [];
  const updates: BroadcastUpdate[] = [];
  const onUpdate = (u: BroadcastUpdate): void => void updates.push(u);

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    t.app.ctx.events.on('broadcast.update', onUpdate);
    expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-done', name: 'Tổ dân phố 5', kind: 'broadcast_zone' } })).status).toBe(
      201,
    );
    for (const id of ['spk-d1', 'spk-d2']) {
      const d = await simDevice(t, 'speaker', id, { zoneIds: ['z-done'] });
      await d.connect();
      // Telemetry ticks advance the cluster's model: that is when it ends an airing and reports its play log.
      d.startReporting(300);
      speakers.push(d);
    }
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id LIKE 'spk-d%'`)) === 2, 20_000);
  }, 60_000);
  afterAll(async () => {
    t?.app.ctx.events.off('broadcast.update', onUpdate);
    for (const d of speakers) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });

  it("a one-off broadcast becomes 'done' once every cluster reported its play log; a recurring one stays scheduled", async () => {
    const up = await t.app.api.inject({
      method: 'POST',
      url: '/api/v1/radio/audio?title=Th%C3%B4ng%20b%C3%A1o',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'audio/wav' },
      payload: wav(2),
    });
    expect(up.statusCode).toBe(201);
    const audioId = (JSON.parse(up.body) as { id: string }).id;
    const startAt = new Date(Date.now() + 3000).toISOString();
    expect(
      (await api('POST', '/radio/broadcasts', { id: 'once', title: 'Thông báo một lần', priority: 'normal', audioId, zoneIds: ['z-done'], startAt })).status,
    ).toBe(201);
    // Far enough ahead not to clash with the first one; its next occurrence is tomorrow, so it is never done now.
    const daily = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (
        await api('POST', '/radio/broadcasts', {
          id: 'daily',
          title: 'Bản tin hằng ngày',
          priority: 'normal',
          audioId,
          zoneIds: ['z-done'],
          startAt: daily,
          rrule: 'FREQ=DAILY',
        })
      ).status,
    ).toBe(201);

    const report = await waitFor(
      async () => {
        const r = await api<Report>('GET', '/radio/broadcasts/once');
        return r.body.broadcast.status === 'done' ? r.body : null;
      },
      60_000,
      200,
    );
    // Done because it aired: both clusters reported a completed play log (not because a grace period ran out).
    expect(report.clusters.map((c) => [c.clusterId, c.playLogs.map((l) => l.result)])).toEqual([
      ['spk-d1', ['ok']],
      ['spk-d2', ['ok']],
    ]);
    expect(updates.filter((u) => u.broadcastId === 'once').map((u) => u.change)).toEqual(['created', 'dispatched', 'done']);
    expect(updates.find((u) => u.change === 'done')).toMatchObject({ broadcastId: 'once', status: 'done', priority: 'normal' });

    expect((await api<Report>('GET', '/radio/broadcasts/daily')).body.broadcast.status).toBe('scheduled');
    expect((await api<{ items: { id: string }[] }>('GET', '/radio/broadcasts?status=done')).body.items.map((b) => b.id)).toEqual(['once']);
    // Cancelling announces itself too.
    expect((await api('POST', '/radio/broadcasts/daily/cancel')).status).toBe(200);
    expect(updates.filter((u) => u.broadcastId === 'daily').map((u) => u.change)).toEqual(['created', 'cancelled']);
  }, 90_000);
});
