import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();

interface DriftItem {
  deviceId: string;
  programId: string | null;
  assignedVia: string | null;
  status: string;
}

describe.each(modes)('lighting for the whole ward, overrides in force and sun times on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let ward = '';

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    ward = t.app.config.ward.code;
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown, token = t.adminToken) =>
    t.http<T>(method, `/api/v1${url}`, { token, body });

  it('a ward assignment is the default of every light without its own or a zone assignment', async () => {
    await api('POST', '/zones', { id: 'z-w1', name: 'Đường Trần Phú', kind: 'lighting_zone' });
    await t.provision('streetlight', 'sl-w-a');
    await t.provision('streetlight', 'sl-w-b', { zoneIds: ['z-w1'] });
    expect((await api('PUT', '/lighting/programs/ward-base', { name: 'Cả phường', steps: [{ at: '00:00', level: 40 }] })).status).toBe(201);
    expect((await api('PUT', '/lighting/programs/road', { name: 'Trục chính', steps: [{ at: '00:00', level: 80 }] })).status).toBe(201);
    const wrong = await api<{ error: { code: string } }>('PUT', '/lighting/assignments', { targetType: 'ward', targetId: '99999', programId: 'ward-base' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('UNKNOWN_WARD');
    const r = await api<{ pushed: { commands: string[]; lights: number } }>('PUT', '/lighting/assignments', {
      targetType: 'ward',
      targetId: ward,
      programId: 'ward-base',
    });
    expect(r.status).toBe(200);
    expect(r.body.pushed.commands.length).toBe(1);
    await api('PUT', '/lighting/assignments', { targetType: 'zone', targetId: 'z-w1', programId: 'road' });
    const items = (await api<{ items: DriftItem[] }>('GET', '/lighting/drift')).body.items;
    expect(items.find((i) => i.deviceId === 'sl-w-a')).toMatchObject({ programId: 'ward-base', assignedVia: 'ward' });
    expect(items.find((i) => i.deviceId === 'sl-w-b')).toMatchObject({ programId: 'road', assignedVia: 'zone:z-w1' });
    const list = (await api<{ items: { targetType: string; targetId: string }[] }>('GET', '/lighting/assignments')).body.items;
    expect(list).toContainEqual(expect.objectContaining({ targetType: 'ward', targetId: ward }));
    expect((await api('DELETE', `/lighting/assignments/ward/${ward}`)).status).toBe(204);
    const after = (await api<{ items: DriftItem[] }>('GET', '/lighting/drift?device=sl-w-a')).body.items[0];
    expect(after).toMatchObject({ programId: null, status: 'unassigned' });
  });

  it('lists the overrides in force, soonest end first, and forgets them on resume', async () => {
    const ov = await api<{ commands: { id: string }[] }>('POST', '/lighting/override', {
      id: 'ui-ov-1',
      target: { type: 'ward', code: ward },
      level: 20,
      durationS: 3600,
    });
    expect(ov.status).toBe(201);
    await api('POST', '/lighting/override', { id: 'ui-ov-2', target: { type: 'device', id: 'sl-w-b' }, level: 90, durationS: 600 });
    const viewer = await t.userToken('viewer');
    const list = await api<{ items: { deviceId: string; level: number; commandId: string; setBy: string; expiresAt: string }[] }>(
      'GET',
      '/lighting/overrides',
      undefined,
      viewer,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => [i.deviceId, i.level, i.commandId])).toEqual([
      ['sl-w-b', 90, 'ui-ov-2'],
      ['sl-w-a', 20, 'ui-ov-1'],
    ]);
    expect(list.body.items[0]?.setBy).toBe('admin');
    await api('POST', '/lighting/resume', { target: { type: 'ward', code: ward } });
    expect((await api<{ items: unknown[] }>('GET', '/lighting/overrides')).body.items).toEqual([]);
  });

  it("gives sunrise and sunset at the ward's site for the coming days", async () => {
    await api('PUT', '/lighting/site', { lat: 12.22, lon: 109.19 });
    const r = await api<{ site: { lat: number }; days: { date: string; sunrise: string; sunset: string }[] }>('GET', '/lighting/sun?days=3');
    expect(r.status).toBe(200);
    expect(r.body.days).toHaveLength(3);
    for (const d of r.body.days) {
      // Phước Long: sunrise 05:10–06:20 and sunset 17:05–18:20 local time (UTC+7) all year.
      const rise = (Date.parse(d.sunrise) / 3_600_000 + 7) % 24;
      const set = (Date.parse(d.sunset) / 3_600_000 + 7) % 24;
      expect(rise).toBeGreaterThan(5.15);
      expect(rise).toBeLessThan(6.35);
      expect(set).toBeGreaterThan(17.08);
      expect(set).toBeLessThan(18.35);
    }
    expect((await api('GET', '/lighting/sun?days=99')).status).toBe(400);
  });
});
