/**
 * Province tenancy in the dashboard: the header names the user's ward; a province-wide user picks a ward or the whole
 * province, and the report follows the choice. Runs under the dashboard's Content-Security-Policy.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { browserMissing, launch, waitInPage, type PageGlobals } from '../helpers/browser.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);

const PASSWORD = 'a-long-password-1';

describe('wards in the dashboard', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (missing) return;
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    await t.http('POST', '/api/v1/wards', { token: t.adminToken, body: { code: '22331', name: 'Phường Ba Ngòi' } });
    await t.provision('streetlight', 'sl-a', { wardCode: '22330' });
    await t.provision('streetlight', 'sl-b', { wardCode: '22331' });
    for (const [username, wards] of [
      ['ward-b', { wards: ['22331'] }],
      ['province', { wards: [], province: true }],
    ] as const) {
      await t.http('POST', '/api/v1/users', { token: t.adminToken, body: { username, role: 'viewer', password: PASSWORD } });
      await t.http('PUT', `/api/v1/users/${username}/wards`, { token: t.adminToken, body: wards });
    }
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
  });

  const open = async (username: string): Promise<{ page: Page; problems: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(t.app.urls().http);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('header.top');
    return { page, problems };
  };
  const text = (sel: string) => (globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? '';

  it("a ward's viewer sees their ward's name in the header and no picker", async () => {
    if (missing) return;
    const { page, problems } = await open('ward-b');
    await waitInPage(page, (sel) => (globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent === 'Phường Ba Ngòi', '#ward-name');
    expect(await page.$('#ward-select')).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('a province viewer picks the whole province or one ward, and the report follows', async () => {
    if (missing) return;
    const { page, problems } = await open('province');
    await page.waitForSelector('#ward-select');
    const options = await page.$$eval('#ward-select option', (os) => os.map((o) => (o as unknown as { value: string }).value));
    expect(options).toEqual(['', '22330', '22331']);
    await page.goto(`${t.app.urls().http}/#/reports`);
    await waitInPage(
      page,
      (sel) => /\d phường|Tỉnh|Toàn tỉnh/.test((globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? ''),
      '#report-period',
    );
    expect(await page.evaluate(text, '#report-period')).toMatch(/^Toàn tỉnh/);
    await page.selectOption('#ward-select', '22331');
    await waitInPage(
      page,
      (sel) => ((globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? '').startsWith('Phường Ba Ngòi'),
      '#report-period',
    );
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('sw.ward'))).toBe('22331');
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
