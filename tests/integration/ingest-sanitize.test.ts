import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { dbModes } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();

/**
 * Issue 10 point 3 over the real broker and database: an event whose data holds U+0000 and a lone surrogate still
 * raises its alarm and is stored (cleaned, counted), and a counter at 1e308 is dead-lettered with its reason while the
 * valid reading next to it is kept.
 */
describe.each(modes)('ingest cleans text and bounds numbers before any consumer on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let dev: MqttClient;

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    const creds = await t.provision('streetlight', 'sl-nul');
    dev = await connectDevice(t.mqttUrl, creds);
  }, 60_000);

  afterAll(async () => {
    dev?.end(true);
    await t?.close();
    await drop?.();
  });

  const publish = (channel: string, rawJson: string): Promise<void> =>
    new Promise((resolve, reject) =>
      dev.publish(`sw/v1/sl-nul/${channel}`, Buffer.from(rawJson, 'utf8'), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );

  it('an event with U+0000 and a lone surrogate in its data raises its alarm and is stored cleaned', async () => {
    await publish('event', '{"event":"lampFailure","active":true,"data":{"note":"lamp\\u0000 dead","code":"E\\ud800"}}');
    const alarm = await waitFor(async () => {
      const r = await t.http<{ items: { rule: string; state: string; details: Record<string, unknown> }[] }>('GET', '/api/v1/alarms?device=sl-nul', {
        token: t.adminToken,
      });
      return r.body.items.find((a) => a.rule === 'lampFailure' && a.state === 'active');
    }, 15_000);
    expect(alarm).toBeTruthy();
    const ev = await t.app.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM device_events WHERE device_id = 'sl-nul' AND event = 'lampFailure'`);
    expect(ev.rows.map((r) => r.data)).toEqual([{ note: 'lamp dead', code: 'E\uFFFD' }]);
    expect(await t.app.metrics.total('sw_ingest_sanitized_characters_total')).toBe(2);
    const dl = await t.app.db.query(`SELECT 1 FROM dead_letters WHERE device_id = 'sl-nul'`);
    expect(dl.rows).toEqual([]);
  });

  it('a counter at 1e308 is dead-lettered with its reason; the valid reading after it is kept', async () => {
    await publish('telemetry', '{"ts":' + (Date.now() - 2000) + ',"metrics":{"energy":1e308}}');
    await publish('telemetry', '{"ts":' + (Date.now() - 1000) + ',"metrics":{"energy":12.5}}');
    const dl = await waitFor(async () => {
      const r = await t.app.db.query<{ reason_code: string; reason: string }>(
        `SELECT reason_code, reason FROM dead_letters WHERE device_id = 'sl-nul' AND topic LIKE '%/telemetry'`,
      );
      return r.rows[0];
    });
    expect(dl.reason_code).toBe('OUT_OF_RANGE');
    expect(dl.reason).toMatch(/'energy' = 1e\+308 is outside 0\.\.1000000 kWh/);
    const rows = await t.app.db.query<{ e: number }>(`SELECT (data->>'energy')::float8 AS e FROM telemetry WHERE device_id = 'sl-nul'`);
    expect(rows.rows.map((r) => r.e)).toEqual([12.5]);
    expect(await t.app.metrics.total('sw_ingest_rejected_total')).toBeGreaterThanOrEqual(1);
  });
});
