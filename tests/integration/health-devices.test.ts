import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { simDevice } from './control-helpers.ts';

const { modes } = await dbModes();

interface Item {
  deviceId: string;
  health: string;
  severity: string | null;
  rules: string[];
  maintenance: string[];
}

describe.each(modes)('device health for the map (fault, maintenance) on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const sims: SimulatedDevice[] = [];

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
  });
  afterAll(async () => {
    for (const s of sims) await s.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });
  const items = async (): Promise<Item[]> => (await api<{ items: Item[] }>('GET', '/health/devices')).body.items;

  it('a lamp with a failed bulb is a fault while it is online; a maintenance window wins over the fault', async () => {
    await api('POST', '/zones', { id: 'tdp-h', name: 'Tổ dân phố H', kind: 'residential_group' });
    const lamp = await simDevice(t, 'streetlight', 'sl-hd-1', { groupId: 'tdp-h' });
    const other = await simDevice(t, 'streetlight', 'sl-hd-2');
    sims.push(lamp, other);
    await lamp.connect();
    await other.connect();
    expect(await items()).toEqual([]);

    await lamp.publishEvent('lampFailure', true);
    const faulty = await waitFor(async () => (await items()).find((i) => i.deviceId === 'sl-hd-1') ?? null, 15_000);
    expect(faulty).toMatchObject({ health: 'fault', severity: 'critical', rules: ['lampFailure'], maintenance: [] });
    // Still online: connectivity alone would have shown it green.
    const state = await api<{ online: boolean }>('GET', '/devices/sl-hd-1/state');
    expect(state.body.online).toBe(true);

    const now = Date.now();
    const w = await api('POST', '/maintenance-windows', {
      title: 'Thay bóng',
      scope: { type: 'zone', id: 'tdp-h' },
      from: new Date(now - 60_000).toISOString(),
      to: new Date(now + 3_600_000).toISOString(),
    });
    expect(w.status).toBe(201);
    expect((await items()).find((i) => i.deviceId === 'sl-hd-1')).toMatchObject({ health: 'maintenance', rules: ['lampFailure'], maintenance: ['Thay bóng'] });
    expect((await items()).some((i) => i.deviceId === 'sl-hd-2')).toBe(false);

    await lamp.publishEvent('lampFailure', false);
    await api('DELETE', `/maintenance-windows/${(w.body as { id: string }).id}`);
    await waitFor(async () => ((await items()).length === 0 ? true : null), 15_000);
  });
});
