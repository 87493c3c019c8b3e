/**
 * The dashboard's Cameras, Alarms and Reports pages in headless Chromium against the real service (embedded PGlite),
 * a simulated ONVIF camera over loopback HTTP and a simulated streetlight over real MQTT.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { startCameraFleet, type CameraFleet } from '../../simulators/onvif/index.ts';
import { currentHalfYear } from '../../dashboard/src/ui/report-period.ts';
import { browserMissing, launch, shot, waitInPage } from '../helpers/browser.ts';
import { ADMIN_PASSWORD, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);

const CAM_USER = 'admin';
const CAM_PASSWORD = 'cam-Passw0rd==';
const LIGHT = 'sl-hc-1';
const WAIT = { timeout: 60_000 };

interface AlarmRow {
  id: number;
  deviceId: string;
  rule: string;
  state: string;
  acknowledgedBy: string | null;
  ackNote: string | null;
}

/** A string expression for waitInPage (the root tsconfig has no DOM types): an <img> that decoded. */
const imageShown = (selector: string): string =>
  `(() => { const i = document.querySelector(${JSON.stringify(selector)}); return !!i && i.complete && i.naturalWidth > 0; })()`;

describe('dashboard: cameras, alarms and reports in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  let cams: CameraFleet;
  let light: SimulatedDevice;

  beforeAll(async () => {
    if (missing) return;
    cams = await startCameraFleet({ count: 1, username: CAM_USER, password: CAM_PASSWORD });
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    base = t.app.urls().http;
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-2', name: 'Tổ dân phố 2', kind: 'residential_group' } });
    const sim = cams.camera('cam-01');
    const reg = await t.http('POST', '/api/v1/cameras', {
      token: t.adminToken,
      body: {
        id: 'cam-01',
        name: 'Camera ngã tư chợ',
        groupId: 'tdp-2',
        lat: 12.221,
        lon: 109.191,
        connection: { address: sim.xaddr, username: CAM_USER, password: CAM_PASSWORD },
      },
    });
    if (reg.status !== 201) throw new Error(`register camera: ${JSON.stringify(reg.body)}`);
    // One stored snapshot, so the grid has an image from the start (the page's own button is exercised below).
    const snap = await t.http('POST', '/api/v1/cameras/cam-01/snapshots', { token: t.adminToken });
    if (snap.status !== 201) throw new Error(`first snapshot: ${JSON.stringify(snap.body)}`);
    const creds = await t.provision('streetlight', LIGHT, { groupId: 'tdp-2', lat: 12.222, lon: 109.192 });
    light = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: LIGHT, secret: creds.password, kind: 'streetlight' });
    await light.connect();
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await light?.kill().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
    await cams?.close();
  });

  const login = async (page: Page, username: string, password: string): Promise<void> => {
    await page.goto(base);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card', WAIT);
  };

  const alarmsOf = async (): Promise<AlarmRow[]> =>
    (await t.http<{ items: AlarmRow[] }>('GET', `/api/v1/alarms?device=${LIGHT}`, { token: t.adminToken })).body.items;

  it('shows the camera grid with its snapshot, takes a snapshot now, moves the head and saves a preset', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, 'admin', ADMIN_PASSWORD);

    await page.click('a[data-nav="cameras"]');
    await waitInPage(page, imageShown('[data-camera="cam-01"] img.snap'), undefined, WAIT);
    expect(await page.textContent('[data-camera="cam-01"]')).toContain('Camera ngã tư chợ');
    await page.screenshot({ path: shot('cameras') });

    // Detail: the full image, then "take snapshot now" shows the new on-demand snapshot.
    await page.click('[data-camera="cam-01"]');
    await waitInPage(page, imageShown('#cam-full'), undefined, WAIT);
    const snapshots = async (): Promise<{ id: string; trigger: string; requestedBy: string | null }[]> =>
      (
        await t.http<{ items: { id: string; trigger: string; requestedBy: string | null }[] }>('GET', '/api/v1/cameras/cam-01/snapshots?limit=50', {
          token: t.adminToken,
        })
      ).body.items;
    const known = new Set((await snapshots()).map((s) => s.id));
    await page.click('#snap-now');
    const taken = await waitFor(
      async () => (await snapshots()).find((s) => !known.has(s.id) && s.trigger === 'on-demand' && s.requestedBy === 'admin'),
      60_000,
      200,
    );
    await page.waitForSelector(`#cam-full[data-snapshot-id="${taken.id}"]`, WAIT);
    await waitInPage(page, imageShown('#cam-full'), undefined, WAIT);

    // PTZ: hold "pan right", release; the simulated head has turned right and stopped.
    const sim = cams.camera('cam-01');
    const panBefore = sim.state.pan;
    await page.hover('[data-ptz="right"]');
    await page.mouse.down();
    await waitFor(async () => sim.state.pan > panBefore + 0.05, 30_000, 50);
    await page.mouse.up();
    let last = sim.state.pan;
    await waitFor(
      async () => {
        const now = sim.state.pan;
        const still = now === last;
        last = now;
        return still;
      },
      30_000,
      400,
    );
    expect(sim.state.pan).toBeGreaterThan(panBefore);
    await page.waitForSelector('#ptz-position:has-text("pan")', WAIT);
    // Once the head stops, the page takes a fresh picture of what it now looks at and shows it.
    known.add(taken.id);
    const afterMove = await waitFor(async () => (await snapshots()).find((s) => !known.has(s.id) && s.trigger === 'on-demand'), 60_000, 200);
    await page.waitForSelector(`#cam-full[data-snapshot-id="${afterMove.id}"]`, WAIT);
    await waitInPage(page, imageShown('#cam-full'), undefined, WAIT);

    // Presets: save the current position under a Vietnamese name; it is listed with a go-to button.
    await page.fill('#preset-save input[name="preset-name"]', 'Cổng chợ');
    await page.click('#preset-save button[type=submit]');
    await page.waitForSelector('#ptz-presets li:has-text("Cổng chợ") button.goto', WAIT);
    await page.screenshot({ path: shot('camera-detail') });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('an alarm opens live on the overview, is acknowledged from the Alarms page and leaves when it clears', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, 'admin', ADMIN_PASSWORD);
    await page.waitForSelector('#open-alarms h2:has-text("(0)")', WAIT);

    // The streetlight reports a lamp failure over MQTT: the overview shows it without a reload.
    await light.setFault('lampFailure', true);
    await page.waitForSelector(`#open-alarms li[data-state="active"]:has-text("${LIGHT}")`, WAIT);
    const alarm = (await alarmsOf()).find((a) => a.rule === 'lampFailure' && a.state === 'active');
    expect(alarm).toBeDefined();

    // Acknowledge with a note from the Alarms page.
    await page.click('a[data-nav="alarms"]');
    const row = `#alarms-open tr[data-alarm-id="${alarm!.id}"]`;
    await page.waitForSelector(`${row}[data-state="active"] button.ack`, WAIT);
    await page.click(`${row} button.ack`);
    await page.fill(`${row} input.ack-note`, 'Đã cử thợ đi thay bóng');
    await page.click(`${row} button.ack-confirm`);
    await page.waitForSelector(`${row}[data-state="acknowledged"]`, WAIT);
    expect(await page.textContent(row)).toContain('Đã cử thợ đi thay bóng');
    const acked = (await alarmsOf()).find((a) => a.id === alarm!.id);
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin', ackNote: 'Đã cử thợ đi thay bóng' });
    await page.selectOption('#f-sev', 'critical');
    await page.waitForSelector(`${row}[data-state="acknowledged"]`, WAIT);
    await page.screenshot({ path: shot('alarms') });

    // The lamp is repaired: the alarm clears and moves from the open list to the recent one, live.
    await light.setFault('lampFailure', false);
    await page.waitForSelector(row, { state: 'detached', timeout: 60_000 });
    await page.waitForSelector(`#alarms-recent tr[data-alarm-id="${alarm!.id}"][data-state="cleared"]`, WAIT);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('shows the half-year indicators and downloads the report as PDF and CSV', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, 'admin', ADMIN_PASSWORD);
    await page.click('a[data-nav="reports"]');
    const period = currentHalfYear(t.app.config.ward.timezone);
    await page.waitForSelector(`#report-period[data-period="${period}"]`, WAIT);
    await page.waitForSelector('#report-ward tr[data-figure="availability.all"]', WAIT);
    expect(await page.textContent('#report-ward tr[data-figure="devices.total"]')).toContain('2');
    await page.waitForSelector('#report-groups details[data-group="tdp-2"]', WAIT);
    await page.screenshot({ path: shot('reports'), fullPage: true });

    const [pdf] = await Promise.all([page.waitForEvent('download', { timeout: 150_000 }), page.click('#dl-pdf')]);
    expect(pdf.suggestedFilename()).toMatch(/^bao-cao-chi-tieu-.+-6-thang-(dau|cuoi)-nam-\d{4}\.pdf$/);
    const pdfBytes = readFileSync((await pdf.path())!);
    expect(pdfBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const [csv] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#dl-csv')]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    const text = readFileSync((await csv.path())!, 'utf8').replace(/^\uFEFF/, '');
    // The dashboard's CSV is the one Excel with Vietnamese settings opens in columns (semicolons, decimal commas).
    expect(text.split('\r\n')[0]).toMatch(
      /^period;cutoff_day;scope;scope_id;scope_name;indicator;system;label_vi;label_en;value;unit;target_comparator;target;/,
    );
    expect(text).toMatch(new RegExp(`${period};\\d{4}-\\d{2}-\\d{2};ward;`));
    expect(text).toMatch(new RegExp(`${period};\\d{4}-\\d{2}-\\d{2};group;tdp-2;`));
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('hides camera and alarm controls from a viewer, and the API refuses them anyway', async () => {
    if (missing) return;
    const token = await t.userToken('viewer');
    const me = await t.http<{ actor: string }>('GET', '/api/v1/auth/me', { token });
    const page = await browser.newPage();
    await login(page, me.body.actor, 'a-long-password-1');
    await page.goto(`${base}/#/cameras/cam-01`);
    await waitInPage(page, imageShown('#cam-full'), undefined, WAIT);
    await page.waitForSelector('#ptz-presets li', WAIT);
    expect(await page.$$('[data-role-min="operator"]')).toHaveLength(0);
    expect(await page.$('#snap-now')).toBeNull();
    await page.goto(`${base}/#/alarms`);
    await page.waitForSelector('#alarms-recent tr[data-alarm-id]', WAIT);
    expect(await page.$$('[data-role-min="operator"]')).toHaveLength(0);
    const refused = await t.http('POST', '/api/v1/cameras/cam-01/snapshots', { token });
    expect(refused.status).toBe(403);
    await page.close();
  }, 120_000);
});
