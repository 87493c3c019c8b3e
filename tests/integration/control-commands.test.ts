import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice, SimulatedFleet } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { follow, rowCount, simDevice, until, type CommandBody } from './control-helpers.ts';

const { modes } = await dbModes();

describe.each(modes)('command lifecycle on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const devices: SimulatedDevice[] = [];
  let fleet: SimulatedFleet | undefined;

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
  });
  afterAll(async () => {
    await fleet?.stop('kill');
    for (const d of devices) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const send = (body: Record<string, unknown>, token = t.adminToken) =>
    t.http<CommandBody & { idempotentReplay: boolean; skipped: number; error?: { code: string } }>('POST', '/api/v1/commands', { token, body });

  it('a zone dim reaches every light in the zone, and every ack is recorded', async () => {
    expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-dim', name: 'Đường Trần Phú', kind: 'lighting_zone' } })).status).toBe(
      201,
    );
    const specs = [];
    for (let i = 0; i < 12; i++) {
      const id = `sl-z-${i}`;
      const c = await t.provision('streetlight', id, { zoneIds: ['z-dim'] });
      specs.push({ deviceId: id, secret: c.password, kind: 'streetlight' });
    }
    const outside = await t.provision('streetlight', 'sl-outside');
    specs.push({ deviceId: 'sl-outside', secret: outside.password, kind: 'streetlight' });
    fleet = new SimulatedFleet({ brokerUrl: t.mqttUrl, devices: specs });
    expect((await fleet.start()).connected).toBe(13);
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id LIKE 'sl-%'`)) === 13);

    const r = await t.http<{ commands: CommandBody[]; lights: number }>('POST', '/api/v1/lighting/override', {
      token: t.adminToken,
      body: { target: { type: 'zone', id: 'z-dim' }, level: 35, rampS: 0, durationS: 1800 },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.lights).toBe(12);
    const id = r.body.commands[0]?.id ?? '';
    const done = await until(t, id, ['acknowledged', 'partial', 'failed']);
    expect(done.command.state).toBe('acknowledged');
    expect(done.command.counts.acknowledged).toBe(12);
    expect(done.deliveries.map((d) => d.deviceId).sort()).toEqual(
      specs
        .slice(0, 12)
        .map((s) => s.deviceId)
        .sort(),
    );
    expect(done.deliveries.every((d) => d.ackStatus === 'ok' && d.attempts === 1 && d.result?.targetLevel === 35)).toBe(true);
    // What crossed the wire: each light in the zone applied the override, the one outside did not.
    for (const s of specs.slice(0, 12)) expect(fleet.get(s.deviceId)?.metrics()).toMatchObject({ targetLevel: 35, reason: 'override' });
    expect(fleet.get('sl-outside')?.recentCommands.length).toBe(0);
    const audit = await t.app.db.query<{ action: string; target_id: string }>(
      `SELECT action, target_id FROM audit_log WHERE target_id = $1 AND action = 'command.send'`,
      [id],
    );
    expect(audit.rows.length).toBe(1);
  });

  it('an offline light gets its command when it reconnects', async () => {
    const d = await simDevice(t, 'streetlight', 'sl-offline-1');
    devices.push(d);
    const r = await send({ name: 'setLevel', target: { type: 'device', id: 'sl-offline-1' }, params: { level: 60, reason: 'program' }, ttlS: 120 });
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('queued');
    await new Promise((res) => setTimeout(res, 1500));
    expect((await follow(t, r.body.id)).command.state).toBe('queued');
    await d.connect();
    const done = await until(t, r.body.id, ['acknowledged', 'failed', 'expired']);
    expect(done.command.state).toBe('acknowledged');
    expect(done.deliveries[0]).toMatchObject({ attempts: 1, ackStatus: 'ok' });
    expect(d.metrics().targetLevel).toBe(60);
  });

  it('a command for a light that stays offline expires at its expiry', async () => {
    await t.provision('streetlight', 'sl-offline-2');
    const r = await send({ name: 'setLevel', target: { type: 'device', id: 'sl-offline-2' }, params: { level: 10, reason: 'program' }, ttlS: 2 });
    expect(r.status).toBe(201);
    const done = await until(t, r.body.id, ['expired', 'acknowledged', 'failed']);
    expect(done.command.state).toBe('expired');
    expect(done.deliveries[0]?.error).toMatch(/expired before the device could be reached/);
  });

  it('retries after an ack timeout and records the attempt that was acknowledged', async () => {
    const d = await simDevice(t, 'wifi-ap', 'ap-retry');
    devices.push(d);
    await d.connect();
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id = 'ap-retry'`)) === 1);
    d.setCommandBehaviour('ignore');
    // 'command' is emitted before the device handles it: switch back only after this first one was ignored.
    d.once('command', () => setTimeout(() => d.setCommandBehaviour('apply'), 100));
    // setSsid has a 20 s ack timeout (devices/wifi-ap): the first attempt is ignored, the second one applied.
    const r = await send({
      name: 'setSsid',
      target: { type: 'device', id: 'ap-retry' },
      params: { ssid: 'WiFi-Phuong-Mien-Phi', enabled: false },
      maxAttempts: 2,
    });
    expect(r.status).toBe(201);
    const done = await until(t, r.body.id, ['acknowledged', 'failed', 'expired'], 45_000);
    expect(done.command.state).toBe('acknowledged');
    expect(done.deliveries[0]).toMatchObject({ attempts: 2, ackStatus: 'ok', result: { ssid: 'WiFi-Phuong-Mien-Phi', enabled: false } });
    expect(d.commandsReceived).toBe(2);
    expect(d.metrics().ssidEnabled).toBe(false);
  }, 60_000);

  it('reboots an AP through the same lifecycle', async () => {
    const d = await simDevice(t, 'wifi-ap', 'ap-reboot');
    devices.push(d);
    await d.connect();
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id = 'ap-reboot'`)) === 1);
    const r = await send({ name: 'reboot', target: { type: 'device', id: 'ap-reboot' } });
    const done = await until(t, r.body.id, ['acknowledged', 'failed', 'expired']);
    expect(done.deliveries[0]).toMatchObject({ state: 'acknowledged', result: { rebooted: true } });
  });

  it('treats a repeated id as the same command, and a different request under it as a conflict', async () => {
    await t.provision('streetlight', 'sl-idem');
    const body = { id: 'op-2026-11-20-a', name: 'setLevel', target: { type: 'device', id: 'sl-idem' }, params: { level: 20, reason: 'program' } };
    const a = await send(body);
    const b = await send(body);
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ id: 'op-2026-11-20-a', idempotentReplay: true });
    const c = await send({ ...body, params: { level: 21, reason: 'program' } });
    expect(c.status).toBe(409);
    expect(c.body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await rowCount(t, `SELECT 1 FROM command_deliveries WHERE command_id = 'op-2026-11-20-a'`)).toBe(1);
  });

  it('cancels a queued command: the device gets nothing when it reconnects', async () => {
    const d = await simDevice(t, 'streetlight', 'sl-cancel');
    devices.push(d);
    const r = await send({ name: 'setLevel', target: { type: 'device', id: 'sl-cancel' }, params: { level: 90, reason: 'program' }, ttlS: 600 });
    const c = await t.http<{ cancelled: number; command: CommandBody }>('POST', `/api/v1/commands/${r.body.id}/cancel`, { token: t.adminToken });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ cancelled: 1, command: { state: 'cancelled' } });
    await d.connect();
    await new Promise((res) => setTimeout(res, 2500));
    expect(d.commandsReceived).toBe(0);
    expect((await t.http('POST', `/api/v1/commands/${r.body.id}/cancel`, { token: t.adminToken })).status).toBe(409);
  });

  it('survives a service restart: a queued command is delivered and a sent one is retried by the next process', async () => {
    // Its own database, so no other service process delivers while this one is down.
    const fresh = await mode.open();
    // One service key for both processes, as a deployment has: device secrets are stored keyed with it.
    // A random-looking key: the service refuses repeating placeholder keys such as 'ab' × 32 (services/config/placeholders.ts).
    const env = { SW_SECRET_KEY: '5f0c2a9e7d41b86c3e9a0f2d7b5c4e1a8d6f3b0c9e2a7d4f1b8c5e0a3d6f9b2c' };
    const open = (): Promise<TestApp> => startTestApp(fresh.url ? { databaseUrl: fresh.url, env } : { db: fresh.db, env });
    const sims: SimulatedDevice[] = [];
    try {
      const a = await open();
      const credsQ = await a.provision('streetlight', 'sl-rs-queued');
      const credsS = await a.provision('streetlight', 'sl-rs-sent');
      const sent1 = new SimulatedDevice({ brokerUrl: a.mqttUrl, deviceId: 'sl-rs-sent', secret: credsS.password, kind: 'streetlight' });
      sims.push(sent1);
      sent1.on('clientError', () => undefined);
      sent1.setCommandBehaviour('ignore');
      await sent1.connect();
      await waitFor(async () => (await rowCount(a, `SELECT 1 FROM device_state WHERE online AND device_id = 'sl-rs-sent'`)) === 1);
      const body = (id: string, level: number) => ({
        token: a.adminToken,
        body: { name: 'setLevel', target: { type: 'device', id }, params: { level, reason: 'program' }, ttlS: 300, maxAttempts: 3 },
      });
      const q = await a.http<CommandBody>('POST', '/api/v1/commands', body('sl-rs-queued', 45));
      const st = await a.http<CommandBody>('POST', '/api/v1/commands', body('sl-rs-sent', 55));
      expect([q.body.state, st.body.state]).toEqual(['queued', 'sent']);
      await waitFor(async () => sent1.commandsReceived === 1);
      await a.close();
      await sent1.kill();

      const b = await open();
      const queued = new SimulatedDevice({ brokerUrl: b.mqttUrl, deviceId: 'sl-rs-queued', secret: credsQ.password, kind: 'streetlight' });
      const sent2 = new SimulatedDevice({ brokerUrl: b.mqttUrl, deviceId: 'sl-rs-sent', secret: credsS.password, kind: 'streetlight' });
      sims.push(queued, sent2);
      for (const d of [queued, sent2]) {
        d.on('clientError', () => undefined);
        await d.connect();
      }
      const doneQ = await until(b, q.body.id, ['acknowledged', 'failed', 'expired']);
      expect(doneQ.deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 1 });
      // The first attempt's ack deadline (10 s) passed unanswered; the new process re-arms it from the database.
      const doneS = await until(b, st.body.id, ['acknowledged', 'failed', 'expired'], 30_000);
      expect(doneS.deliveries[0]).toMatchObject({ state: 'acknowledged', attempts: 2 });
      expect(sent2.metrics().targetLevel).toBe(55);
      await b.close();
    } finally {
      for (const d of sims) await d.kill().catch(() => undefined);
      await fresh.drop();
    }
  }, 60_000);

  it('refuses bad input with a clear 4xx and stores nothing', async () => {
    await t.provision('streetlight', 'sl-bad');
    const before = await rowCount(t, 'SELECT 1 FROM commands');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'setLevel', target: { type: 'device', id: 'sl-bad' }, params: { level: 150, reason: 'program' } }, 400, 'INVALID_PARAMS'],
      [{ name: 'setLevel', target: { type: 'zone', id: 'no-such-zone' }, params: { level: 50, reason: 'program' } }, 400, 'UNKNOWN_ZONE'],
      [{ name: 'setLevel', target: { type: 'device', id: 'sl-bad' }, params: { level: 50 } }, 400, 'EXPIRY_REQUIRED'],
      [
        {
          name: 'setLevel',
          target: { type: 'device', id: 'sl-bad' },
          params: { level: 50, reason: 'override', expiresAt: new Date(Date.now() + 48 * 3600_000).toISOString() },
        },
        400,
        'EXPIRY_TOO_FAR',
      ],
      [{ name: 'reboot', target: { type: 'device', id: 'sl-bad' } }, 400, 'COMMAND_NOT_SUPPORTED'],
      [{ name: 'setLevel', target: { type: 'device', id: 'sl-nobody' }, params: { level: 5, reason: 'program' } }, 400, 'UNKNOWN_DEVICE'],
      [{ name: 'setLevel', target: { type: 'kind', kind: 'toaster' }, params: {} }, 400, 'UNKNOWN_KIND'],
    ];
    for (const [body, status, code] of cases) {
      const r = await send(body);
      expect(r.status, code).toBe(status);
      expect(r.body.error?.code, JSON.stringify(r.body)).toBe(code);
    }
    const lvl = await t.http<{ error: { code: string } }>('POST', '/api/v1/lighting/override', {
      token: t.adminToken,
      body: { target: { type: 'device', id: 'sl-bad' }, level: 150, durationS: 60 },
    });
    expect(lvl.status).toBe(400);
    expect(lvl.body.error.code).toBe('VALIDATION');
    const noZone = await t.http<{ error: { code: string } }>('POST', '/api/v1/lighting/override', {
      token: t.adminToken,
      body: { target: { type: 'zone', id: 'nowhere' }, level: 50, durationS: 60 },
    });
    expect(noZone.body.error.code).toBe('UNKNOWN_ZONE');
    const noEnd = await t.http<{ error: { code: string } }>('POST', '/api/v1/lighting/override', {
      token: t.adminToken,
      body: { target: { type: 'device', id: 'sl-bad' }, level: 50 },
    });
    expect(noEnd.body.error.code).toBe('EXPIRY_REQUIRED');
    expect(await rowCount(t, 'SELECT 1 FROM commands')).toBe(before);
    expect(await rowCount(t, `SELECT 1 FROM lighting_overrides WHERE device_id = 'sl-bad'`)).toBe(0);
    const viewer = await t.userToken('viewer');
    expect((await send({ name: 'reboot', target: { type: 'device', id: 'ap-reboot' } }, viewer)).status).toBe(403);
  });
});
