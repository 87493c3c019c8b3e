/** Every user changes their own password from the dashboard; the dashboard runs under its Content-Security-Policy. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { browserMissing, launch, waitInPage } from '../helpers/browser.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);

describe('password change in the dashboard', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    if (missing) return;
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    await t.http('POST', '/api/v1/users', { token: t.adminToken, body: { username: 'viewer-pw', role: 'viewer', password: 'first-long-password' } });
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
  });

  it('a viewer changes their password from the header link; the old one stops working', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(t.app.urls().http);
    await page.fill('input[name=username]', 'viewer-pw');
    await page.fill('input[name=password]', 'first-long-password');
    await page.click('button[type=submit]');
    await page.click('#account');
    await page.waitForSelector('#password-form');
    await page.fill('input[name=currentPassword]', 'first-long-password');
    await page.fill('input[name=newPassword]', 'second-long-password');
    await page.fill('input[name=repeatPassword]', 'other-long-password');
    await page.click('#password-form button[type=submit]');
    expect(await page.textContent('#password-status')).toContain('không giống nhau');
    await page.fill('input[name=repeatPassword]', 'second-long-password');
    await page.click('#password-form button[type=submit]');
    await waitInPage(page, () =>
      (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document
        .querySelector('#password-status')
        ?.textContent?.includes('Đã đổi mật khẩu'),
    );
    const old = await t.app.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'viewer-pw', password: 'first-long-password' } });
    expect(old.statusCode).toBe(401);
    const fresh = await t.app.api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'viewer-pw', password: 'second-long-password' } });
    expect(fresh.statusCode).toBe(200);
    expect(problems).toEqual([]);
  }, 60_000);
});
