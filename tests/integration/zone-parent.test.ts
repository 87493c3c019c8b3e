import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

describe('zone parents (the zones management screen moves zones)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
  });
  afterAll(async () => {
    await t?.close();
    await t?.app.db.close();
  });
  const api = <T = { error: { code: string } }>(method: string, url: string, body?: unknown) =>
    t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });

  it('refuses a zone as its own parent, under its own sub-zone, or under a zone that does not exist', async () => {
    await api('POST', '/zones', { id: 'ward-a', name: 'Khu A', kind: 'area' });
    await api('POST', '/zones', { id: 'tdp-a1', name: 'Tổ A1', kind: 'residential_group', parentId: 'ward-a' });
    await api('POST', '/zones', { id: 'ngo-a1', name: 'Ngõ A1', kind: 'lighting_zone', parentId: 'tdp-a1' });
    const self = await api('PATCH', '/zones/ward-a', { parentId: 'ward-a' });
    expect([self.status, self.body.error.code]).toEqual([400, 'ZONE_CYCLE']);
    const loop = await api('PATCH', '/zones/ward-a', { parentId: 'ngo-a1' });
    expect([loop.status, loop.body.error.code]).toEqual([400, 'ZONE_CYCLE']);
    const none = await api('PATCH', '/zones/tdp-a1', { parentId: 'nowhere' });
    expect([none.status, none.body.error.code]).toEqual([400, 'UNKNOWN_ZONE']);
    expect((await api('PATCH', '/zones/ghost', { name: 'x' })).status).toBe(404);
    const ok = await api<{ parentId: string | null }>('PATCH', '/zones/ngo-a1', { parentId: 'ward-a' });
    expect([ok.status, ok.body.parentId]).toEqual([200, 'ward-a']);
    expect((await api<{ parentId: string | null }>('PATCH', '/zones/ngo-a1', { parentId: null })).body.parentId).toBeNull();
  });
});
