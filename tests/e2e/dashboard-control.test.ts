/**
 * The Lighting and Radio pages against the real service (embedded PGlite), real simulated MQTT streetlights and
 * loudspeaker clusters that answer commands, in headless Chromium.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import { browserMissing, launch, shot } from '../helpers/browser.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { wav } from '../integration/control-audio-fixtures.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED browser checks: ${missing}`);

/** Generous: the machine has two cores and other suites run beside this one. */
const WAIT = { timeout: 60_000 };
const LIGHTS = ['sl-c-1', 'sl-c-2', 'sl-c-3', 'sl-c-4', 'sl-c-5'];
const SPEAKERS = ['spk-c-1', 'spk-c-2'];

interface BroadcastRow {
  id: string;
  title: string;
  priority: string;
  status: string;
  zoneIds: string[];
  rrule: string | null;
}

describe('dashboard: lighting and radio in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const sims = new Map<string, SimulatedDevice>();
  const users: Record<'operator' | 'viewer', string> = { operator: '', viewer: '' };

  beforeAll(async () => {
    if (missing) return;
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    base = t.app.urls().http;
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-7', name: 'Tổ dân phố 7', kind: 'residential_group' } });
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-8', name: 'Tổ dân phố 8', kind: 'residential_group' } });
    for (const [i, id] of [...LIGHTS, ...SPEAKERS].entries()) {
      const kind = id.startsWith('sl-') ? 'streetlight' : 'speaker';
      const c = await t.provision(kind, id, { groupId: 'tdp-7', lat: 12.22 + i * 0.0004, lon: 109.19 });
      const d = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: id, secret: c.password, kind });
      d.on('clientError', () => undefined);
      sims.set(id, d);
    }
    // A light in the other group stays out of the zone command (and offline: it would never answer).
    await t.provision('streetlight', 'sl-other', { groupId: 'tdp-8' });
    for (const d of sims.values()) await d.connect();
    await waitFor(async () => {
      const r = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM device_state WHERE online AND device_id LIKE '%-c-%'`);
      return r.rows[0]?.n === sims.size;
    }, 30_000);
    for (const role of ['operator', 'viewer'] as const) {
      const token = await t.userToken(role);
      users[role] = (await t.http<{ actor: string }>('GET', '/api/v1/auth/me', { token })).body.actor;
    }
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    for (const s of sims.values()) await s.kill().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
  });

  const login = async (page: Page, username: string): Promise<void> => {
    await page.goto(base);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', 'a-long-password-1');
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card', WAIT);
  };
  const broadcasts = async (): Promise<BroadcastRow[]> =>
    (await t.http<{ items: BroadcastRow[] }>('GET', '/api/v1/radio/broadcasts', { token: t.adminToken })).body.items;

  it('an operator dims a zone of lights and sees every light acknowledge, live; programs are edited in forms', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await login(page, users.operator);
    await page.click('a[data-nav="lighting"]');
    await page.waitForSelector('#lt-apply', { ...WAIT, state: 'visible' });

    await page.selectOption('#lt-mode', 'zone');
    await page.selectOption('#lt-zone', 'tdp-7');
    await page.fill('#lt-level', '30');
    await page.selectOption('#lt-duration', '3600');
    await page.click('#lt-apply');
    // Every light of the group answers over MQTT; the table fills in as the acknowledgements arrive.
    await page.waitForSelector('#lt-acks[data-done="true"]', WAIT);
    expect(await page.getAttribute('#lt-acks', 'data-total')).toBe(String(LIGHTS.length));
    expect(await page.getAttribute('#lt-acks', 'data-acked')).toBe(String(LIGHTS.length));
    const states = await page.$$eval('#lt-ack-table tr[data-device]', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-device'), tr.getAttribute('data-state')]),
    );
    expect(states.sort()).toEqual(LIGHTS.map((id) => [id, 'acknowledged']));
    // What the page shows is what the lights did.
    for (const id of LIGHTS) {
      const cmd = sims.get(id)?.recentCommands.find((c) => c.name === 'setLevel');
      expect(cmd?.params).toMatchObject({ level: 30, reason: 'override' });
    }
    const commandId = (await page.getAttribute('#lt-acks', 'data-command')) ?? '';
    const follow = await t.http<{ command: { state: string; target: unknown } }>('GET', `/api/v1/commands/${encodeURIComponent(commandId)}`, {
      token: t.adminToken,
    });
    expect(follow.body.command).toMatchObject({ state: 'acknowledged', target: { type: 'zone', id: 'tdp-7' } });

    // Two lights picked from the list go back to their program (resume is followed by the id the server gives it).
    await page.selectOption('#lt-mode', 'devices');
    await page.check('#lt-lights input[data-device="sl-c-1"]');
    await page.check('#lt-lights input[data-device="sl-c-2"]');
    await page.click('#lt-resume');
    await page.waitForSelector(`#lt-acks[data-done="true"]:not([data-command="${commandId}"])`, WAIT);
    expect(await page.getAttribute('#lt-acks', 'data-acked')).toBe('2');
    for (const id of ['sl-c-1', 'sl-c-2']) expect(sims.get(id)?.recentCommands.some((c) => c.name === 'clearOverride')).toBe(true);
    expect(sims.get('sl-c-3')?.recentCommands.some((c) => c.name === 'clearOverride')).toBe(false);

    // Programs: created from the form, listed, pushed.
    await page.click('#program-new');
    await page.fill('#program-form input[name=id]', 'dem-thuong');
    await page.fill('#program-form input[name=name]', 'Đêm thường');
    await page.click('#program-form button[type=submit]');
    await page.waitForSelector('#lt-programs tr[data-program="dem-thuong"]', WAIT);
    const programs = await t.http<{ items: { id: string; steps: unknown[] }[] }>('GET', '/api/v1/lighting/programs', { token: t.adminToken });
    expect(programs.body.items.find((p) => p.id === 'dem-thuong')?.steps).toHaveLength(3);
    await page.screenshot({ path: shot('lighting'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('an operator uploads audio, checks for clashes, schedules a broadcast and sees it listed', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await login(page, users.operator);
    await page.click('a[data-nav="radio"]');
    await page.waitForSelector('#audio-upload', { ...WAIT, state: 'visible' });

    await page.setInputFiles('#audio-file', { name: 'thong-bao.wav', mimeType: 'audio/wav', buffer: wav(3) });
    await page.fill('#audio-title', 'Thông báo họp tổ dân phố');
    await page.click('#audio-upload');
    await page.waitForSelector('#audio-table tr[data-audio]', WAIT);
    const audioId = (await page.getAttribute('#audio-table tr[data-audio]', 'data-audio')) ?? '';
    expect(audioId).not.toBe('');

    await page.fill('#bc-title', 'Bản tin tối');
    await page.selectOption('#bc-audio', audioId);
    await page.check('#bc-zones input[data-zone="tdp-7"]');
    await page.selectOption('#bc-repeat', 'daily');
    await page.click('#bc-check');
    await page.waitForSelector('#bc-clashes[data-conflicts="0"]', WAIT);
    await page.click('#bc-save');
    await page.waitForSelector('#bc-table tr[data-status="scheduled"]', WAIT);
    expect(await page.textContent('#bc-table')).toContain('Bản tin tối');
    const first = (await broadcasts()).find((b) => b.title === 'Bản tin tối');
    expect(first).toMatchObject({ priority: 'normal', status: 'scheduled', zoneIds: ['tdp-7'], rrule: 'FREQ=DAILY' });

    // The same time again clashes: saving first shows the clash and asks for a second, explicit click.
    await page.fill('#bc-title', 'Bản tin trùng giờ');
    await page.click('#bc-save');
    await page.waitForSelector('#bc-clashes[data-conflicts="1"]', WAIT);
    expect((await broadcasts()).some((b) => b.title === 'Bản tin trùng giờ')).toBe(false);
    await page.click('#bc-save');
    await page.waitForSelector('#bc-conflicts [data-conflict]', WAIT);
    expect((await broadcasts()).some((b) => b.title === 'Bản tin trùng giờ')).toBe(true);

    // Emergency: nothing is sent until the confirmation is typed.
    await page.click('#bc-emergency');
    await page.waitForSelector('#emergency-dialog[open]', WAIT);
    expect(await page.isDisabled('#em-send')).toBe(true);
    await page.selectOption('#em-audio', audioId);
    await page.check('#em-clusters input[data-cluster="spk-c-1"]');
    await page.fill('#em-confirm-text', 'KHẨN CẤP');
    expect(await page.isDisabled('#em-send')).toBe(false);
    await page.click('#em-send');
    // The report of the emergency opens and fills in as the cluster acknowledges it (live, no reload).
    await page.waitForSelector('#bc-report tr[data-cluster="spk-c-1"] .badge.acknowledged', WAIT);
    const emergency = (await broadcasts()).find((b) => b.priority === 'emergency');
    expect(emergency).toBeDefined();
    expect(sims.get('spk-c-1')?.recentCommands.some((c) => c.name === 'play' && c.params.broadcastId === emergency?.id)).toBe(true);
    expect(sims.get('spk-c-2')?.recentCommands.some((c) => c.params.broadcastId === emergency?.id)).toBe(false);
    await page.screenshot({ path: shot('radio'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('a viewer sees lighting and radio without any operator control', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await login(page, users.viewer);
    await page.click('a[data-nav="lighting"]');
    await page.waitForSelector('#lt-programs tr[data-program="dem-thuong"]', WAIT);
    expect(await page.$$('[data-role-min="operator"]')).not.toHaveLength(0);
    expect(await page.$$('[data-role-min="operator"]:visible')).toHaveLength(0);
    expect(await page.isVisible('#lt-apply')).toBe(false);
    expect(await page.isVisible('#program-new')).toBe(false);

    await page.click('a[data-nav="radio"]');
    await page.waitForSelector('#bc-table tr[data-broadcast]', WAIT);
    expect(await page.$$('[data-role-min="operator"]:visible')).toHaveLength(0);
    for (const sel of ['#bc-emergency', '#audio-upload', '#bc-save', '[data-action="cancel"]']) expect(await page.isVisible(sel)).toBe(false);
    expect(await page.textContent('#bc-table')).toContain('Bản tin tối');
    await page.close();
  }, 120_000);
});
