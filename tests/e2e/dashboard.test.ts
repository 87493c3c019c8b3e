import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { browserMissing, launch, shot, type PageGlobals, waitInPage } from '../helpers/browser.ts';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/test-app.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);

describe('operators’ dashboard in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const sims: SimulatedDevice[] = [];

  beforeAll(async () => {
    if (missing) return;
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    base = t.app.urls().http;
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-1', name: 'Tổ dân phố 1', kind: 'residential_group' } });
    for (let i = 0; i < 12; i++) {
      const kind = i < 8 ? 'streetlight' : i < 10 ? 'wifi-ap' : 'speaker';
      const id = `${kind === 'streetlight' ? 'sl' : kind === 'wifi-ap' ? 'ap' : 'spk'}-e2e-${i}`;
      const c = await t.provision(kind, id, { groupId: 'tdp-1', lat: 12.22 + i * 0.0005, lon: 109.19 + (i % 3) * 0.0005 });
      if (i < 3) sims.push(new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: id, secret: c.password, kind }));
    }
    browser = await launch();
  });
  afterAll(async () => {
    for (const s of sims) await s.kill().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
  });

  const login = async (page: Page, username: string, password: string): Promise<void> => {
    await page.goto(base);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card');
  };

  it('logs in, shows the fleet, and updates live when devices come online', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, 'admin', ADMIN_PASSWORD);
    expect(await page.textContent('[data-kind="streetlight"] .big')).toBe('8');
    expect(await page.textContent('html')).toContain('Đèn chiếu sáng');
    await page.screenshot({ path: shot('overview-before') });
    // Three devices connect over real MQTT: the overview turns them online without a reload.
    for (const s of sims) await s.connect();
    await waitInPage(
      page,
      () => (globalThis as unknown as PageGlobals).document.querySelector('[data-kind="streetlight"] .legend')?.textContent?.includes('Trực tuyến 3'),
      undefined,
      { timeout: 15_000 },
    );
    await page.screenshot({ path: shot('overview') });

    await page.click('a[data-nav="map"]');
    await page.waitForSelector('#map[data-markers="12"]');
    await page.selectOption('#f-health', 'ok');
    await page.waitForSelector('#map[data-markers="3"]');
    await page.screenshot({ path: shot('map') });

    await page.goto(`${base}/#/device/sl-e2e-0`);
    await sims[0]!.publishTelemetry();
    await page.waitForSelector('#device-state dl.kv dt');
    await page.screenshot({ path: shot('device') });

    await page.click('#lang');
    await page.waitForSelector('text=Log out');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('hides what a viewer may not do and the API refuses it anyway', async () => {
    if (missing) return;
    const token = await t.userToken('viewer');
    const me = await t.http<{ actor: string }>('GET', '/api/v1/auth/me', { token });
    const page = await browser.newPage();
    await login(page, me.body.actor, 'a-long-password-1');
    const navs = await page.$$eval('header nav a', (as) => as.map((a) => a.getAttribute('data-nav')));
    expect(navs).toContain('overview');
    expect(await page.$$('[data-role-min="operator"]:visible')).toHaveLength(0);
    const refused = await page.evaluate(async () => {
      const r = await fetch('/api/v1/devices', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${(globalThis as unknown as PageGlobals).sessionStorage.getItem('sw.token') ?? ''}`,
        },
        body: JSON.stringify({ kind: 'streetlight', name: 'x' }),
      });
      return r.status;
    });
    expect(refused).toBe(403);
    await page.close();
  });
});
