import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice, SimulatedFleet } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A local webhook receiver on 127.0.0.1 that answers 500 to the first request (to prove retries), then 200. */
async function webhookServer(): Promise<{ url: string; received: Hook[]; close: () => Promise<void> }> {
  const received: Hook[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const status = received.length === 0 ? 500 : 200;
      received.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alarms`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(modes)('device health with simulated devices on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let hooks: Awaited<ReturnType<typeof webhookServer>>;
  let fleet: SimulatedFleet | undefined;
  const extra: SimulatedDevice[] = [];

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    hooks = await webhookServer();
  });
  afterAll(async () => {
    await fleet?.stop('kill');
    for (const d of extra) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
    await hooks?.close();
  });

  const put = async (url: string, body: unknown): Promise<void> => {
    const r = await t.http('PUT', url, { token: t.adminToken, body });
    expect(r.status, `${url}: ${JSON.stringify(r.body)}`).toBe(200);
  };
  const stateOf = async (id: string): Promise<{ online: boolean | null; status_reason: string | null }> =>
    (
      await t.app.db.query<{ online: boolean | null; status_reason: string | null }>('SELECT online, status_reason FROM device_state WHERE device_id = $1', [
        id,
      ])
    ).rows[0] ?? { online: null, status_reason: null };
  const alarmsOf = async (id: string): Promise<{ id: number; rule: string; state: string }[]> =>
    (await t.http<{ items: { id: number; rule: string; state: string }[] }>('GET', `/api/v1/alarms?device=${id}`, { token: t.adminToken })).body.items;

  it('silent devices go offline within their threshold, alarms open and clear with signed webhooks, uptime matches the schedule', async () => {
    // Thresholds small enough for a test: offline after 2 × 1 s of silence; the offline alarms after 1 s more.
    await put('/api/v1/health/rules/wifi-ap', { maxReportIntervalS: 1, missedReportsOffline: 2 });
    await put('/api/v1/health/rules/speaker', { maxReportIntervalS: 1, missedReportsOffline: 2 });
    await put('/api/v1/alarm-rules/wifi-ap/down', { params: { afterS: 1 } });
    await put('/api/v1/alarm-rules/speaker/offline', { params: { afterS: 1 } });
    const hook = await t.http<{ secret: string }>('POST', '/api/v1/alarm-webhooks', {
      token: t.adminToken,
      body: { name: 'ops', url: hooks.url, minSeverity: 'warning' },
    });
    expect(hook.status).toBe(201);

    const ids = ['ap-h1', 'ap-h2', 'spk-h1', 'spk-h2'];
    const specs = [];
    for (const id of ids) {
      const creds = await t.provision(id.startsWith('ap') ? 'wifi-ap' : 'speaker', id);
      specs.push({ deviceId: id, secret: creds.password, kind: id.startsWith('ap') ? 'wifi-ap' : 'speaker' });
    }
    const started = Date.now();
    fleet = new SimulatedFleet({ brokerUrl: t.mqttUrl, devices: specs });
    expect((await fleet.start()).connected).toBe(4);
    fleet.startReporting(300);
    await waitFor(async () => (await Promise.all(ids.map(stateOf))).every((s) => s.online === true), 20_000);
    await sleep(1500);

    // Two devices die without a will (socket open, keep-alives on, no reports).
    const silentAt = Date.now();
    fleet.get('ap-h1')?.silentDeath();
    fleet.get('spk-h1')?.silentDeath();
    await waitFor(async () => (await stateOf('ap-h1')).online === false && (await stateOf('spk-h1')).online === false, 20_000, 50);
    const detectedAfterMs = Date.now() - silentAt;
    // Threshold 2 s + one sweep (≤ 0.5 s) + a batch; the bound is generous for a loaded machine but far below "never".
    expect(detectedAfterMs).toBeGreaterThanOrEqual(1500);
    expect(detectedAfterMs).toBeLessThan(8000);
    expect((await stateOf('ap-h1')).status_reason).toBe('missed-reports');
    expect((await stateOf('ap-h2')).online).toBe(true);
    expect((await stateOf('spk-h2')).online).toBe(true);

    // The offline alarms open (after afterS) and the webhook gets them, signed, after one failed attempt.
    const apAlarm = await waitFor(async () => (await alarmsOf('ap-h1')).find((a) => a.rule === 'down' && a.state === 'active'), 20_000);
    await waitFor(async () => (await alarmsOf('spk-h1')).find((a) => a.rule === 'offline' && a.state === 'active'), 20_000);
    expect(await alarmsOf('ap-h2')).toEqual([]);
    const h = await waitFor(
      async () => hooks.received.find((x) => x.status === 200 && (JSON.parse(x.body) as { alarm: { id: number } }).alarm.id === apAlarm.id),
      20_000,
    );
    const expected = `sha256=${createHmac('sha256', hook.body.secret)
      .update(`${String(h.headers['x-sw-timestamp'])}.${h.body}`)
      .digest('hex')}`;
    expect(h.headers['x-sw-signature']).toBe(expected);
    expect(h.headers['x-sw-event']).toBe('alarm.raised');
    expect(hooks.received[0]?.status).toBe(500);
    expect(JSON.parse(h.body)).toMatchObject({
      event: 'alarm.raised',
      ward: { code: '22330' },
      alarm: { deviceId: 'ap-h1', rule: 'down', severity: 'critical' },
    });

    // A device killed abruptly: the broker publishes its will at once.
    await fleet.get('ap-h2')?.kill();
    await waitFor(async () => (await stateOf('ap-h2')).online === false, 10_000);
    expect((await stateOf('ap-h2')).status_reason).toMatch(/last-will|disconnected/);

    // ap-h1 comes back (power restored: a fresh unit connects); its alarm clears and the webhook hears it.
    await fleet.get('ap-h1')?.kill();
    await sleep(300);
    const revived = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: 'ap-h1', secret: specs[0]?.secret ?? '', kind: 'wifi-ap' });
    extra.push(revived);
    await revived.connect();
    const backAt = Date.now();
    revived.startReporting(300);
    await waitFor(async () => (await stateOf('ap-h1')).online === true, 10_000);
    await waitFor(async () => (await alarmsOf('ap-h1')).find((a) => a.id === apAlarm.id && a.state === 'cleared'), 10_000);
    await waitFor(async () => hooks.received.find((x) => x.status === 200 && x.headers['x-sw-event'] === 'alarm.cleared'), 20_000);

    // Uptime of ap-h1 over its life: down from its last report before silence until it came back.
    await sleep(1000);
    const to = Date.now();
    const u = await t.http<{ total: { upS: number; downS: number; unknownS: number; availability: number } }>(
      'GET',
      `/api/v1/uptime?scope=device&id=ap-h1&from=${new Date(started - 5000).toISOString()}&to=${new Date(to).toISOString()}`,
      { token: t.adminToken },
    );
    expect(u.status).toBe(200);
    const scheduledDownS = (backAt - silentAt) / 1000;
    // Backdating to the last report makes "down" start up to one report interval (0.3 s) before the silence began.
    expect(u.body.total.downS).toBeGreaterThan(scheduledDownS - 1);
    expect(u.body.total.downS).toBeLessThan(scheduledDownS + 1.5);
    const knownS = (to - started) / 1000;
    expect(u.body.total.upS + u.body.total.downS).toBeGreaterThan(knownS - 5);
    expect(u.body.total.availability).toBeCloseTo(u.body.total.upS / (u.body.total.upS + u.body.total.downS), 6);
    // And the same from raw events (no rollup) agrees.
    const raw = await t.http<{ total: { downS: number } }>(
      'GET',
      `/api/v1/uptime?scope=device&id=ap-h1&from=${new Date(started - 5000).toISOString()}&to=${new Date(to).toISOString()}&source=raw`,
      { token: t.adminToken },
    );
    expect(raw.body.total.downS).toBeCloseTo(u.body.total.downS, 3);
  });

  it('a flapping device gets one alarm, its history is kept, and it does not raise an offline alarm per drop', async () => {
    await put('/api/v1/alarm-rules/*/flapping', { params: { maxChanges: 4, windowS: 120 } });
    await put('/api/v1/alarm-rules/wifi-ap/down', { params: { afterS: 30 } });
    const creds = await t.provision('wifi-ap', 'ap-flap');
    const dev = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: 'ap-flap', secret: creds.password, kind: 'wifi-ap' });
    extra.push(dev);
    for (let i = 0; i < 5; i++) {
      await dev.connect();
      await waitFor(async () => (await stateOf('ap-flap')).online === true, 10_000, 20);
      await dev.disconnect();
      await waitFor(async () => (await stateOf('ap-flap')).online === false, 10_000, 20);
    }
    const flaps = await waitFor(async () => (await alarmsOf('ap-flap')).filter((a) => a.rule === 'flapping'), 10_000);
    expect(flaps).toHaveLength(1);
    const history = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM status_events WHERE device_id = 'ap-flap'`);
    expect(history.rows[0]?.n).toBe(10);
    const summary = await t.http<{ flapping: string[] }>('GET', '/api/v1/health/summary', { token: t.adminToken });
    expect(summary.body.flapping).toContain('ap-flap');
    expect((await alarmsOf('ap-flap')).filter((a) => a.rule !== 'flapping')).toEqual([]);
  });

  it('exports operator metrics: devices online by kind, ingest lag, command outcomes and camera polls', async () => {
    t.app.ctx.events.emit('command.outcome', { commandId: 'c1', deviceId: 'ap-h1', status: 'acknowledged', at: new Date() });
    t.app.ctx.events.emit('command.outcome', { commandId: 'c2', deviceId: 'ap-h1', status: 'expired', at: new Date() });
    t.app.ctx.events.emit('camera.probe', { cameraId: 'cam-1', kind: 'snapshot', ok: false, durationMs: 1200, at: new Date() });
    await waitFor(async () => {
      const r = await t.app.api.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.adminToken}` } });
      return /sw_devices_online\{kind="wifi-ap"\} \d/.test(r.body) ? r.body : null;
    }, 20_000).then((body) => {
      expect(body).toMatch(/sw_command_outcomes_total\{status="expired"\} 1/);
      expect(body).toMatch(/sw_command_outcomes_total\{status="acknowledged"\} 1/);
      expect(body).toMatch(/sw_camera_probes_total\{kind="snapshot",result="error"\} 1/);
      expect(body).toMatch(/sw_ingest_lag_seconds \d/);
      expect(body).toMatch(/sw_ingest_batches_total\{target="db"\} \d+/);
      expect(body).toMatch(/sw_alarms_open\{severity="critical"\} \d/);
    });
  });

  it('refuses bad input with coded 4xx and keeps roles', async () => {
    const viewer = await t.userToken('viewer');
    expect((await t.http('PUT', '/api/v1/health/rules/wifi-ap', { token: viewer, body: { maxReportIntervalS: 5 } })).status).toBe(403);
    expect((await t.http('PUT', '/api/v1/health/rules/toaster', { token: t.adminToken, body: { maxReportIntervalS: 5 } })).status).toBe(404);
    expect((await t.http('PUT', '/api/v1/health/rules/wifi-ap', { token: t.adminToken, body: { maxReportIntervalS: -1 } })).status).toBe(400);
    const badParam = await t.http<{ error: { code: string } }>('PUT', '/api/v1/alarm-rules/wifi-ap/down', {
      token: t.adminToken,
      body: { params: { bogus: 1 } },
    });
    expect(badParam.body.error.code).toBe('UNKNOWN_PARAM');
    expect(
      (await t.http<{ error: { code: string } }>('POST', '/api/v1/alarm-webhooks', { token: t.adminToken, body: { name: 'x', url: 'ftp://example' } })).body
        .error.code,
    ).toBe('BAD_URL');
    expect((await t.http('POST', '/api/v1/alarms/999999/ack', { token: t.adminToken, body: {} })).status).toBe(404);
    expect((await t.http('POST', '/api/v1/alarms/1/ack', { token: viewer, body: {} })).status).toBe(403);
    const win = await t.http<{ error: { code: string } }>('POST', '/api/v1/maintenance-windows', {
      token: t.adminToken,
      body: { title: 'x', scope: { type: 'device', id: 'no-such' }, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    });
    expect(win.body.error.code).toBe('BAD_WINDOW');
    expect((await t.http('GET', '/api/v1/uptime?scope=zone&id=nowhere', { token: viewer })).status).toBe(404);
    const audit = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'alarm-rule.update' AND result = 'ok'`);
    expect(audit.rows[0]?.n).toBeGreaterThanOrEqual(3);
  });
});
