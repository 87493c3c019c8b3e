import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbModes } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();

const publish = (c: MqttClient, topic: string, payload: string | Buffer, retain = false): Promise<void> =>
  new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (min: number): number => T0 + min * 60_000;

describe.each(modes)('telemetry spine on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('stores what a real MQTT device sends and reads it back with units, buckets and counter deltas', async () => {
    const creds = await t.provision('streetlight', 'sl-0001', { lat: 12.22, lon: 109.19 });
    const dev = await connectDevice(t.mqttUrl, creds);
    // Six readings over two 15-minute buckets; the energy counter resets (node replaced) between minute 20 and 25.
    const readings = [
      { min: 0, power: 100, energy: 10.0 },
      { min: 5, power: 110, energy: 10.5 },
      { min: 10, power: 120, energy: 11.0 },
      { min: 15, power: 60, energy: 11.2 },
      { min: 20, power: 70, energy: 11.4 },
      { min: 25, power: 80, energy: 0.3 },
    ];
    for (const r of readings) {
      await publish(
        dev,
        'sw/v1/sl-0001/telemetry',
        JSON.stringify({ ts: at(r.min), metrics: { level: 80, power: r.power, energy: r.energy, voltage: 221.5 } }),
      );
    }
    dev.end();
    const q = `from=${new Date(at(0)).toISOString()}&to=${new Date(at(30)).toISOString()}&bucket=15m`;
    const power = await t.http<{ unit: string; meaning: string; points: { bucket: string; value: number; count: number }[] }>(
      'GET',
      `/api/v1/devices/sl-0001/series?metric=power&${q}`,
      { token: t.adminToken },
    );
    expect(power.status).toBe(200);
    expect(power.body.unit).toBe('W');
    expect(power.body.meaning).toBe('gauge');
    expect(power.body.points).toEqual([
      { bucket: '2026-11-20T10:00:00.000Z', value: 110, count: 3 },
      { bucket: '2026-11-20T10:15:00.000Z', value: 70, count: 3 },
    ]);
    const max = await t.http<{ points: { value: number }[] }>('GET', `/api/v1/devices/sl-0001/series?metric=power&${q}&agg=max`, { token: t.adminToken });
    expect(max.body.points.map((p) => p.value)).toEqual([120, 80]);
    const energy = await t.http<{ unit: string; agg: string; points: { value: number }[] }>('GET', `/api/v1/devices/sl-0001/series?metric=energy&${q}`, {
      token: t.adminToken,
    });
    expect(energy.body.unit).toBe('kWh');
    expect(energy.body.agg).toBe('delta');
    // Bucket 1: 10.0→10.5→11.0 = 1.0. Bucket 2: 11.0→11.2→11.4 (+0.4), then reset to 0.3 counts as +0.3.
    expect(energy.body.points.map((p) => Number(p.value.toFixed(6)))).toEqual([1, 0.7]);

    const state = await t.http<{ state: Record<string, unknown>; online: boolean }>('GET', '/api/v1/devices/sl-0001/state', { token: t.adminToken });
    expect(state.body.state).toMatchObject({ power: 80, energy: 0.3, level: 80 });
  });

  it('refuses wrong credentials and a client id that is not the device id', async () => {
    const creds = await t.provision('wifi-ap', 'ap-0001');
    await expect(connectDevice(t.mqttUrl, { ...creds, password: 'wrong' })).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(connectDevice(t.mqttUrl, creds, { clientId: 'someone-else' })).rejects.toThrow(/Not authorized|Identifier/i);
    await expect(connectDevice(t.mqttUrl, { username: 'no-such-device', password: 'x' })).rejects.toThrow(/Bad username or password/i);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'connect', reason: 'BAD_CREDENTIALS' })).toBeGreaterThanOrEqual(2);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'connect', reason: 'CLIENT_ID_MISMATCH' })).toBe(1);
  });

  it("does not let a device publish as another or read another device's commands", async () => {
    const a = await t.provision('streetlight', 'sl-acl-a');
    await t.provision('streetlight', 'sl-acl-b');
    const devA = await connectDevice(t.mqttUrl, a);
    // MQTT 3.1.1 §3.9.3: a refused filter comes back as return code 0x80 (mqtt.js rejects the subscribe).
    const own = await devA.subscribeAsync('sw/v1/sl-acl-a/cmd', { qos: 1 });
    expect(own.map((g) => g.qos)).toEqual([1]);
    for (const filter of ['sw/v1/sl-acl-b/cmd', 'sw/v1/+/cmd', '$SYS/#', 'sw/v1/sl-acl-b/telemetry']) {
      await expect(devA.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    const closed = new Promise<void>((r) => devA.once('close', () => r()));
    devA.publish('sw/v1/sl-acl-b/telemetry', JSON.stringify({ metrics: { level: 1 } }), { qos: 1 });
    await closed;
    devA.end(true);
    const st = await t.http<{ state: Record<string, unknown> }>('GET', '/api/v1/devices/sl-acl-b/state', { token: t.adminToken });
    expect(st.body.state).toEqual({});
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'publish', reason: 'FOREIGN_TOPIC' })).toBe(1);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'subscribe', reason: 'FOREIGN_TOPIC' })).toBe(1);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'subscribe', reason: 'WILDCARD' })).toBe(1);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'subscribe', reason: 'SYS_TOPIC' })).toBe(1);
    expect(await t.app.metrics.value('sw_mqtt_refused_total', { action: 'subscribe', reason: 'UNKNOWN_TOPIC' })).toBe(1);
    const dl = await waitFor(async () => {
      const r = await t.http<{ items: { reasonCode: string; deviceId: string }[] }>('GET', '/api/v1/dead-letters?device=sl-acl-a', { token: t.adminToken });
      return r.body.items.length ? r.body.items : null;
    });
    expect(dl[0]?.reasonCode).toBe('FOREIGN_TOPIC');
  });

  it('dead-letters malformed, mistyped, unknown-field and oversized messages with a reason, and stays up', async () => {
    const creds = await t.provision('speaker', 'spk-bad');
    const dev = await connectDevice(t.mqttUrl, creds);
    const topic = 'sw/v1/spk-bad/telemetry';
    await publish(dev, topic, '{not json');
    await publish(dev, topic, JSON.stringify({ metrics: { volume: 'loud' } }));
    await publish(dev, topic, JSON.stringify({ metrics: { volume: 50 }, extra: 1 }));
    await publish(dev, topic, JSON.stringify({ metrics: { bass: 3 } }));
    await publish(dev, topic, JSON.stringify({ metrics: { volume: 150 } }));
    await publish(dev, topic, Buffer.alloc(20_000, 0x61));
    // Still connected and still storing valid data.
    await publish(dev, topic, JSON.stringify({ metrics: { volume: 42, state: 'idle' } }));
    dev.end();
    const r = await t.http<{ items: { reasonCode: string; reason: string; payloadSize: number; payload: string }[] }>(
      'GET',
      '/api/v1/dead-letters?device=spk-bad',
      { token: t.adminToken },
    );
    const codes = r.body.items.map((x) => x.reasonCode).sort();
    expect(codes).toEqual(['MALFORMED_JSON', 'OUT_OF_RANGE', 'PAYLOAD_TOO_LARGE', 'UNKNOWN_FIELD', 'UNKNOWN_FIELD', 'WRONG_TYPE']);
    const big = r.body.items.find((x) => x.reasonCode === 'PAYLOAD_TOO_LARGE');
    expect(big?.payloadSize).toBe(20_000);
    expect(big?.payload.length).toBe(4096);
    expect(r.body.items.every((x) => x.reason.length > 5)).toBe(true);
    expect(await t.app.metrics.value('sw_ingest_rejected_total', { reason: 'UNKNOWN_FIELD' })).toBeGreaterThanOrEqual(2);
    const st = await t.http<{ state: Record<string, unknown> }>('GET', '/api/v1/devices/spk-bad/state', { token: t.adminToken });
    expect(st.body.state).toEqual({ volume: 42, state: 'idle' });
    const health = await t.http('GET', '/health');
    expect(health.status).toBe(200);
  });

  it('dead-letters metric and event names that are Object.prototype members instead of crashing the service', async () => {
    const creds = await t.provision('streetlight', 'sl-proto');
    const dev = await connectDevice(t.mqttUrl, creds);
    // These used to throw inside the broker's publish hook: an uncaught exception that ended the service process.
    await publish(dev, 'sw/v1/sl-proto/telemetry', '{"metrics":{"constructor":1}}');
    await publish(dev, 'sw/v1/sl-proto/telemetry', '{"metrics":{"__proto__":{"x":1}}}');
    await publish(dev, 'sw/v1/sl-proto/event', '{"event":"toString","active":true}');
    await publish(dev, 'sw/v1/sl-proto/telemetry', JSON.stringify({ metrics: { level: 40 } }));
    dev.end();
    const r = await t.http<{ items: { reasonCode: string }[] }>('GET', '/api/v1/dead-letters?device=sl-proto', { token: t.adminToken });
    expect(r.body.items.map((x) => x.reasonCode).sort()).toEqual(['UNKNOWN_EVENT', 'UNKNOWN_FIELD', 'UNKNOWN_FIELD']);
    const st = await t.http<{ state: Record<string, unknown> }>('GET', '/api/v1/devices/sl-proto/state', { token: t.adminToken });
    expect(st.body.state).toEqual({ level: 40 });
  });

  it('absorbs redelivered duplicates: the same message twice leaves one row', async () => {
    const creds = await t.provision('wifi-ap', 'ap-dup');
    const dev = await connectDevice(t.mqttUrl, creds);
    const msg = JSON.stringify({ ts: at(0), metrics: { clients24: 7, rxBytes: 1000 } });
    await publish(dev, 'sw/v1/ap-dup/telemetry', msg);
    await publish(dev, 'sw/v1/ap-dup/telemetry', msg);
    dev.end();
    const r = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'ap-dup'`);
    expect(r.rows[0]?.n).toBe(1);
    expect(await t.app.metrics.value('sw_ingest_duplicates_total')).toBeGreaterThanOrEqual(1);
  });

  it('marks a device offline from its last-will when its connection dies', async () => {
    const creds = await t.provision('speaker', 'spk-will');
    const dev = await connectDevice(t.mqttUrl, creds, {
      will: { topic: 'sw/v1/spk-will/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    await publish(dev, 'sw/v1/spk-will/status', JSON.stringify({ online: true, firmware: '1.2.3' }), true);
    await waitFor(async () => (await t.http<{ online: boolean }>('GET', '/api/v1/devices/spk-will/state', { token: t.adminToken })).body.online === true);
    // Abrupt loss: the socket dies without DISCONNECT, so the broker publishes the will.
    (dev as unknown as { stream: { destroy: () => void } }).stream.destroy();
    const st = await waitFor(async () => {
      const r = await t.http<{ online: boolean; statusReason: string }>('GET', '/api/v1/devices/spk-will/state', { token: t.adminToken });
      return r.body.online === false ? r.body : null;
    });
    expect(['last-will', 'disconnected']).toContain(st.statusReason);
    const hist = await t.http<{ items: { online: boolean }[] }>('GET', '/api/v1/devices/spk-will/status-history', { token: t.adminToken });
    expect(hist.body.items.map((h) => h.online)).toEqual([false, true]);
    dev.end(true);
  });
});
