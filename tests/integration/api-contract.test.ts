/**
 * The API contract (issue 16): real responses of a demo ward on the real PostgreSQL server, checked against the response
 * schemas the routes declare (the same schemas OpenAPI publishes and the dashboard's types come from).
 *
 * Two checks per answer:
 * - the body on the wire satisfies the declared schema (`Value.Errors`): a wrong type, a missing required field, a null
 *   where the schema says string;
 * - the body on the wire equals the handler's own payload (captured in `preSerialization`, before fast-json-stringify
 *   runs, and put through JSON.stringify): serialization drops fields a schema does not list and coerces values whose
 *   type it gets wrong (null → "", "12" → 12), so a handler field missing from the schema shows up here even though
 *   the wire body alone would still pass the first check.
 * Every schema-declared GET is called (path parameters taken from the list route above it); a representative set of
 * POST/PATCH/PUT calls with valid bodies runs first so their answers are checked too.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { startDemo, type Demo } from '../../simulators/demo.ts';
import { wav } from './control-audio-fixtures.ts';

interface Captured {
  url: string;
  payload: unknown;
}

// Streams never end; slow by design (a WS-Discovery round, a Chromium PDF).
const SKIP = new Set(['GET /api/v1/live', 'GET /api/v1/radio/live/:id/stream', 'GET /api/v1/radio/live/:id/microphone', 'POST /api/v1/cameras/discover']);

const day = 86400_000;
const month = new Date().toISOString().slice(0, 7);
const window = `from=${new Date(Date.now() - 7 * day).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
/** Query strings a route needs (or answers differently with): each is one more call. */
const QUERIES: Record<string, string[]> = {
  '/api/v1/devices/:id/series': ['metric=power&bucket=15m', 'metric=energy&agg=delta&bucket=1h'],
  '/api/v1/uptime': ['', 'devices=true', 'scope=kind&id=streetlight'],
  '/api/v1/indicators': [`period=${month}`],
  '/api/v1/reports/indicators': [`period=${month}`, `period=${month}&format=csv`, `period=${month}&format=html`],
  '/api/v1/lighting/energy': [window],
  '/api/v1/radio/play-logs': [window],
  '/api/v1/radio/airtime': [window],
  '/api/v1/radio/preemptions': [window],
  '/api/v1/wifi/unique-users': [window],
  '/api/v1/wifi/points': [window],
  '/api/v1/wifi/sessions': [window],
  '/api/v1/wifi/portal-logins': [window],
  '/api/v1/wifi/portal-logins/summary': [window],
  '/api/v1/cameras/:id/snapshots/latest': ['', 'size=thumb'],
};
/** Where the list route above a parameter is not the right source of its value. */
const PARAM_SOURCES: Record<string, string> = {
  '/api/v1/devices/:id/series': '/api/v1/devices?kind=streetlight',
};

