/**
 * The report's print view from the dashboard (issue 14): a service with no Chromium of its own still gives the ward
 * office its official report, as HTML the browser prints with the report's print CSS. The PDF button says why it
 * cannot work there; the cut-off day and plan targets reach the page.
 */
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { browserMissing, launch, shot, waitInPage } from '../helpers/browser.ts';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/test-app.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);
const WAIT = { timeout: 60_000 };

describe('dashboard: the report print view on a service without Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (missing) return;
    t = await startTestApp({
      db: await openPglite({ dataDir: null, log: silentLogger() }),
      env: { SW_REPORT_CHROMIUM_PATH: '/nonexistent/chromium', SW_REPORT_SIGNER_NAME: 'Trần Thị Bình' },
    });
    base = t.app.urls().http;
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-1', name: 'Tổ dân phố 1', kind: 'residential_group' } });
    await t.provision('streetlight', 'sl-print-1', { groupId: 'tdp-1', installedAt: '2026-01-05T00:00:00.000Z' });
    const target = await t.http('PUT', '/api/v1/plan-targets/streetlight.devices/2026', {
      token: t.adminToken,
      body: { comparator: '>=', target: 1, source: 'Kế hoạch năm 2026' },
    });
    if (target.status !== 200) throw new Error(`target: ${JSON.stringify(target.body)}`);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
  });

  const login = async (page: Page): Promise<void> => {
    await page.goto(base);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card', WAIT);
  };

  it('shows the official report in a print view, cut off at the chosen day, with targets, while the PDF is refused', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page);
    await page.goto(`${base}/#/reports/2026-H1`);
    await page.waitForSelector('#report-period[data-period="2026-H1"]', WAIT);
    // The plan's target and its assessment on the page.
    await page.waitForSelector('#report-ward tr[data-figure="streetlight.devices"] td[data-col="target"]', WAIT);
    expect(await page.textContent('#report-ward tr[data-figure="streetlight.devices"] td[data-col="target"]')).toContain('≥ 1');
    expect(await page.textContent('#report-ward tr[data-figure="streetlight.devices"] td[data-col="assessment"]')).toBe('Đạt');
    // Cut-off: data up to the end of 20/06/2026.
    await page.fill('#r-asof', '2026-06-20');
    await page.dispatchEvent('#r-asof', 'change');
    await waitInPage(page, `document.querySelector('#report-head')?.textContent?.includes('20/06/2026')`, undefined, WAIT);

    await page.click('#print-view');
    const handle = await page.waitForSelector('#report-frame', WAIT);
    const frame = (await handle.contentFrame()) as Frame;
    await frame.waitForSelector('.doc-head', WAIT);
    const text = (await frame.textContent('body')) ?? '';
    for (const s of [
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      'BÁO CÁO',
      'Nơi nhận',
      'Trần Thị Bình',
      'số liệu tính đến hết ngày 20/06/2026',
    ])
      expect(text, s).toContain(s);
    // The print CSS the browser applies: A4 pages, page numbers, headings repeated.
    const css = (await frame.textContent('style')) ?? '';
    expect(css).toMatch(/@page \{ size: A4/);
    expect(css).toContain('counter(page)');
    expect(await frame.evaluate("getComputedStyle(document.querySelector('table.figures thead')).display")).toBe('table-header-group');
    expect(await page.isVisible('#print-report')).toBe(true);
    await page.screenshot({ path: shot('report-print-view'), fullPage: false });

    // PDF needs Chromium on the server: the operator is told, the page stays usable.
    await page.click('#dl-pdf');
    await waitInPage(page, `document.body.textContent.includes('Chromium')`, undefined, WAIT);
    expect(await page.isVisible('#report-frame')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
