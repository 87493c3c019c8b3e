import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { rowCount, simDevice, until, type CommandBody } from './control-helpers.ts';

const { modes } = await dbModes();

interface DriftItem {
  deviceId: string;
  expectedLevel: number | null;
  reportedLevel: number | null;
  source: string | null;
  status: string;
  programId: string | null;
  assignedVia: string | null;
}

describe.each(modes)('streetlight control on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const devices: SimulatedDevice[] = [];

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
  });
  afterAll(async () => {
    for (const d of devices) await d.kill().catch(() => undefined);
    await t?.close();
    await drop?.();
  });

  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });
  const drift = async (q: string): Promise<DriftItem[]> => (await api<{ items: DriftItem[] }>('GET', `/lighting/drift?${q}`)).body.items;
  const online = async (id: string): Promise<void> => {
    await waitFor(async () => (await rowCount(t, `SELECT 1 FROM device_state WHERE online AND device_id = $1`, [id])) === 1);
  };

  it('refuses a program with overlapping steps and stores nothing', async () => {
    const r = await api<{ error: { code: string; message: string } }>('PUT', '/lighting/programs/bad', {
      name: 'Bad',
      steps: [
        { at: 'sunset', offsetMin: 60, level: 100 },
        { at: '19:00', level: 70 },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('OVERLAPPING_STEPS');
    const dup = await api<{ error: { code: string } }>('PUT', '/lighting/programs/bad', {
      name: 'Bad',
      steps: [
        { at: '22:00', level: 70 },
        { at: '22:00', level: 50 },
      ],
    });
    expect(dup.body.error.code).toBe('OVERLAPPING_STEPS');
    const lvl = await api<{ error: { code: string } }>('PUT', '/lighting/programs/bad', { name: 'Bad', steps: [{ at: '22:00', level: 150 }] });
    expect(lvl.status).toBe(400);
    expect((await api<{ items: unknown[] }>('GET', '/lighting/programs')).body.items).toEqual([]);
  });

  it('an override ends at its expiry and the pushed program resumes', async () => {
    expect((await api('POST', '/zones', { id: 'z-ov', name: 'Ngõ 5', kind: 'lighting_zone' })).status).toBe(201);
    const d = await simDevice(t, 'streetlight', 'sl-ov', { zoneIds: ['z-ov'], asset: { ratedPowerW: 120 } });
    devices.push(d);
    await d.connect();
    await online('sl-ov');
    // One step at midnight: the program level is 30 all day, so the test does not depend on the hour it runs at.
    expect((await api('PUT', '/lighting/programs/always-30', { name: 'Always 30 %', steps: [{ at: '00:00', level: 30 }] })).status).toBe(201);
    const assigned = await api<{ pushed: { commands: string[] } }>('PUT', '/lighting/assignments', {
      targetType: 'zone',
      targetId: 'z-ov',
      programId: 'always-30',
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.pushed.commands.length).toBe(1);
    await until(t, assigned.body.pushed.commands[0] ?? '', ['acknowledged']);
    expect(d.metrics()).toMatchObject({ targetLevel: 30, reason: 'program' });

    const o = await api<{ commands: CommandBody[] }>('POST', '/lighting/override', { target: { type: 'device', id: 'sl-ov' }, level: 80, durationS: 3 });
    expect(o.status).toBe(201);
    await until(t, o.body.commands[0]?.id ?? '', ['acknowledged']);
    expect(d.metrics()).toMatchObject({ targetLevel: 80, reason: 'override' });
    expect((await drift('device=sl-ov'))[0]).toMatchObject({ expectedLevel: 80, source: 'override' });

    await new Promise((r) => setTimeout(r, 3500));
    await d.publishTelemetry();
    expect(d.metrics()).toMatchObject({ targetLevel: 30, reason: 'program' });
    const after = await waitFor(async () => {
      const item = (await drift('device=sl-ov'))[0];
      return item?.reportedLevel === 30 ? item : null;
    });
    expect(after).toMatchObject({ expectedLevel: 30, source: 'program', programId: 'always-30', assignedVia: 'zone:z-ov', status: 'ok' });
  });

  it('detects drift between what a light should be at and what it reports', async () => {
    const a = await simDevice(t, 'streetlight', 'sl-dr-a', { zoneIds: ['z-ov'] });
    const b = await simDevice(t, 'streetlight', 'sl-dr-b', { zoneIds: ['z-ov'] });
    await t.provision('streetlight', 'sl-unassigned');
    devices.push(a, b);
    await a.connect();
    await b.connect();
    const push = await api<{ commands: CommandBody[] }>('POST', '/lighting/push', {});
    expect(push.status).toBe(200);
    await until(t, push.body.commands[0]?.id ?? '', ['acknowledged']);
    await a.publishTelemetry();
    // A stuck driver: the node reports 90 % while its program says 30 %.
    await b.publishTelemetry({ level: 90 });
    const items = await waitFor(async () => {
      const all = await drift('zone=z-ov');
      return all.filter((i) => i.deviceId.startsWith('sl-dr-') && i.reportedLevel !== null).length === 2 ? all : null;
    });
    expect(items.find((i) => i.deviceId === 'sl-dr-a')).toMatchObject({ status: 'ok', expectedLevel: 30, reportedLevel: 30 });
    expect(items.find((i) => i.deviceId === 'sl-dr-b')).toMatchObject({ status: 'drift', expectedLevel: 30, reportedLevel: 90 });
    expect((await drift('problems=true')).map((i) => i.deviceId)).toEqual(['sl-dr-b']);
    expect((await drift('device=sl-unassigned'))[0]).toMatchObject({ status: 'unassigned', expectedLevel: null });
  });

  it('pushes the program the calendar names for today; the device assignment beats the zone', async () => {
    expect(
      (
        await api('PUT', '/lighting/programs/festival', {
          name: 'Lễ hội',
          steps: [
            { at: 'sunset', level: 100 },
            { at: 'sunrise', level: 0 },
          ],
        })
      ).status,
    ).toBe(201);
    const today = new Date(Date.now() + 7 * 3_600_000 - 12 * 3_600_000).toISOString().slice(0, 10);
    const cal = await api('PUT', '/lighting/calendars/ward', {
      name: 'Phường',
      defaultProgramId: 'always-30',
      rules: [{ name: 'Hôm nay', from: today, to: today, programId: 'festival' }],
    });
    expect(cal.status).toBe(201);
    const bad = await api<{ error: { code: string } }>('PUT', '/lighting/calendars/bad', { name: 'x', defaultProgramId: 'nope', rules: [] });
    expect(bad.body.error.code).toBe('UNKNOWN_PROGRAM');
    const r = await api<{ pushed: { commands: string[] } }>('PUT', '/lighting/assignments', { targetType: 'device', targetId: 'sl-dr-a', calendarId: 'ward' });
    expect(r.body.pushed.commands.length).toBe(1);
    const f = await until(t, r.body.pushed.commands[0] ?? '', ['acknowledged']);
    expect(f.deliveries.map((x) => x.deviceId)).toEqual(['sl-dr-a']);
    const cmd = await api<{ command: { params: { programId: string; steps: unknown[] } } }>(
      'GET',
      `/commands/${encodeURIComponent(r.body.pushed.commands[0] ?? '')}`,
    );
    expect(cmd.body.command.params.programId).toBe('festival');
    expect((await drift('device=sl-dr-a'))[0]).toMatchObject({ programId: 'festival', assignedVia: 'device' });
    // Nothing changed for the others: pushing again sends nothing.
    expect((await api<{ commands: unknown[] }>('POST', '/lighting/push', {})).body.commands).toEqual([]);
  });

  it('reports energy used and saved per light, zone and ward, per day', async () => {
    expect((await api('POST', '/zones', { id: 'z-en', name: 'Đường 2/4', kind: 'lighting_zone' })).status).toBe(201);
    const d = await simDevice(t, 'streetlight', 'sl-energy', { zoneIds: ['z-en'], asset: { ratedPowerW: 100 } });
    devices.push(d);
    await d.connect();
    const day = (n: number, h: number): number => Date.UTC(2026, 10, 10 + n, h - 7);
    const readings = [
      [day(0, 17), 100.0, 500],
      [day(1, 6), 100.6, 510], // night 1: 10 h lit, 0.6 kWh (baseline 1.0 → saved 0.4)
      [day(1, 17), 100.6, 510],
      [day(2, 6), 0.5, 8], // node replaced during night 2: counters restart; the new values are the increase
    ] as const;
    for (const [ts, energy, hours] of readings) {
      const r = await d.publishRaw('sw/v1/sl-energy/telemetry', JSON.stringify({ ts, metrics: { energy, operatingHours: hours, level: 0 } }));
      expect(r.outcome).toBe('acked');
    }
    const q = `from=${new Date(day(0, 0)).toISOString()}&to=${new Date(day(3, 0)).toISOString()}&bucket=day`;
    const one = await api<{
      items: { bucket: string; usedKWh: number; baselineKWh: number; savedKWh: number; burningHours: number }[];
      totals: { savedKWh: number; savedPct: number };
    }>('GET', `/lighting/energy?device=sl-energy&${q}`);
    expect(one.status).toBe(200);
    expect(one.body.items).toEqual([
      // The first reading is the baseline: its day shows no increase yet.
      expect.objectContaining({ bucket: '2026-11-10', usedKWh: 0, baselineKWh: 0, savedKWh: 0 }),
      expect.objectContaining({ bucket: '2026-11-11', usedKWh: 0.6, baselineKWh: 1, savedKWh: 0.4, burningHours: 10 }),
      expect.objectContaining({ bucket: '2026-11-12', usedKWh: 0.5, baselineKWh: 0.8, savedKWh: 0.3, burningHours: 8 }),
    ]);
    expect(one.body.totals).toMatchObject({ savedKWh: 0.7, savedPct: 38.9 });
    const zone = await api<{ totals: { usedKWh: number; lights: number } }>('GET', `/lighting/energy?zone=z-en&${q}`);
    expect(zone.body.totals).toMatchObject({ usedKWh: 1.1, lights: 1 });
    const month = await api<{ items: { bucket: string; savedKWh: number }[] }>('GET', `/lighting/energy?${q.replace('bucket=day', 'bucket=month')}`);
    expect(month.body.items).toEqual([expect.objectContaining({ bucket: '2026-11', savedKWh: 0.7 })]);
  });
});
