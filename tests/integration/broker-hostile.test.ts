import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closesWithin, connackCode, deviceConnect, fixedHeader, qos1Publish, rawConnect, sleep, subscribeMany } from '../../bench/drills/security/mqtt-kit.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const mode = modes[0]!;

// Issue 11: the broker on a hostile network. Attackers use other loopback addresses than the valid devices (127.0.0.1).
describe(`broker limits against hostile clients (${mode.name})`, () => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let port = 0;
  const refused = (action: string, reason: string): Promise<number> => t.app.metrics.value('sw_mqtt_refused_total', { action, reason });

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({
      db: opened.db,
      env: {
        SW_MQTT_PENDING_PER_ADDRESS: '4',
        SW_MQTT_PENDING_TOTAL: '12',
        SW_MQTT_PUBLISH_RATE: '5',
        SW_MQTT_PUBLISH_BURST: '20',
        SW_MQTT_CONNECT_TIMEOUT_MS: '3000',
      },
    });
    port = t.app.broker.address.port;
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const stored = async (id: string): Promise<number> =>
    Number((await t.app.db.query<{ n: string }>('SELECT count(*) AS n FROM telemetry WHERE device_id = $1', [id])).rows[0]?.n ?? 0);

  it('closes a connection whose CONNECT declares 256 MiB as soon as the header is read, before buffering it', async () => {
    const before = await refused('packet', 'PACKET_TOO_LARGE');
    const c = await rawConnect(port, { localAddress: '127.0.0.2' });
    c.socket.write(fixedHeader(0x10, 268_435_455));
    c.socket.write(Buffer.alloc(64 * 1024, 0x41)); // the start of the body: must not be waited for
    expect(await closesWithin(c, 3000)).toBe(true);
    expect(await refused('packet', 'PACKET_TOO_LARGE')).toBe(before + 1);
    expect(t.app.broker.pendingConnections).toBe(0);
  });

  it('closes a logged-in device that declares a PUBLISH larger than the packet limit, and keeps serving others', async () => {
    const creds = await t.provision('streetlight', 'sl-hostile-big');
    const c = await rawConnect(port);
    c.socket.write(deviceConnect(creds.username, creds.password));
    await waitFor(async () => connackCode(c) === 0, 5000);
    c.socket.write(fixedHeader(0x30, 10 * 1024 * 1024));
    expect(await closesWithin(c, 3000)).toBe(true);
    const other = await t.provision('streetlight', 'sl-hostile-ok');
    const dev = await connectDevice(t.mqttUrl, other);
    await dev.publishAsync('sw/v1/sl-hostile-ok/telemetry', JSON.stringify({ metrics: { level: 5 } }), { qos: 1 });
    await dev.endAsync();
    expect(await stored('sl-hostile-ok')).toBe(1);
  });

  it('bounds connections waiting to log in per address: the extra one gets CONNACK "server unavailable", a valid device still logs in', async () => {
    const idle = await Promise.all(Array.from({ length: 4 }, () => rawConnect(port, { localAddress: '127.0.0.3' })));
    await waitFor(async () => t.app.broker.pendingConnections >= 4, 3000);
    const before = await refused('connect', 'TOO_MANY_PENDING');
    const extra = await rawConnect(port, { localAddress: '127.0.0.3' });
    expect(await closesWithin(extra, 4000)).toBe(true);
    expect(connackCode(extra)).toBe(3);
    expect(await refused('connect', 'TOO_MANY_PENDING')).toBe(before + 1);
    // Another address is not crowded out.
    const creds = await t.provision('streetlight', 'sl-hostile-valid');
    const dev = await connectDevice(t.mqttUrl, creds);
    await dev.endAsync();
    // Idle connections that never send CONNECT are closed after SW_MQTT_CONNECT_TIMEOUT_MS and free their slots.
    for (const c of idle) expect(await closesWithin(c, 6000)).toBe(true);
    await waitFor(async () => t.app.broker.pendingConnections === 0, 3000);
  });

  it('refuses a CONNECT over the connect rate with a CONNACK return code instead of silence', async () => {
    const db2 = await mode.open();
    const t2 = await startTestApp({ db: db2.db, env: { SW_MQTT_CONNECT_RATE: '1', SW_MQTT_CONNECT_BURST: '1' } });
    try {
      const creds = await t2.provision('streetlight', 'sl-rate');
      const first = await connectDevice(t2.mqttUrl, creds);
      await first.endAsync();
      const err = await connectDevice(t2.mqttUrl, creds).then(
        () => null,
        (e: Error & { code?: number }) => e,
      );
      expect(err?.code).toBe(3);
      expect(await t2.app.metrics.value('sw_mqtt_refused_total', { action: 'connect', reason: 'RATE_LIMITED' })).toBe(1);
    } finally {
      await t2.close();
      await db2.drop();
    }
  });

  it("limits one device's publish rate: a flood of 500 is cut at the burst, counted, and nothing past it stored", async () => {
    const creds = await t.provision('streetlight', 'sl-flood');
    const c = await rawConnect(port, { localAddress: '127.0.0.4' });
    c.socket.write(deviceConnect(creds.username, creds.password));
    await waitFor(async () => connackCode(c) === 0, 5000);
    const before = await refused('publish', 'RATE_LIMITED');
    const burst = Buffer.concat(
      Array.from({ length: 500 }, (_, i) =>
        qos1Publish('sw/v1/sl-flood/telemetry', i + 1, JSON.stringify({ ts: Date.now() - 1000 + i, metrics: { level: i % 100 } })),
      ),
    );
    c.socket.write(burst);
    expect(await closesWithin(c, 5000)).toBe(true);
    await sleep(500);
    const n = await stored('sl-flood');
    expect(n).toBeGreaterThanOrEqual(20);
    expect(n).toBeLessThanOrEqual(22); // the burst, plus what refilled at 5/s meanwhile
    expect(await refused('publish', 'RATE_LIMITED')).toBeGreaterThan(before);
    // PUBACKs only for what was stored (some of those may be cut off by the close: the device resends them, stored once).
    expect(c.packets.filter(([type]) => type >> 4 === 4).length).toBeLessThanOrEqual(n);
  });

  it('disconnects a client that floods SUBSCRIBE with 10,000 refused filters after a few, not one by one', async () => {
    const creds = await t.provision('streetlight', 'sl-subflood');
    const c = await rawConnect(port, { localAddress: '127.0.0.5' });
    c.socket.write(deviceConnect(creds.username, creds.password));
    await waitFor(async () => connackCode(c) === 0, 5000);
    const filters = Array.from({ length: 10_000 }, (_, i) => `sw/v1/other-${i}/cmd`);
    c.socket.write(subscribeMany(1, filters));
    expect(await closesWithin(c, 5000)).toBe(true);
    expect(await refused('subscribe', 'SUBSCRIBE_FLOOD')).toBeGreaterThanOrEqual(1);
    expect(await refused('subscribe', 'FOREIGN_TOPIC')).toBeLessThanOrEqual(9);
  });

  it('dead-letters an ack nested 7,000 levels deep with a reason and keeps acknowledging others', async () => {
    const creds = await t.provision('streetlight', 'sl-deep');
    const dev = await connectDevice(t.mqttUrl, creds);
    const deep = `{"id":"c-deep","status":"ok","result":${'['.repeat(7000)}${']'.repeat(7000)}}`;
    await dev.publishAsync('sw/v1/sl-deep/ack', deep, { qos: 1 });
    await dev.publishAsync('sw/v1/sl-deep/telemetry', JSON.stringify({ metrics: { level: 7 } }), { qos: 1 });
    await dev.endAsync();
    const r = await t.http<{ items: { reasonCode: string }[] }>('GET', '/api/v1/dead-letters?device=sl-deep', { token: t.adminToken });
    expect(r.body.items.map((i) => i.reasonCode)).toEqual(['JSON_TOO_DEEP']);
    expect(await stored('sl-deep')).toBe(1);
  });

  it("ends a device's live session at once when its credentials are rotated, and when it is deleted", async () => {
    const creds = await t.provision('streetlight', 'sl-rights');
    const closedOn = (c: MqttClient): Promise<void> => new Promise((r) => c.once('close', () => r()));
    const dev = await connectDevice(t.mqttUrl, creds);
    const closed = closedOn(dev);
    const rot = await t.http<{ credentials: { username: string; password: string } }>('POST', '/api/v1/devices/sl-rights/credentials/rotate', {
      token: t.adminToken,
    });
    expect(rot.status).toBe(200);
    await closed;
    dev.end(true);
    // The old password no longer works; the new one does, until the device is deleted.
    await expect(connectDevice(t.mqttUrl, creds)).rejects.toThrow();
    const again = await connectDevice(t.mqttUrl, rot.body.credentials);
    const closedAgain = closedOn(again);
    expect((await t.http('DELETE', '/api/v1/devices/sl-rights', { token: t.adminToken })).status).toBe(204);
    await closedAgain;
    again.end(true);
    expect(t.app.broker.isConnected('sl-rights')).toBe(false);
    expect(await t.app.metrics.value('sw_mqtt_sessions_revoked_total')).toBe(2);
  });
});

