import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();

/** The two reads the dashboard relies on at scale: the fleet snapshot, and the commands of one device with its own result. */
describe.each(modes)('dashboard reads on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let sim: SimulatedDevice;

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-3', name: 'Tổ dân phố 3', kind: 'residential_group' } });
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-tran-phu', name: 'Đường Trần Phú', kind: 'lighting_zone' } });
    const c = await t.provision('streetlight', 'sl-dash-1', { groupId: 'tdp-3', zoneIds: ['z-tran-phu'], lat: 12.2211, lon: 109.1912 });
    await t.provision('streetlight', 'sl-dash-2', { lat: 12.2213, lon: 109.1915 });
    await t.provision('wifi-ap', 'ap-dash-1');
    sim = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: 'sl-dash-1', secret: c.password, kind: 'streetlight' });
    await sim.connect();
    await sim.publishTelemetry({ level: 55 });
  }, 120_000);
  afterAll(async () => {
    await sim?.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  it('GET /fleet answers every device with zones, position, status and latest state as rows in `fields` order', async () => {
    const viewer = await t.userToken('viewer');
    await waitFor(async () => {
      const r = await t.http<{ items: unknown[][]; fields: string[] }>('GET', '/api/v1/fleet', { token: viewer });
      const row = r.body.items.find((x) => x[0] === 'sl-dash-1');
      return row && (row[r.body.fields.indexOf('state')] as Record<string, unknown>).level === 55;
    }, 30_000);
    const r = await t.http<{ fields: string[]; items: unknown[][] }>('GET', '/api/v1/fleet', { token: viewer });
    expect(r.status).toBe(200);
    expect(r.body.fields).toEqual(['id', 'kind', 'name', 'groupId', 'zoneIds', 'lat', 'lon', 'online', 'lastSeen', 'statusReason', 'state']);
    expect(r.body.items.map((x) => x[0])).toEqual(['ap-dash-1', 'sl-dash-1', 'sl-dash-2']);
    const rec = (id: string): Record<string, unknown> => Object.fromEntries(r.body.fields.map((f, i) => [f, r.body.items.find((x) => x[0] === id)![i]]));
    const one = rec('sl-dash-1');
    expect(one).toMatchObject({ kind: 'streetlight', name: 'sl-dash-1', groupId: 'tdp-3', zoneIds: ['z-tran-phu'], lat: 12.2211, lon: 109.1912, online: true });
    expect(one.lastSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(one.lastSeen as string)).toBeGreaterThan(Date.now() - 120_000);
    // A device that never connected: no status, no state, no position.
    expect(rec('ap-dash-1')).toMatchObject({ groupId: null, zoneIds: [], lat: null, lon: null, online: null, lastSeen: null, state: {} });
    expect((await t.http('GET', '/api/v1/fleet')).status).toBe(401);
  });

  it('GET /fleet is gzip-compressed over HTTP for a client that accepts it, and plain otherwise', async () => {
    // Enough devices for the answer to be worth compressing.
    for (let i = 0; i < 150; i++) await t.provision('streetlight', `sl-bulk-${String(i).padStart(3, '0')}`, { lat: 12.22 + i * 1e-4, lon: 109.19 });
    const url = `${t.app.urls().http}/api/v1/fleet`;
    const gz = await fetch(url, { headers: { authorization: `Bearer ${t.adminToken}`, 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(((await gz.json()) as { items: unknown[] }).items).toHaveLength(153);
    const plain = await t.app.api.inject({ method: 'GET', url: '/api/v1/fleet', headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(plain.body) as { items: unknown[] }).items).toHaveLength(153);
  });

  it('GET /commands?device= lists the commands that reached the device, each with that device’s own delivery', async () => {
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    // One command to this device alone, one to two devices (the other never connects), one that does not concern it.
    const own = await t.http<{ id: string }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: { name: 'setLevel', params: { level: 30, expiresAt }, target: { type: 'device', id: 'sl-dash-1' } },
    });
    const both = await t.http<{ id: string }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: { name: 'setLevel', params: { level: 35, expiresAt }, target: { type: 'devices', ids: ['sl-dash-1', 'sl-dash-2'] } },
    });
    const other = await t.http<{ id: string }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: { name: 'setLevel', params: { level: 10, expiresAt }, target: { type: 'device', id: 'sl-dash-2' } },
    });
    expect([own.status, both.status, other.status]).toEqual([201, 201, 201]);

    type Item = {
      id: string;
      state: string;
      delivery?: { deviceId: string; state: string; attempts: number; ackStatus: string | null; finishedAt: string | null };
    };
    const viewer = await t.userToken('viewer');
    const list = await waitFor(async () => {
      const r = await t.http<{ items: Item[] }>('GET', '/api/v1/commands?device=sl-dash-1', { token: viewer });
      return r.body.items.length === 2 && r.body.items.every((c) => c.delivery?.state === 'acknowledged') ? r.body.items : undefined;
    }, 30_000);
    expect(list.map((c) => c.id).sort()).toEqual([own.body.id, both.body.id].sort());
    for (const c of list) expect(c.delivery).toMatchObject({ deviceId: 'sl-dash-1', state: 'acknowledged', attempts: 1 });
    expect(list.find((c) => c.id === both.body.id)!.delivery!.finishedAt).not.toBeNull();
    // The two-device command as a whole is still open (sl-dash-2 is offline), while this device's part is done.
    expect(list.find((c) => c.id === both.body.id)!.state).not.toBe('acknowledged');

    // The device that never connected: its deliveries are still queued; without ?device= there is no `delivery`.
    const queued = await t.http<{ items: Item[] }>('GET', '/api/v1/commands?device=sl-dash-2', { token: viewer });
    expect(queued.body.items.map((c) => c.delivery?.state)).toEqual(['queued', 'queued']);
    const all = await t.http<{ items: Item[] }>('GET', '/api/v1/commands', { token: viewer });
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    expect(all.body.items.every((c) => c.delivery === undefined)).toBe(true);
  });
});
