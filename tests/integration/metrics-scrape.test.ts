import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

// The Prometheus scrape credential (SW_METRICS_TOKEN): /metrics only, never any other route.
const SCRAPE_TOKEN = 'c0ffee41e2b94d7f8a3365d1b0c9e7a45f2d8b61';

describe('/metrics with the scrape credential', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A short sweep so the devices-online gauge is set within the test.
    t = await startTestApp({ env: { SW_METRICS_TOKEN: SCRAPE_TOKEN, SW_HEALTH_SWEEP_MAX_MS: '1000' } });
    const creds = await t.provision('streetlight', 'sl-scrape-1');
    const device = await connectDevice(t.mqttUrl, creds);
    await device.publishAsync('sw/v1/sl-scrape-1/telemetry', JSON.stringify({ metrics: { level: 80, power: 96.5, energy: 12.4 } }), { qos: 1 });
    await waitFor(async () => (await t.app.metrics.total('sw_ingest_messages_total')) > 0);
    await waitFor(async () => (await t.app.metrics.total('sw_devices_online')) > 0, 60_000);
    await device.endAsync();
    // Generous: the embedded database starts slowly on a loaded machine.
  }, 180_000);
  afterAll(async () => t?.close());

  const scrape = (token?: string) => t.app.api.inject({ method: 'GET', url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers Prometheus with the scrape token, with the series the Grafana dashboard reads', async () => {
    const r = await scrape(SCRAPE_TOKEN);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of [
      'sw_ingest_messages_total',
      'sw_mqtt_connections',
      'sw_ingest_spool_batches',
      'sw_devices_online',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(r.body, name).toMatch(new RegExp(`^${name}`, 'm'));
    }
  });

  it('still accepts a viewer token and refuses no token or a wrong one', async () => {
    expect((await scrape(await t.userToken('viewer'))).statusCode).toBe(200);
    expect((await scrape()).statusCode).toBe(401);
    expect((await scrape(`${SCRAPE_TOKEN}x`)).statusCode).toBe(401);
  });

  it('is worth nothing on any other route', async () => {
    for (const url of ['/api/v1/status', '/api/v1/devices', '/api/v1/auth/me']) {
      const r = await t.http('GET', url, { token: SCRAPE_TOKEN });
      expect(r.status, url).toBe(401);
    }
  });
});
