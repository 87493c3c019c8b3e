import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE'];
const fill = (url: string): string => url.replace(':id', '00000000-0000-4000-8000-000000000000').replace(':username', 'someone');

describe('operator roles and the audit log', () => {
  let t: TestApp;
  let viewer: string;
  let operator: string;

  beforeAll(async () => {
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    viewer = await t.userToken('viewer');
    operator = await t.userToken('operator');
  });
  afterAll(async () => {
    await t?.close();
    await t?.app.db.close();
  });

  const auditCount = async (): Promise<number> => (await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]?.n ?? 0;

  it('every mutating route refuses an unauthenticated caller and audits the refusal', async () => {
    const mutating = t.app.routes.filter((r) => MUTATING.includes(r.method) && r.role);
    expect(mutating.length).toBeGreaterThanOrEqual(12);
    for (const r of mutating) {
      const before = await auditCount();
      const res = await t.http(r.method, fill(r.url), { body: {} });
      expect(res.status, `${r.method} ${r.url}`).toBe(401);
      expect(await auditCount(), `${r.method} ${r.url} audited`).toBe(before + 1);
    }
    const last = await t.http<{ items: { actor: string; result: string }[] }>('GET', '/api/v1/audit?limit=1', { token: t.adminToken });
    expect(last.body.items[0]).toMatchObject({ actor: 'anonymous', result: 'error' });
  });

  it('refuses a caller whose role is too low, on every guarded route', async () => {
    for (const r of t.app.routes.filter((x) => x.role === 'operator' || x.role === 'admin')) {
      const res = await t.http(r.method, fill(r.url), { token: viewer, body: {} });
      expect(res.status, `${r.method} ${r.url} as viewer`).toBe(403);
    }
    for (const r of t.app.routes.filter((x) => x.role === 'admin')) {
      const res = await t.http(r.method, fill(r.url), { token: operator, body: {} });
      expect(res.status, `${r.method} ${r.url} as operator`).toBe(403);
    }
    // Reads are open to viewers.
    expect((await t.http('GET', '/api/v1/devices', { token: viewer })).status).toBe(200);
  });

  it('writes an audit row naming who did what when a mutation succeeds', async () => {
    const steps: [string, string, unknown, string, string][] = [
      ['POST', '/api/v1/zones', { id: 'tdp-1', name: 'Tổ dân phố 1', kind: 'residential_group' }, 'zone.create', 'tdp-1'],
      ['POST', '/api/v1/devices', { id: 'sl-audit', kind: 'streetlight', name: 'Đèn 1', groupId: 'tdp-1' }, 'device.provision', 'sl-audit'],
      ['PATCH', '/api/v1/devices/sl-audit', { name: 'Đèn số 1', lat: 12.22, lon: 109.19 }, 'device.update', 'sl-audit'],
      ['POST', '/api/v1/devices/sl-audit/credentials/rotate', undefined, 'device.rotate-credentials', 'sl-audit'],
      ['PUT', '/api/v1/zones/tdp-1/devices', { deviceIds: ['sl-audit'] }, 'zone.set-members', 'tdp-1'],
      ['DELETE', '/api/v1/devices/sl-audit', undefined, 'device.delete', 'sl-audit'],
    ];
    for (const [method, url, body, action, target] of steps) {
      const res = await t.http(method, url, { token: t.adminToken, body });
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      const row = await t.app.db.query<{ actor: string; action: string; target_id: string; result: string }>(
        'SELECT actor, action, target_id, result FROM audit_log ORDER BY id DESC LIMIT 1',
      );
      expect(row.rows[0]).toEqual({ actor: 'admin', action, target_id: target, result: 'ok' });
    }
  });

  it('returns clear 4xx errors for bad input and changes nothing', async () => {
    const before = (await t.http<{ total: number }>('GET', '/api/v1/devices', { token: t.adminToken })).body.total;
    const cases: [unknown, number, string][] = [
      [{ kind: 'toaster', name: 'x' }, 400, 'UNKNOWN_KIND'],
      [{ kind: 'streetlight', name: 'x', lat: 123 }, 400, 'VALIDATION'],
      [{ kind: 'streetlight', name: 'x', colour: 'red' }, 400, 'VALIDATION'],
      [{ kind: 'streetlight', name: 'x', groupId: 'no-such-zone' }, 400, 'UNKNOWN_ZONE'],
      [{ id: 'Bad Id!', kind: 'streetlight', name: 'x' }, 400, 'VALIDATION'],
    ];
    for (const [body, status, code] of cases) {
      const r = await t.http<{ error: { code: string; message: string } }>('POST', '/api/v1/devices', { token: t.adminToken, body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message.length).toBeGreaterThan(5);
    }
    expect((await t.http<{ total: number }>('GET', '/api/v1/devices', { token: t.adminToken })).body.total).toBe(before);
    const series = await t.http<{ error: { code: string } }>('GET', '/api/v1/devices/nope/series?metric=power', { token: t.adminToken });
    expect(series.status).toBe(404);
  });

  it('shows device credentials once and stores only a hash', async () => {
    const r = await t.http<{ credentials: { password: string } }>('POST', '/api/v1/devices', {
      token: t.adminToken,
      body: { id: 'ap-secret', kind: 'wifi-ap', name: 'AP' },
    });
    const secret = r.body.credentials.password;
    expect(secret.length).toBeGreaterThanOrEqual(40);
    const got = await t.http<Record<string, unknown>>('GET', '/api/v1/devices/ap-secret', { token: t.adminToken });
    expect(JSON.stringify(got.body)).not.toContain(secret);
    const stored = await t.app.db.query<{ secret_hash: string }>(`SELECT secret_hash FROM device_credentials WHERE device_id = 'ap-secret'`);
    expect(stored.rows[0]?.secret_hash).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);
    expect(stored.rows[0]?.secret_hash).not.toContain(secret);
    const users = await t.app.db.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE username = 'admin'`);
    expect(users.rows[0]?.password_hash).toMatch(/^scrypt\$/);
  });

  it('serves OpenAPI at /docs', async () => {
    const r = await t.app.api.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const spec = JSON.parse(r.body) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/api/v1/devices/{id}/series');
  });
});
