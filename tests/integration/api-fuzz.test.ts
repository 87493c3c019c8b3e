/**
 * Hostile input on every route of the route table: NUL characters, numbers beyond bigint, wrong types, null and
 * non-object bodies, deep nesting, broken JSON, hostile path parameters and query strings. The service must answer
 * each with a 4xx (or a success), never a 5xx, and stay up. Runs on the real PostgreSQL server when it answers (it
 * refuses U+0000 in text and out-of-range integers, which the embedded build may not), else on the embedded build.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import type { RouteEntry } from '../../services/api/security.ts';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };

// Streams never end (a fuzzer would wait forever); they are attacked by the security drills over real sockets.
const STREAMING = new Set(['GET /api/v1/live', 'GET /api/v1/radio/live/:id/stream', 'GET /api/v1/radio/live/:id/microphone']);
// Slow by design (a WS-Discovery probe round, a Chromium PDF render): one well-formed request each is enough.
const SLOW = new Set(['POST /api/v1/cameras/discover', 'GET /api/v1/reports/indicators']);

const CANDIDATES = ['fuzz-1', 'fuzz', 'fuzz1', 'abc', 'x', '22330', '12:00', '2026-01-01', '#ffffff', '1', 'FREQ=DAILY', 'fuzz.one'];

/** A value the schema accepts, as far as a simple walk can tell (the fuzz mutates one field of it at a time). */
function sample(s: Schema | undefined): unknown {
  if (!s) return undefined;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const alt = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alt) return sample(alt.find((a) => a.type !== 'null') ?? alt[0]);
  switch (s.type) {
    case 'string': {
      if (s.format === 'date-time') return new Date().toISOString();
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (typeof s.pattern === 'string') {
        const re = new RegExp(s.pattern);
        return CANDIDATES.find((c) => re.test(c)) ?? 'fuzz';
      }
      return 'f'.repeat(Math.max(1, Number(s.minLength ?? 1)));
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : typeof s.maximum === 'number' && s.maximum < 1 ? s.maximum : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: Number(s.minItems ?? 0) }, () => sample(s.items as Schema));
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = sample(s.properties?.[k]);
      return o;
    }
    default:
      return undefined;
  }
}

const deep = (n: number): unknown => {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};

/** Values that have broken some layer before: PostgreSQL text (NUL), bigint/int4 ranges, type confusion, size. */
const HOSTILE_VALUES: unknown[] = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '',
  ' ',
  'x'.repeat(20_000),
  '../../etc/passwd',
  "'; DROP TABLE users; --",
  9223372036854775808,
  1e308,
  -1e308,
  -1,
  0,
  1.5,
  2147483648,
  -2147483649,
  null,
  false,
  true,
  [],
  {},
  [null],
  { '\u0000': 1 },
  deep(40),
];
const HOSTILE_RAW_BODIES = [
  'null',
  '[]',
  '"x"',
  '0',
  'true',
  '{',
  '{"a":',
  '\u0000',
  '['.repeat(5000) + ']'.repeat(5000),
  JSON.stringify(deep(2000)),
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
];
const HOSTILE_SEGMENTS = ['%00', 'a%00b', '99999999999999999999999', '-1', '1e400', '%F0', '%ED%A0%80', 'x'.repeat(3000), '%2e%2e%2f%2e%2e%2f', '%20'];
const HOSTILE_QUERY = [
  '%00',
  'a%00b',
  '99999999999999999999999',
  '-99999999999999999999',
  '1e400',
  '-1e400',
  'NaN',
  '2026-13-45T99:99:99Z',
  '%ED%A0%80',
  'x'.repeat(3000),
  '',
];

interface Probe {
  what: string;
  url: string;
  payload?: string;
  contentType?: string;
}

