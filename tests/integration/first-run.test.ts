import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * First run: the configured MQTT port is not always the one the broker listens on (0 = any free port; a busy default
 * moves). The provisioning response is what an installer copies into a device, so it must name the bound port.
 */
describe('provisioning response on a broker that did not get its configured port', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SW_MQTT_PORT: '0' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('names the port the broker is bound to, and a device connects with exactly what the response says', async () => {
    const bound = t.app.broker.address.port;
    expect(bound).toBeGreaterThan(0);
    const res = await t.http<{ credentials: { username: string; password: string }; mqtt: { port: number; topicRoot: string } }>('POST', '/api/v1/devices', {
      token: t.adminToken,
      body: { id: 'sl-first', kind: 'streetlight', name: 'Đèn đầu tiên' },
    });
    expect(res.status).toBe(201);
    expect(res.body.mqtt.port).toBe(bound);
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${res.body.mqtt.port}`, {
      clientId: res.body.credentials.username,
      username: res.body.credentials.username,
      password: res.body.credentials.password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    await c.publishAsync(`${res.body.mqtt.topicRoot}/telemetry`, JSON.stringify({ metrics: { level: 80 } }), { qos: 1 });
    await c.endAsync();
  });
});