// Behind a reverse proxy every WebSocket comes from the proxy's address: limits must follow X-Forwarded-For, from it only.
describe(`MQTT over WebSocket keyed by the real client address (${mode.name})`, () => {
  let t: TestApp;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db, env: { SW_MQTT_WS_PORT: '0', SW_MQTT_TRUSTED_PROXIES: '127.0.0.1', SW_MQTT_PENDING_PER_ADDRESS: '2' } });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const open = (forwardedFor: string): Promise<{ ws: WebSocket; frames: Buffer[]; closed: Promise<void> }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(t.app.urls().mqttWs!, 'mqtt', { headers: { 'x-forwarded-for': forwardedFor } });
      const frames: Buffer[] = [];
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.on('message', (d: Buffer) => frames.push(d));
      ws.once('open', () => resolve({ ws, frames, closed }));
      ws.once('error', reject);
    });

  it('refuses the third waiting login of one forwarded address, not another address behind the same proxy', async () => {
    const idle = [await open('10.9.9.9'), await open('203.0.113.5, 10.9.9.9')];
    await waitFor(async () => t.app.broker.pendingConnections >= 2, 3000);
    const extra = await open('10.9.9.9');
    await extra.closed;
    expect(extra.frames.map((f) => [...f])).toEqual([[0x20, 0x02, 0x00, 0x03]]);
    const creds = await t.provision('streetlight', 'sl-ws-real');
    const dev = await mqtt.connectAsync(t.app.urls().mqttWs!, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      wsOptions: { headers: { 'x-forwarded-for': '10.8.8.8' } },
    });
    await dev.endAsync();
    for (const c of idle) c.ws.terminate();
  });
});
