import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { connectDevice, startTestApp, type TestApp } from '../helpers/test-app.ts';

const { unavailable } = await dbModes();

/** The CONNACK return code of a refused CONNECT (3 = server unavailable, 4 = bad credentials), or 0 when accepted. */
async function connectCode(url: string, creds: { username: string; password: string }): Promise<number> {
  try {
    const c = await connectDevice(url, creds);
    await c.endAsync();
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe('devices reconnect while the database is down (verified credential cache)', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (unavailable.postgres) return;
    scratch = await createScratchDatabase(PG_ADMIN_URL);
    const target = new URL(scratch.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    target.host = `127.0.0.1:${await proxy.start()}`;
    t = await startTestApp({ databaseUrl: target.toString() });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await scratch?.drop();
  });

  it('lets in known devices only, with their current secret; rotation and deletion take effect at once', async () => {
    if (unavailable.postgres) {
      console.warn(`[credential-cache] SKIPPED: ${unavailable.postgres}`);
      return;
    }
    const known = await t.provision('streetlight', 'sl-cc-known');
    const rotated = await t.provision('streetlight', 'sl-cc-rotated');
    const deleted = await t.provision('streetlight', 'sl-cc-deleted');
    const never = await t.provision('streetlight', 'sl-cc-never');
    for (const c of [known, rotated, deleted]) expect(await connectCode(t.mqttUrl, c)).toBe(0);
    const r = await t.http<{ credentials: { password: string } }>('POST', '/api/v1/devices/sl-cc-rotated/credentials/rotate', { token: t.adminToken });
    expect(r.status).toBe(200);
    expect((await t.http('DELETE', '/api/v1/devices/sl-cc-deleted', { token: t.adminToken })).status).toBe(204);

    proxy.cut();
    try {
      expect(await connectCode(t.mqttUrl, known)).toBe(0);
      expect(await connectCode(t.mqttUrl, { ...known, password: `${known.password}x` })).toBe(4);
      // Rotated: neither the old secret (forgotten) nor the new one (never verified) is served from memory.
      expect(await connectCode(t.mqttUrl, rotated)).toBe(3);
      expect(await connectCode(t.mqttUrl, { ...rotated, password: r.body.credentials.password })).toBe(3);
      expect(await connectCode(t.mqttUrl, deleted)).toBe(3);
      expect(await connectCode(t.mqttUrl, never)).toBe(3);
      expect(await t.app.metrics.value('sw_auth_cache_total', { result: 'accepted' })).toBe(1);
    } finally {
      proxy.restore();
    }
    expect(await connectCode(t.mqttUrl, { ...rotated, password: r.body.credentials.password })).toBe(0);
  });
});