function probesFor(r: RouteEntry): Probe[] {
  const schema = (r.schema ?? {}) as { body?: TSchema; querystring?: TSchema; params?: TSchema };
  const params = (schema.params ?? {}) as Schema;
  const query = (schema.querystring ?? {}) as Schema;
  const body = schema.body as Schema | undefined;
  const names = [...r.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] as string);
  const goodParams: Record<string, string> = {};
  for (const n of names) goodParams[n] = encodeURIComponent(String(sample(params.properties?.[n]) ?? 'fuzz-1'));
  const path = (p: Record<string, string>): string => r.url.replace(/:([A-Za-z_]+)/g, (_m, n: string) => p[n] ?? 'fuzz-1');
  const goodQuery = (sample(query) ?? {}) as Record<string, unknown>;
  const qs = (q: Record<string, unknown>): string => {
    const parts = Object.entries(q)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && v.startsWith('%') ? v : encodeURIComponent(String(v))}`);
    return parts.length ? `?${parts.join('&')}` : '';
  };
  const url = path(goodParams) + qs(goodQuery);
  const hasBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method);
  const goodBody = body ? sample(body) : undefined;
  const json = (v: unknown): string => JSON.stringify(v);
  const probes: Probe[] = [{ what: 'well-formed', url, ...(hasBody ? { payload: json(goodBody ?? {}) } : {}) }];
  if (SLOW.has(`${r.method} ${r.url}`)) return probes;

  for (const n of names) {
    for (const v of HOSTILE_SEGMENTS)
      probes.push({
        what: `param ${n}=${v.slice(0, 20)}`,
        url: path({ ...goodParams, [n]: v }) + qs(goodQuery),
        ...(hasBody ? { payload: json(goodBody ?? {}) } : {}),
      });
  }
  const queryKeys = Object.keys(query.properties ?? {});
  for (const k of queryKeys) {
    for (const v of HOSTILE_QUERY) probes.push({ what: `query ${k}=${v.slice(0, 20)}`, url: path(goodParams) + qs({ ...goodQuery, [k]: v }) });
  }
  if (queryKeys.length)
    probes.push({ what: 'query repeated', url: `${url}${url.includes('?') ? '&' : '?'}${queryKeys.map((k) => `${k}=1&${k}=2`).join('&')}` });
  if (!hasBody) return probes;

  for (const raw of HOSTILE_RAW_BODIES) probes.push({ what: `raw body ${raw.slice(0, 20)}`, url, payload: raw });
  probes.push({ what: 'text/plain body', url, payload: 'hello', contentType: 'text/plain' });
  probes.push({ what: 'empty json body', url, payload: '' });
  if (body?.type === 'object' && goodBody && typeof goodBody === 'object') {
    for (const k of Object.keys(body.properties ?? {})) {
      for (const v of HOSTILE_VALUES) probes.push({ what: `body ${k}=${JSON.stringify(v)?.slice(0, 20)}`, url, payload: json({ ...goodBody, [k]: v }) });
      const sub = body.properties?.[k];
      if (sub?.type === 'object') {
        const inner = (sample(sub) ?? {}) as Record<string, unknown>;
        for (const ik of Object.keys(sub.properties ?? {})) {
          for (const v of HOSTILE_VALUES)
            probes.push({ what: `body ${k}.${ik}=${JSON.stringify(v)?.slice(0, 20)}`, url, payload: json({ ...goodBody, [k]: { ...inner, [ik]: v } }) });
        }
      }
      if (sub?.type === 'array') {
        for (const v of HOSTILE_VALUES) probes.push({ what: `body ${k}[0]=${JSON.stringify(v)?.slice(0, 20)}`, url, payload: json({ ...goodBody, [k]: [v] }) });
      }
    }
  }
  return probes;
}

describe('hostile input on every route', () => {
  let t: TestApp;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const { modes } = await dbModes();
    const mode = modes.find((m) => m.name === 'postgres') ?? modes.find((m) => m.name === 'embedded');
    if (mode?.name !== 'postgres') console.warn('[api-fuzz] PostgreSQL server unreachable: fuzzing on the embedded build only');
    const opened = await mode!.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db });
    // Some well-formed targets, so hostile input reaches the services and the database, not only "not found".
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'fuzz-1', name: 'Fuzz', kind: 'residential_group' } });
    for (const kind of ['streetlight', 'wifi-ap', 'speaker'])
      await t.provision(kind, kind === 'streetlight' ? 'fuzz-1' : `fuzz-${kind}`, { groupId: 'fuzz-1' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('answers no route with a 5xx, whatever the body, parameters or query', async () => {
    const routes = t.app.routes.filter((r) => !STREAMING.has(`${r.method} ${r.url}`) && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(60);
    const failures: string[] = [];
    let sent = 0;
    const slowest: [number, string][] = [];
    for (const r of routes) {
      const began = performance.now();
      // The well-formed probe runs last: a hostile one must not depend on the target still existing after a DELETE.
      const probes = probesFor(r);
      for (const p of [...probes.slice(1), probes[0] as Probe]) {
        const headers: Record<string, string> = { authorization: `Bearer ${t.adminToken}` };
        if (p.payload !== undefined) headers['content-type'] = p.contentType ?? 'application/json';
        // A request that never finishes is a failure too (`?days=1e400` once looped over Infinity days), not a hang.
        const res = await Promise.race([
          t.app.api.inject({ method: r.method as 'GET', url: p.url, headers, ...(p.payload !== undefined ? { payload: p.payload } : {}) }),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000)),
        ]);
        sent++;
        if (!res) {
          failures.push(`no answer within 20 s: ${r.method} ${r.url} [${p.what}]`);
          continue;
        }
        if (res.statusCode >= 500 && res.statusCode !== 503) failures.push(`${res.statusCode} ${r.method} ${r.url} [${p.what}] ${res.body.slice(0, 160)}`);
        if (res.statusCode === 401 && r.role !== null && r.url !== '/api/v1/auth/logout') {
          // A probe logged the fuzzer out (logout route): log in again and carry on.
          failures.push(`401 ${r.method} ${r.url} [${p.what}] ${res.body.slice(0, 120)}`);
        }
      }
      slowest.push([Math.round(performance.now() - began), `${r.method} ${r.url}`]);
      if (r.url === '/api/v1/auth/logout') {
        const login = await t.http<{ token: string }>('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'admin-password-for-tests' } });
        t.adminToken = login.body.token;
      }
    }
    slowest.sort((a, b) => b[0] - a[0]);
    if (process.env.SW_FUZZ_REPORT)
      writeFileSync(process.env.SW_FUZZ_REPORT, [...failures, '', ...slowest.slice(0, 15).map(([ms, r]) => `${ms} ms ${r}`)].join('\n'));
    console.info(`[api-fuzz] ${sent} hostile requests on ${routes.length} routes, ${failures.length} failures`);
    expect(failures, failures.slice(0, 60).join('\n')).toEqual([]);
    // Still up and answering after all of it.
    expect((await t.http('GET', '/health')).status).toBe(200);
  }, 600_000);
});