describe('API contract: real responses match the declared response schemas', () => {
  let t: TestApp;
  let demo: Demo | undefined;
  let drop: (() => Promise<void>) | undefined;
  const seen: { last: Captured | null } = { last: null };
  // A function, so TypeScript does not keep the `null` it saw assigned before the request ran.
  const lastPayload = (): Captured | null => seen.last;
  const problems: string[] = [];
  const checked = new Set<string>();
  const dump: unknown[] = [];

  const responseSchema = (method: string, url: string, status: number): TSchema | undefined => {
    const r = t.app.routes.find((x) => x.method === method && x.url === url);
    const resp = (r?.schema as { response?: Record<string, TSchema> } | undefined)?.response;
    return resp?.[String(status)] ?? resp?.[`${String(status)[0]}xx`];
  };

  /** Calls a route and checks its answer; returns the parsed body. */
  const call = async (method: string, route: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    seen.last = null;
    const res = await t.app.api.inject({
      method: method as 'GET',
      url: path,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    const type = String(res.headers['content-type'] ?? '');
    const json = type.startsWith('application/json') && res.body.length > 0 ? (JSON.parse(res.body) as unknown) : undefined;
    const where = `${method} ${route} (${path}) → ${res.statusCode}`;
    if (process.env.SW_CONTRACT_DUMP)
      dump.push({ route: `${method} ${route}`, path, status: res.statusCode, type, body: json ?? res.body.slice(0, 200), payload: lastPayload()?.payload });
    if (res.statusCode >= 500) problems.push(`${where}: ${res.body.slice(0, 200)}`);
    const schema = responseSchema(method, route, res.statusCode);
    if (res.statusCode < 300) checked.add(`${method} ${route}`);
    if (!schema) {
      problems.push(`${where}: no response schema for this status`);
      return { status: res.statusCode, body: json };
    }
    if (json !== undefined) {
      const errors = [...Value.Errors(schema, json)].slice(0, 5);
      if (errors.length) problems.push(`${where}: does not match its schema: ${errors.map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
      const before = lastPayload();
      if (before && before.url === path && before.payload !== undefined && typeof before.payload === 'object') {
        const expected = JSON.parse(JSON.stringify(before.payload)) as unknown;
        const diff = firstDifference(expected, json, '');
        if (diff) problems.push(`${where}: serialization changed the handler's payload at ${diff}`);
      }
    }
    return { status: res.statusCode, body: json };
  };

  beforeAll(async () => {
    const { modes } = await dbModes();
    const mode = modes.find((m) => m.name === 'postgres') ?? modes.find((m) => m.name === 'embedded');
    const opened = await mode!.open();
    drop = opened.drop;
    t = await startTestApp({
      db: opened.db,
      instrumentApi: (app) => {
        app.addHook('preSerialization', async (req, _reply, payload) => {
          seen.last = { url: req.url, payload };
          return payload;
        });
      },
    });
    demo = await startDemo(t.app);
    // Live data from every kind: states, telemetry and an open alarm or two (the demo injects faults).
    await waitFor(
      async () => ((await t.app.db.query<{ n: number }>(`SELECT count(DISTINCT device_id)::int AS n FROM telemetry`)).rows[0]?.n ?? 0) > 300,
      90_000,
      500,
    );
  }, 180_000);

  afterAll(async () => {
    if (process.env.SW_CONTRACT_DUMP) writeFileSync(process.env.SW_CONTRACT_DUMP, JSON.stringify(dump, null, 1));
    await demo?.stop();
    await t?.close();
    await drop?.();
  });

  it('representative writes answer with bodies their schemas describe', { timeout: 120_000 }, async () => {
    const first = async (url: string): Promise<Record<string, unknown>> => {
      const r = await t.app.api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.adminToken}` } });
      return ((JSON.parse(r.body) as { items?: Record<string, unknown>[] }).items ?? [])[0] ?? {};
    };
    const light = String((await first('/api/v1/devices?kind=streetlight')).id);
    const ap = String((await first('/api/v1/devices?kind=wifi-ap')).id);
    const camera = String((await first('/api/v1/cameras')).id ?? '');
    const alarm = (await first('/api/v1/alarms?state=active')).id;
    const indicator = String(((await t.http<{ items: string[] }>('GET', '/api/v1/plan-targets/indicators', { token: t.adminToken })).body.items ?? [])[0]);
    const soon = (min: number): string => new Date(Date.now() + min * 60_000).toISOString();
    const expect2xx: string[] = [];
    const write = async (method: string, route: string, path: string, body: unknown, want: number): Promise<unknown> => {
      const r = await call(method, route, path, body);
      if (r.status !== want) expect2xx.push(`${method} ${path} → ${r.status} (wanted ${want}): ${JSON.stringify(r.body).slice(0, 200)}`);
      return r.body;
    };
    await write('POST', '/api/v1/zones', '/api/v1/zones', { id: 'contract-z', name: 'Contract zone', kind: 'lighting_zone' }, 201);
    await write('PATCH', '/api/v1/zones/:id', '/api/v1/zones/contract-z', { name: 'Contract zone 2' }, 200);
    await write('PUT', '/api/v1/zones/:id/devices', '/api/v1/zones/contract-z/devices', { deviceIds: [light] }, 200);
    await write(
      'POST',
      '/api/v1/devices',
      '/api/v1/devices',
      { id: 'contract-sl', kind: 'streetlight', name: 'Contract light', tags: ['contract'], asset: { ratedPowerW: 90 } },
      201,
    );
    await write('PATCH', '/api/v1/devices/:id', '/api/v1/devices/contract-sl', { address: 'Somewhere' }, 200);
    await write('POST', '/api/v1/devices/:id/credentials/rotate', '/api/v1/devices/contract-sl/credentials/rotate', undefined, 200);
    await write('POST', '/api/v1/users', '/api/v1/users', { username: 'contract-op', role: 'operator', password: 'a-long-password-1' }, 201);
    await write('PATCH', '/api/v1/users/:username', '/api/v1/users/contract-op', { displayName: 'Contract operator' }, 200);
    const token = (await write('POST', '/api/v1/tokens', '/api/v1/tokens', { name: 'contract', role: 'viewer', expiresAt: soon(60) }, 201)) as { id?: string };
    await write('POST', '/api/v1/auth/login', '/api/v1/auth/login', { username: 'contract-op', password: 'a-long-password-1' }, 200);
    await write('POST', '/api/v1/commands', '/api/v1/commands', { id: 'contract-cmd', name: 'reboot', target: { type: 'device', id: ap } }, 201);
    await write('POST', '/api/v1/commands', '/api/v1/commands', { id: 'contract-cmd', name: 'reboot', target: { type: 'device', id: ap } }, 200);
    await write(
      'POST',
      '/api/v1/commands',
      '/api/v1/commands',
      { id: 'contract-cmd-2', name: 'setLevel', params: { level: 40, expiresAt: soon(30) }, target: { type: 'device', id: light } },
      201,
    );
    await write('POST', '/api/v1/commands/:id/cancel', '/api/v1/commands/contract-cmd-2/cancel', undefined, 200);
    await write('PUT', '/api/v1/lighting/site', '/api/v1/lighting/site', { lat: 12.22, lon: 109.19 }, 200);
    await write(
      'PUT',
      '/api/v1/lighting/programs/:id',
      '/api/v1/lighting/programs/contract-p',
      {
        name: 'Contract',
        steps: [
          { at: 'sunset', level: 100 },
          { at: '23:00', level: 50, rampS: 60 },
          { at: 'sunrise', offsetMin: 10, level: 0 },
        ],
      },
      201,
    );
    await write(
      'PUT',
      '/api/v1/lighting/calendars/:id',
      '/api/v1/lighting/calendars/contract-c',
      { name: 'Contract', defaultProgramId: 'contract-p', rules: [{ name: 'Tết', from: '02-01', to: '02-05', weekdays: [6, 7], programId: 'contract-p' }] },
      201,
    );
    await write(
      'PUT',
      '/api/v1/lighting/assignments',
      '/api/v1/lighting/assignments',
      { targetType: 'zone', targetId: 'contract-z', calendarId: 'contract-c' },
      200,
    );
    await write(
      'POST',
      '/api/v1/lighting/override',
      '/api/v1/lighting/override',
      { target: { type: 'zone', id: 'contract-z' }, level: 60, durationS: 900 },
      201,
    );
    await write('POST', '/api/v1/lighting/resume', '/api/v1/lighting/resume', { target: { type: 'zone', id: 'contract-z' } }, 201);
    await write('POST', '/api/v1/lighting/push', '/api/v1/lighting/push', { deviceIds: [light] }, 200);
    await write(
      'POST',
      '/api/v1/schedules',
      '/api/v1/schedules',
      {
        id: 'contract-s',
        command: { name: 'reboot', target: { type: 'device', id: ap } },
        startAt: soon(60),
        rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=3;BYMINUTE=0',
      },
      201,
    );
    await write(
      'POST',
      '/api/v1/maintenance-windows',
      '/api/v1/maintenance-windows',
      { title: 'Contract', scope: { type: 'device', id: light }, from: soon(10), to: soon(70) },
      201,
    );
    await write('PUT', '/api/v1/health/rules/:kind', '/api/v1/health/rules/streetlight', { reportIntervalS: 20 }, 200);
    await write('DELETE', '/api/v1/health/rules/:kind', '/api/v1/health/rules/streetlight', undefined, 204);
    if (alarm !== undefined) await write('POST', '/api/v1/alarms/:id/ack', `/api/v1/alarms/${String(alarm)}/ack`, { note: 'seen' }, 200);
    await write('PUT', '/api/v1/alarm-rules/:kind/:rule', '/api/v1/alarm-rules/streetlight/dayBurner', { severity: 'info' }, 200);
    await write('POST', '/api/v1/alarm-webhooks', '/api/v1/alarm-webhooks', { name: 'Contract', url: 'http://127.0.0.1:9/hook' }, 201);
    await write(
      'PUT',
      '/api/v1/plan-targets/:indicator/:period',
      `/api/v1/plan-targets/${indicator}/${month}`,
      { comparator: '>=', target: 90, source: 'Kế hoạch (contract test)' },
      200,
    );
    const speaker = String((await first('/api/v1/devices?kind=speaker')).id);
    const audio = (await write('POST', '/api/v1/radio/audio', '/api/v1/radio/audio?title=Contract', wav(2), 201)) as { id?: string };
    const bulletin = { title: 'Contract', priority: 'normal', audioId: audio.id, clusterIds: [speaker], startAt: soon(30) };
    await write('POST', '/api/v1/radio/broadcasts/check', '/api/v1/radio/broadcasts/check', bulletin, 200);
    await write('POST', '/api/v1/radio/broadcasts', '/api/v1/radio/broadcasts', { ...bulletin, id: 'contract-b' }, 201);
    await write(
      'POST',
      '/api/v1/wifi/consent-versions',
      '/api/v1/wifi/consent-versions',
      { version: 'contract-1', textVi: 'Đồng ý', textEn: 'Agree', purposes: ['service'] },
      201,
    );
    await write('POST', '/api/v1/wifi/retention/run', '/api/v1/wifi/retention/run', undefined, 200);
    await write('POST', '/api/v1/province/export/run', '/api/v1/province/export/run', undefined, 200);
    if (camera) {
      await write('POST', '/api/v1/cameras/:id/snapshots', `/api/v1/cameras/${camera}/snapshots`, undefined, 201);
      await write('POST', '/api/v1/cameras/:id/ptz/stop', `/api/v1/cameras/${camera}/ptz/stop`, undefined, 200);
      await write('POST', '/api/v1/cameras/:id/ptz/presets', `/api/v1/cameras/${camera}/ptz/presets`, { name: 'contract' }, 201);
    }
    if (token.id) await write('DELETE', '/api/v1/tokens/:id', `/api/v1/tokens/${token.id}`, undefined, 204);
    // Errors are answers too: a missing thing and a refused body have the error body.
    await write('GET', '/api/v1/devices/:id', '/api/v1/devices/no-such-device', undefined, 404);
    await write('POST', '/api/v1/zones', '/api/v1/zones', { id: 'x', name: 'y', kind: 'nonsense' }, 400);
    expect(expect2xx, expect2xx.join('\n')).toEqual([]);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('every GET answers with a body its schema describes, unchanged by serialization', { timeout: 300_000 }, async () => {
    const gets = t.app.routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1/') && !SKIP.has(`GET ${r.url}`));
    expect(gets.length).toBeGreaterThan(40);
    const ids = new Map<string, string[]>();
    // Parameters come from the list route above them: /api/v1/zones/:id takes an id from GET /api/v1/zones.
    const paramsFor = async (url: string): Promise<Record<string, string> | null> => {
      const out: Record<string, string> = {};
      for (const m of url.matchAll(/\/:([A-Za-z_]+)/g)) {
        const parent = url.slice(0, m.index);
        const name = m[1] as string;
        const concrete = PARAM_SOURCES[url] ?? parent.replace(/:([A-Za-z_]+)/g, (_x, n: string) => out[n] ?? '');
        let list = ids.get(`${concrete}#${name}`);
        if (!list) {
          const r = await t.app.api.inject({ method: 'GET', url: concrete, headers: { authorization: `Bearer ${t.adminToken}` } });
          const b = (r.statusCode === 200 ? JSON.parse(r.body) : {}) as { items?: Record<string, unknown>[] };
          const key = name === 'id' ? 'id' : name;
          list = (Array.isArray(b.items) ? b.items : Array.isArray(b) ? (b as Record<string, unknown>[]) : [])
            .map((i) => String(i[key] ?? i.id ?? i.name ?? ''))
            .filter(Boolean);
          ids.set(`${concrete}#${name}`, list);
        }
        if (!list[0]) return null;
        out[name] = list[0];
      }
      return out;
    };
    const unreached: string[] = [];
    for (const r of gets) {
      const p = await paramsFor(r.url);
      if (!p) {
        unreached.push(r.url);
        continue;
      }
      const path = r.url.replace(/:([A-Za-z_]+)/g, (_x, n: string) => encodeURIComponent(p[n] as string));
      for (const q of QUERIES[r.url] ?? ['']) await call('GET', r.url, q ? `${path}?${q}` : path);
    }
    console.info(`[api-contract] ${checked.size} operations answered 2xx and were checked; no parameter found for: ${unreached.join(', ') || 'none'}`);
    expect(problems, problems.join('\n')).toEqual([]);
    // Writes and reads together reach nearly every operation (the rest: the province's and the devices' signed routes).
    expect(checked.size).toBeGreaterThanOrEqual(100);
  });
});

/** The first path where two JSON values differ, or null. */
function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object')
    return `${at || '/'} (${JSON.stringify(a)?.slice(0, 60)} → ${JSON.stringify(b)?.slice(0, 60)})`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at || '/'} (array vs object)`;
  const ka = Object.keys(a as object);
  const kb = new Set(Object.keys(b as object));
  for (const k of ka) {
    if (!kb.has(k)) return `${at}/${k} (dropped)`;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
    if (d) return d;
  }
  for (const k of kb) if (!ka.includes(k)) return `${at}/${k} (added)`;
  return null;
}
