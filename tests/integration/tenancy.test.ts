/**
 * Province tenancy (issue 12, docs/scale.md "Province tenancy"): two wards in one deployment. An operator of ward A
 * sees and controls only A (404 for B's objects, 403 for naming B), a province viewer sees both and the province
 * aggregate, an admin creates wards and assigns people. Real PostgreSQL and the embedded build; cameras are simulated
 * ONVIF devices on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraFeature } from '../../services/cameras/camera-feature.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif/index.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const A = '22330';
const B = '22331';
const CAM_USER = 'admin';
const CAM_PASSWORD = 'cam-Passw0rd==';
const month = new Date().toISOString().slice(0, 7);

interface Report {
  ward: { code: string; name: string };
  scope: { kind: string; wards: { code: string }[] };
  figures: { id: string; value: number | null }[];
}
const figure = (r: Report, id: string) => r.figures.find((f) => f.id === id)?.value;

describe.each(modes)('province tenancy on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let fleet: CameraFleet;
  let opA: string;
  let provinceViewer: string;
  const password = 'a-long-password-1';

  const user = async (username: string, role: string, wards: { wards: string[]; province?: boolean }): Promise<string> => {
    expect((await t.http('POST', '/api/v1/users', { token: t.adminToken, body: { username, role, password } })).status).toBe(201);
    const set = await t.http('PUT', `/api/v1/users/${username}/wards`, { token: t.adminToken, body: wards });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const login = await t.http<{ token: string }>('POST', '/api/v1/auth/login', { body: { username, password } });
    return login.body.token;
  };

  beforeAll(async () => {
    fleet = await startCameraFleet({ count: 2, username: CAM_USER, password: CAM_PASSWORD, discoveryPort: 0 });
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    await (t.app.ctx.shared.get('cameras') as CameraFeature).applySettings({ probeIntervalMs: 3_600_000, snapshotProbeIntervalMs: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
    await fleet?.close();
  });

  it('one ward: everything goes to it, as before tenancy', async () => {
    const wards = await t.http<{ items: { code: string; devices: number }[] }>('GET', '/api/v1/wards', { token: t.adminToken });
    expect(wards.body.items.map((w) => w.code)).toEqual([A]);
    await t.provision('streetlight', 'sl-a1');
    const d = await t.http<{ wardCode: string }>('GET', '/api/v1/devices/sl-a1', { token: t.adminToken });
    expect(d.body.wardCode).toBe(A);
    // A user created while there is one ward is its member.
    const viewer = await t.userToken('viewer');
    expect((await t.http('GET', '/api/v1/devices/sl-a1', { token: viewer })).status).toBe(200);
    const m = await t.http<{ wards: string[]; province: boolean }>('GET', '/api/v1/users/viewer-1/wards', { token: t.adminToken });
    expect(m.body).toMatchObject({ wards: [A], province: false });
  });

  it('an admin creates a second ward; from then on a new device or zone must name its ward', async () => {
    expect((await t.http('POST', '/api/v1/wards', { token: t.adminToken, body: { code: B, name: 'Phường Ba Ngòi', provinceCode: '56' } })).status).toBe(201);
    expect((await t.http('POST', '/api/v1/wards', { token: t.adminToken, body: { code: B, name: 'again' } })).status).toBe(409);
    const noWard = await t.http<{ error: { code: string } }>('POST', '/api/v1/devices', {
      token: t.adminToken,
      body: { id: 'sl-x', kind: 'streetlight', name: 'x' },
    });
    expect(noWard.status).toBe(400);
    expect(noWard.body.error.code).toBe('WARD_REQUIRED');
    const unknown = await t.http<{ error: { code: string } }>('POST', '/api/v1/devices', {
      token: t.adminToken,
      body: { id: 'sl-x', kind: 'streetlight', name: 'x', wardCode: '99999' },
    });
    expect(unknown.body.error.code).toBe('UNKNOWN_WARD');
    await t.provision('streetlight', 'sl-b1', { wardCode: B });
    await t.provision('streetlight', 'sl-b2', { wardCode: B });
    for (const [id, ward] of [
      ['z-a', A],
      ['z-b', B],
    ] as const) {
      expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id, name: id, kind: 'lighting_zone', wardCode: ward } })).status).toBe(201);
    }
    expect((await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'z-x', name: 'x', kind: 'area' } })).status).toBe(400);
    for (const [i, ward] of [
      [0, A],
      [1, B],
    ] as const) {
      const sim = fleet.cameras[i];
      if (!sim) throw new Error('no simulated camera');
      const r = await t.http('POST', '/api/v1/cameras', {
        token: t.adminToken,
        body: { id: `cam-${ward}`, name: sim.name, wardCode: ward, connection: { address: sim.xaddr, username: CAM_USER, password: CAM_PASSWORD } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    opA = await user('op-a', 'operator', { wards: [A] });
    provinceViewer = await user('prov-viewer', 'viewer', { wards: [], province: true });
  });

  it("ward A's operator lists only A and gets 404 for B's device, zone and camera", async () => {
    const list = await t.http<{ items: { id: string }[]; total: number }>('GET', '/api/v1/devices', { token: opA });
    expect(list.body.items.map((d) => d.id).sort()).toEqual(['cam-22330', 'sl-a1']);
    expect(list.body.total).toBe(2);
    expect((await t.http('GET', `/api/v1/devices?ward=${B}`, { token: opA })).status).toBe(403);
    expect((await t.http('GET', '/api/v1/devices/sl-b1', { token: opA })).status).toBe(404);
    expect((await t.http('PATCH', '/api/v1/devices/sl-b1', { token: opA, body: { name: 'mine now' } })).status).toBe(404);
    expect((await t.http('PATCH', '/api/v1/devices/sl-a1', { token: opA, body: { wardCode: B } })).status).toBe(403);
    // Another ward's zone is as unknown as a zone that does not exist.
    const intoB = await t.http<{ error: { code: string } }>('PATCH', '/api/v1/devices/sl-a1', { token: opA, body: { zoneIds: ['z-b'] } });
    expect([intoB.status, intoB.body.error.code]).toEqual([400, 'UNKNOWN_ZONE']);
    expect((await t.http('GET', '/api/v1/devices/sl-b1/state', { token: opA })).status).toBe(404);
    const zones = await t.http<{ items: { id: string }[] }>('GET', '/api/v1/zones', { token: opA });
    expect(zones.body.items.map((z) => z.id)).toEqual(['z-a']);
    expect((await t.http('GET', '/api/v1/zones/z-b', { token: opA })).status).toBe(404);
    expect((await t.http('GET', `/api/v1/zones?ward=${B}`, { token: opA })).status).toBe(403);
    const cams = await t.http<{ items: { id: string }[] }>('GET', '/api/v1/cameras', { token: opA });
    expect(cams.body.items.map((c) => c.id)).toEqual([`cam-${A}`]);
    expect((await t.http('GET', `/api/v1/cameras/cam-${B}`, { token: opA })).status).toBe(404);
    expect((await t.http('POST', `/api/v1/cameras/cam-${B}/snapshots`, { token: opA })).status).toBe(404);
    expect((await t.http('GET', `/api/v1/cameras/cam-${A}`, { token: opA })).status).toBe(200);
    const wards = await t.http<{ items: { code: string }[] }>('GET', '/api/v1/wards', { token: opA });
    expect(wards.body.items.map((w) => w.code)).toEqual([A]);
    expect((await t.http('GET', `/api/v1/wards/${B}`, { token: opA })).status).toBe(403);
  });

  it("ward A's operator cannot command B's devices; commands to A are audited with ward A", async () => {
    const cmd = (target: Record<string, unknown>) =>
      t.http<{ id?: string; error?: { code: string } }>('POST', '/api/v1/commands', {
        token: opA,
        body: {
          name: 'setLevel',
          kind: 'streetlight',
          params: { level: 40, reason: 'override', expiresAt: new Date(Date.now() + 3600_000).toISOString() },
          target,
        },
      });
    const toB = await cmd({ type: 'device', id: 'sl-b1' });
    expect(toB.status, JSON.stringify(toB.body)).toBe(403);
    // An id that exists nowhere gets the same answer: the refusal says nothing about ward B.
    const nowhere = await cmd({ type: 'device', id: 'sl-nowhere' });
    expect([nowhere.status, nowhere.body.error?.code]).toEqual([403, toB.body.error?.code]);
    expect((await cmd({ type: 'ward', code: B })).status).toBe(403);
    expect((await cmd({ type: 'zone', id: 'z-b' })).status).toBe(403);
    const all = await cmd({ type: 'kind', kind: 'streetlight' });
    expect(all.status, JSON.stringify(all.body)).toBe(201);
    const sent = await t.http<{ deliveries: { deviceId: string }[] }>('GET', `/api/v1/commands/${all.body.id ?? ''}`, { token: t.adminToken });
    expect(sent.body.deliveries.map((d) => d.deviceId)).toEqual(['sl-a1']);
    const audit = await t.app.db.query<{ ward_code: string | null; result: string }>(
      `SELECT ward_code, result FROM audit_log WHERE action = 'command.send' AND actor = 'op-a' ORDER BY id`,
    );
    expect(audit.rows.map((r) => [r.result, r.ward_code])).toEqual([
      ['error', A],
      ['error', A],
      ['error', A],
      ['error', A],
      ['ok', A],
    ]);
    const viaApi = await t.http<{ items: { actor: string; wardCode: string | null }[] }>('GET', `/api/v1/audit?ward=${A}&action=command.send`, {
      token: t.adminToken,
    });
    expect(viaApi.body.items.map((x) => [x.actor, x.wardCode])).toEqual(Array.from({ length: 5 }, () => ['op-a', A]));
    // A's operator does not see a command of the province's that reached only B.
    const onlyB = await t.http<{ id: string }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: {
        name: 'setLevel',
        kind: 'streetlight',
        params: { level: 10, reason: 'override', expiresAt: new Date(Date.now() + 3600_000).toISOString() },
        target: { type: 'ward', code: B },
      },
    });
    expect(onlyB.status).toBe(201);
    expect((await t.http('GET', `/api/v1/commands/${onlyB.body.id}`, { token: opA })).status).toBe(404);
    const adminRow = await t.app.db.query<{ ward_code: string | null }>(`SELECT ward_code FROM audit_log WHERE action = 'command.send' AND target_id = $1`, [
      onlyB.body.id,
    ]);
    expect(adminRow.rows.map((r) => r.ward_code)).toEqual([B]);
    const listed = await t.http<{ items: { id: string }[] }>('GET', '/api/v1/commands', { token: opA });
    expect(listed.body.items.map((c) => c.id)).toEqual([all.body.id]);
  });

  it("schedules: A's operator sees only schedules reaching A, and a kind-wide schedule of theirs fires only on A's devices", async () => {
    const body = (target: Record<string, unknown>, startInMs: number) => ({
      command: { name: 'setLevel', kind: 'streetlight', params: { level: 30, reason: 'program' }, target },
      startAt: new Date(Date.now() + startInMs).toISOString(),
    });
    const theirs = await t.http<{ id: string }>('POST', '/api/v1/schedules', { token: t.adminToken, body: body({ type: 'ward', code: B }, 3600_000) });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    expect((await t.http('POST', '/api/v1/schedules', { token: opA, body: body({ type: 'ward', code: B }, 3600_000) })).status).toBe(403);
    const mine = await t.http<{ id: string }>('POST', '/api/v1/schedules', { token: opA, body: body({ type: 'kind', kind: 'streetlight' }, 1500) });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    const listed = await t.http<{ items: { id: string }[] }>('GET', '/api/v1/schedules', { token: opA });
    expect(listed.body.items.map((x) => x.id)).toEqual([mine.body.id]);
    expect((await t.http('GET', `/api/v1/schedules/${theirs.body.id}`, { token: opA })).status).toBe(404);
    expect((await t.http('DELETE', `/api/v1/schedules/${theirs.body.id}`, { token: opA })).status).toBe(404);
    expect((await t.http('GET', `/api/v1/schedules/${theirs.body.id}`, { token: provinceViewer })).status).toBe(200);
    // The firing runs in its creator's scope, long after the request: ward B's lights are not in it.
    const fired = await waitFor(async () => {
      const r = await t.app.db.query<{ id: string }>(`SELECT id FROM commands WHERE id LIKE $1`, [`sch:${mine.body.id}:%`]);
      return r.rows[0]?.id;
    }, 15_000);
    const deliveries = await t.app.db.query<{ device_id: string }>('SELECT device_id FROM command_deliveries WHERE command_id = $1 ORDER BY device_id', [
      fired,
    ]);
    expect(deliveries.rows.map((r) => r.device_id)).toEqual(['sl-a1']);
  });

  it("reports: A's operator gets A's and 403 for B's or the province's; a province viewer gets each and the aggregate", async () => {
    const own = await t.http<Report>('GET', `/api/v1/indicators?period=${month}`, { token: opA });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.ward.code).toBe(A);
    expect(figure(own.body, 'devices.total')).toBe(2);
    expect((await t.http('GET', `/api/v1/indicators?period=${month}&ward=${B}`, { token: opA })).status).toBe(403);
    expect((await t.http('GET', `/api/v1/reports/indicators?period=${month}&ward=${B}&format=csv`, { token: opA })).status).toBe(403);
    expect((await t.http('GET', `/api/v1/indicators?period=${month}&scope=province`, { token: opA })).status).toBe(403);

    const b = await t.http<Report>('GET', `/api/v1/indicators?period=${month}&ward=${B}`, { token: provinceViewer });
    expect(b.status).toBe(200);
    expect([b.body.ward.code, b.body.ward.name, figure(b.body, 'devices.total')]).toEqual([B, 'Phường Ba Ngòi', 3]);
    const province = await t.http<Report>('GET', `/api/v1/indicators?period=${month}&scope=province`, { token: provinceViewer });
    expect(province.status).toBe(200);
    expect(province.body.scope.kind).toBe('province');
    expect(province.body.scope.wards.map((w) => w.code)).toEqual([A, B]);
    expect(province.body.ward.code).toBe('56');
    expect(figure(province.body, 'devices.total')).toBe(5);
    expect(figure(province.body, 'streetlight.devices')).toBe(3);
    const devices = await t.http<{ total: number }>('GET', '/api/v1/devices', { token: provinceViewer });
    expect(devices.body.total).toBe(5);
    expect((await t.http('GET', '/api/v1/devices/sl-b1', { token: provinceViewer })).status).toBe(200);
    // A province viewer is still a viewer.
    expect((await t.http('PATCH', '/api/v1/devices/sl-b1', { token: provinceViewer, body: { name: 'x' } })).status).toBe(403);
  });

  it("a ward operator's live stream carries only their ward's device events", async () => {
    const base = t.app.urls().http;
    const open = async (token: string) => {
      const ctrl = new AbortController();
      const r = await fetch(`${base}/api/v1/live`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
      expect(r.status).toBe(200);
      let text = '';
      const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            text += value;
          }
        } catch {
          /* aborted */
        }
      })();
      await waitFor(async () => text.includes('event: hello'));
      return { text: () => text, abort: () => ctrl.abort() };
    };
    const ward = await open(opA);
    const province = await open(provinceViewer);
    // The stream reads its ward's device list when it opens.
    await new Promise((r) => setTimeout(r, 300));
    for (const deviceId of ['sl-b1', 'sl-a1']) t.app.ctx.events.emit('device.status', { deviceId, online: true, reason: 'test', at: new Date() });
    await waitFor(async () => province.text().includes('sl-a1') && ward.text().includes('sl-a1'));
    expect(province.text()).toContain('sl-b1');
    expect(ward.text()).not.toContain('sl-b1');
    ward.abort();
    province.abort();
  });

  it("maintenance windows: A's operator plans A's, sees no window of B's, and may not plan a kind-wide one", async () => {
    const from = new Date(Date.now() + 3600_000).toISOString();
    const to = new Date(Date.now() + 7200_000).toISOString();
    const win = (scope: Record<string, string>, token: string) =>
      t.http<{ id: string }>('POST', '/api/v1/maintenance-windows', { token, body: { title: 'Thay đèn', scope, from, to } });
    const bWindow = await win({ type: 'device', id: 'sl-b1' }, t.adminToken);
    expect(bWindow.status).toBe(201);
    expect((await win({ type: 'device', id: 'sl-b1' }, opA)).status).toBe(404);
    expect((await win({ type: 'ward', id: B }, opA)).status).toBe(403);
    expect((await win({ type: 'kind', id: 'streetlight' }, opA)).status).toBe(403);
    const aWindow = await win({ type: 'zone', id: 'z-a' }, opA);
    expect(aWindow.status, JSON.stringify(aWindow.body)).toBe(201);
    const listed = await t.http<{ items: { id: string }[] }>('GET', '/api/v1/maintenance-windows', { token: opA });
    expect(listed.body.items.map((w) => w.id)).toEqual([aWindow.body.id]);
    expect((await t.http('DELETE', `/api/v1/maintenance-windows/${bWindow.body.id}`, { token: opA })).status).toBe(404);
    expect((await t.http<{ items: unknown[] }>('GET', '/api/v1/maintenance-windows', { token: provinceViewer })).body.items).toHaveLength(2);
  });

  it("plan targets are a ward's own: set for B, read for B, invisible from A", async () => {
    const year = month.slice(0, 4);
    const set = await t.http('PUT', `/api/v1/plan-targets/devices.total/${year}?ward=${B}`, {
      token: t.adminToken,
      body: { comparator: '>=', target: 3, source: 'Kế hoạch phường Ba Ngòi' },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const ofB = await t.http<{ items: { wardCode: string; indicator: string }[] }>('GET', `/api/v1/plan-targets?ward=${B}`, { token: provinceViewer });
    expect(ofB.body.items.map((x) => [x.wardCode, x.indicator])).toEqual([[B, 'devices.total']]);
    expect((await t.http('GET', `/api/v1/plan-targets?ward=${B}`, { token: opA })).status).toBe(403);
    const ofA = await t.http<{ items: { indicator: string }[] }>('GET', '/api/v1/plan-targets', { token: opA });
    expect(ofA.body.items.some((x) => x.indicator === 'devices.total')).toBe(false);
    const report = await t.http<{ figures: { id: string; target?: { value: number } }[] }>('GET', `/api/v1/indicators?period=${month}&ward=${B}`, {
      token: provinceViewer,
    });
    expect(report.body.figures.find((f) => f.id === 'devices.total')?.target?.value).toBe(3);
  });

  it('membership changes apply to the next request; an unknown ward is refused', async () => {
    expect((await t.http('PUT', '/api/v1/users/op-a/wards', { token: t.adminToken, body: { wards: ['99999'] } })).status).toBe(400);
    expect((await t.http('PUT', '/api/v1/users/op-a/wards', { token: opA, body: { wards: [A, B] } })).status).toBe(403);
    expect((await t.http('PUT', '/api/v1/users/op-a/wards', { token: t.adminToken, body: { wards: [A, B] } })).status).toBe(200);
    expect((await t.http('GET', '/api/v1/devices/sl-b1', { token: opA })).status).toBe(200);
    expect((await t.http('PUT', '/api/v1/users/op-a/wards', { token: t.adminToken, body: { wards: [A] } })).status).toBe(200);
    expect((await t.http('GET', '/api/v1/devices/sl-b1', { token: opA })).status).toBe(404);
    const audit = await t.app.db.query<{ target_id: string; details: { wards?: string[] } }>(
      `SELECT target_id, details FROM audit_log WHERE action = 'user.set-wards' AND result = 'ok' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0]).toMatchObject({ target_id: 'op-a', details: { wards: [A] } });
  });
});
