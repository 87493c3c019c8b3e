/**
 * Sessions end with the rights they were opened with: logout and disabling a user end their tokens and their live
 * (SSE) streams at once; machine tokens have an owner and an expiry and stop when revoked or when the owner goes.
 * Login throttling per username and per address; a password change for every user; bodies taken as typed.
 * The SSE streams are read over real HTTP (inject cannot stream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

interface LiveStream {
  events: string[];
  ended: Promise<void>;
  abort: () => void;
}

async function openLive(base: string, token: string): Promise<LiveStream> {
  const ctrl = new AbortController();
  const r = await fetch(`${base}/api/v1/live`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  expect(r.status).toBe(200);
  const events: string[] = [];
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const m of value.matchAll(/^event: (.*)$/gm)) events.push(m[1] as string);
      }
    } catch {
      /* aborted */
    }
  })();
  await waitFor(async () => events.includes('hello'));
  return { events, ended, abort: () => ctrl.abort() };
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_r, rej) => setTimeout(() => rej(new Error(`${what} did not happen within ${ms} ms`)), ms))]);

describe('sessions, machine tokens and logins', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({
      db: await openPglite({ dataDir: null, log: silentLogger() }),
      env: { SW_LOGIN_USER_MAX_FAILURES: '3', SW_LOGIN_ADDRESS_MAX_FAILURES: '6', SW_LOGIN_LOCKOUT_S: '600', SW_API_TOKEN_MAX_DAYS: '30' },
    });
    base = t.app.urls().http;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await t?.app.db.close();
  });

  const login = (username: string, password: string, remoteAddress = '127.0.0.1') =>
    t.app.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });
  const newUser = async (username: string, role = 'viewer'): Promise<string> => {
    const c = await t.http('POST', '/api/v1/users', { token: t.adminToken, body: { username, role, password: 'a-long-password-1' } });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    return (JSON.parse((await login(username, 'a-long-password-1')).body) as { token: string }).token;
  };

  it('disabling a user ends their sessions and their open live streams at once', async () => {
    const token = await newUser('disable-me');
    const live = await openLive(base, token);
    const other = await openLive(base, t.adminToken);
    expect((await t.http('PATCH', '/api/v1/users/disable-me', { token: t.adminToken, body: { disabled: true } })).status).toBe(200);
    await within(live.ended, 3000, "the disabled user's stream ending");
    expect(live.events).toContain('revoked');
    expect((await t.http('GET', '/api/v1/auth/me', { token })).status).toBe(401);
    // Nobody else's stream is touched.
    await new Promise((r) => setTimeout(r, 200));
    expect(other.events).not.toContain('revoked');
    other.abort();
  });

  it('logout ends the live streams opened with that session, not those of another session', async () => {
    const first = await newUser('logs-out');
    const second = (JSON.parse((await login('logs-out', 'a-long-password-1')).body) as { token: string }).token;
    const a = await openLive(base, first);
    const b = await openLive(base, second);
    expect((await t.http('POST', '/api/v1/auth/logout', { token: first })).status).toBe(204);
    await within(a.ended, 3000, 'the logged-out stream ending');
    expect((await t.http('GET', '/api/v1/auth/me', { token: first })).status).toBe(401);
    expect((await t.http('GET', '/api/v1/auth/me', { token: second })).status).toBe(200);
    expect(b.events).not.toContain('revoked');
    b.abort();
  });

  it('a live stream ends when its token expires', async () => {
    const admin2 = await newUser('token-maker', 'admin');
    const soon = new Date(Date.now() + 1500).toISOString();
    const r = await t.http<{ token: string }>('POST', '/api/v1/tokens', { token: admin2, body: { name: 'short', role: 'viewer', expiresAt: soon } });
    expect(r.status).toBe(201);
    const live = await openLive(base, r.body.token);
    await within(live.ended, 5000, 'the stream ending at the token expiry');
    expect(live.events).toContain('revoked');
    expect((await t.http('GET', '/api/v1/auth/me', { token: r.body.token })).status).toBe(401);
  });

  it('machine tokens have an owner and a bounded expiry, and stop when revoked or when the owner is disabled', async () => {
    const owner = await newUser('machine-owner', 'admin');
    const made = await t.http<{ token: string; id: string; userId: string; expiresAt: string }>('POST', '/api/v1/tokens', {
      token: owner,
      body: { name: 'scada', role: 'viewer' },
    });
    expect(made.status).toBe(201);
    expect(made.body.userId).toBeTruthy();
    const days = (Date.parse(made.body.expiresAt) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30); // the default 90 days, capped by SW_API_TOKEN_MAX_DAYS=30
    const listed = await t.http<{ items: { id: string; owner: string }[] }>('GET', '/api/v1/tokens', { token: t.adminToken });
    expect(listed.body.items.find((x) => x.id === made.body.id)?.owner).toBe('machine-owner');
    const tooLong = await t.http<{ error: { code: string } }>('POST', '/api/v1/tokens', {
      token: owner,
      body: { name: 'forever', role: 'viewer', expiresAt: new Date(Date.now() + 40 * 86400_000).toISOString() },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('BAD_EXPIRY');
    const past = await t.http('POST', '/api/v1/tokens', { token: owner, body: { name: 'past', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);

    // The owner disabled: the token stops, and its open stream ends.
    expect((await t.http('GET', '/api/v1/devices', { token: made.body.token })).status).toBe(200);
    const live = await openLive(base, made.body.token);
    expect((await t.http('PATCH', '/api/v1/users/machine-owner', { token: t.adminToken, body: { disabled: true } })).status).toBe(200);
    await within(live.ended, 3000, "the machine token's stream ending");
    expect((await t.http('GET', '/api/v1/devices', { token: made.body.token })).status).toBe(401);

    // Revoked by an administrator: stops at once too.
    const second = await t.http<{ token: string; id: string }>('POST', '/api/v1/tokens', { token: t.adminToken, body: { name: 'second', role: 'viewer' } });
    const live2 = await openLive(base, second.body.token);
    expect((await t.http('DELETE', `/api/v1/tokens/${second.body.id}`, { token: t.adminToken })).status).toBe(204);
    await within(live2.ended, 3000, "the revoked token's stream ending");
    expect((await t.http('GET', '/api/v1/devices', { token: second.body.token })).status).toBe(401);
  });

  it('every user can change their own password; other sessions end, the current one stays', async () => {
    const token = await newUser('changes-pw');
    const other = (JSON.parse((await login('changes-pw', 'a-long-password-1')).body) as { token: string }).token;
    const wrong = await t.http<{ error: { code: string } }>('POST', '/api/v1/auth/password', {
      token,
      body: { currentPassword: 'not-it', newPassword: 'a-new-long-password' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('BAD_PASSWORD');
    const short = await t.http('POST', '/api/v1/auth/password', { token, body: { currentPassword: 'a-long-password-1', newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(
      (await t.http('POST', '/api/v1/auth/password', { token, body: { currentPassword: 'a-long-password-1', newPassword: 'a-new-long-password' } })).status,
    ).toBe(204);
    expect((await t.http('GET', '/api/v1/auth/me', { token })).status).toBe(200);
    expect((await t.http('GET', '/api/v1/auth/me', { token: other })).status).toBe(401);
    expect((await login('changes-pw', 'a-long-password-1')).statusCode).toBe(401);
    expect((await login('changes-pw', 'a-new-long-password')).statusCode).toBe(200);
    const audit = await t.app.db.query<{ action: string; result: string }>(
      `SELECT action, result FROM audit_log WHERE action = 'auth.change-password' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.result)).toEqual(['error', 'error', 'ok']);
  });

  it('locks a username after repeated failures, even for the right password, without locking others', async () => {
    await newUser('guessed');
    for (let i = 0; i < 3; i++) expect((await login('guessed', `wrong-${i}`, `10.1.0.${i}`)).statusCode).toBe(401);
    const locked = await login('guessed', 'a-long-password-1', '10.1.0.9');
    expect(locked.statusCode).toBe(429);
    expect(JSON.parse(locked.body).error.code).toBe('LOGIN_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('admin', 'admin-password-for-tests', '10.1.0.9')).statusCode).toBe(200);
    // An administrator re-enabling or resetting the password clears the lock.
    await t.http('PATCH', '/api/v1/users/guessed', { token: t.adminToken, body: { password: 'a-long-password-2' } });
    expect((await login('guessed', 'a-long-password-2', '10.1.0.9')).statusCode).toBe(200);
  });

  it('locks an address that sprays usernames, while other addresses still log in', async () => {
    for (let i = 0; i < 6; i++) expect((await login(`nobody-${i}`, 'x', '203.0.113.5')).statusCode).toBe(401);
    expect((await login('admin', 'admin-password-for-tests', '203.0.113.5')).statusCode).toBe(429);
    expect((await login('admin', 'admin-password-for-tests', '203.0.113.6')).statusCode).toBe(200);
  });

  it('takes request bodies as typed: no coercion of booleans, numbers or null into strings', async () => {
    const before = (await t.http<{ items: unknown[] }>('GET', '/api/v1/users', { token: t.adminToken })).body.items.length;
    for (const username of [false, 12345, null]) {
      const r = await t.http<{ error: { code: string } }>('POST', '/api/v1/users', {
        token: t.adminToken,
        body: { username, role: 'viewer', password: 'a-long-password-1' },
      });
      expect(r.status, String(username)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION');
    }
    const r = await t.http('PATCH', '/api/v1/users/guessed', { token: t.adminToken, body: { disabled: 'yes' } });
    expect(r.status).toBe(400);
    expect((await t.http<{ items: unknown[] }>('GET', '/api/v1/users', { token: t.adminToken })).body.items.length).toBe(before);
    // Query strings are text on the wire and are still read as numbers.
    expect((await t.http('GET', '/api/v1/audit?limit=2', { token: t.adminToken })).status).toBe(200);
  });

  it('sends security headers on the dashboard and the API', async () => {
    for (const url of ['/', '/app.js', '/api/v1/devices', '/health']) {
      const r = await t.app.api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.adminToken}` } });
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).not.toContain("script-src 'self' 'unsafe-inline'");
    }
  });
});
