/**
 * Issue 15 end to end in Chromium: the WiFi and province-link pages against the real service. Simulated access points
 * send their session and portal records over MQTT (what the wifi-ap model produces), the province stand-in sends an
 * emergency bulletin that preempts a ward bulletin on two simulated clusters and a normal one that waits for the ward,
 * and its context broker goes down and comes back. The pages must show all of it in Vietnamese, never a MAC or phone
 * number, and a viewer must see none of the operator's or administrator's actions. Plan targets reach the WiFi page
 * and the reports page (actual against target, faults raised/fixed and MTTR).
 * With SW_SCREENSHOTS_DIR set (`npm run screenshots`) the pages are saved there too.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../services/broker/topics.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { currentHalfYear } from '../../dashboard/src/ui/report-period.ts';
import { SimulatedDevice } from '../../simulators/mqtt/index.ts';
import type { ModelEvent } from '../../simulators/mqtt/models/model.ts';
import { wifiApModel } from '../../simulators/mqtt/models/wifi-ap.model.ts';
import { ProvinceStandIn } from '../../simulators/province/stand-in.ts';
import { browserMissing, launch, shot, waitInPage } from '../helpers/browser.ts';
import { ADMIN_PASSWORD, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { wav } from '../integration/control-audio-fixtures.ts';

const missing = browserMissing();
if (missing) console.warn(`[e2e] SKIPPED WiFi and province-link browser checks: ${missing}`);
const SHOTS = process.env.SW_SCREENSHOTS_DIR ? path.resolve(process.env.SW_SCREENSHOTS_DIR) : null;
const WAIT = { timeout: 30_000 };
const HOUR = 3_600_000;
const BROKER_TOKEN = 'province-broker-token-for-e2e-0001';
const INBOUND_TOKEN = 'province-inbound-token-for-e2e-000000000001';
const VIEWER = { username: 'xem-wifi', password: 'a-long-password-1' };

/** The records the access-point model makes over `hours` ending now (sessions still open at the end stay open). */
function modelEvents(seed: number, hours: number, end: number): ModelEvent[] {
  let s = wifiApModel.init({ seed, now: end - hours * HOUR, firmware: 'e2e' });
  const out: ModelEvent[] = [];
  for (let t = end - hours * HOUR; t < end; t += 300_000) {
    const step = wifiApModel.advance(s, Math.min(end, t + 300_000));
    s = step.state;
    out.push(...step.events.filter((e) => e.event.startsWith('session') || e.event === 'portalLogin'));
  }
  return out;
}

describe('the WiFi and province-link pages', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const standIn = new ProvinceStandIn({ token: BROKER_TOKEN });
  const sims: SimulatedDevice[] = [];
  const sent: { deviceId: string; e: ModelEvent }[] = [];
  const api = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => t.http<T>(method, `/api/v1${url}`, { token: t.adminToken, body });

  beforeAll(async () => {
    if (missing) return;
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    await standIn.start();
    t = await startTestApp({
      db: await openPglite({ dataDir: null, log: silentLogger() }),
      env: {
        SW_PROVINCE_BROKER_URL: standIn.url,
        SW_PROVINCE_BROKER_TOKEN: BROKER_TOKEN,
        SW_PROVINCE_INBOUND_TOKEN: INBOUND_TOKEN,
        // A long backoff: once the broker fails, only the administrator's "retry now" pushes before the test ends.
        SW_PROVINCE_RETRY_BASE_MS: '600000',
        SW_PROVINCE_RETRY_MAX_MS: '600000',
        SW_PROVINCE_EXPORT_INTERVAL_MS: '3600000',
      },
    });
    base = t.app.urls().http;
    await api('POST', '/zones', { id: 'tdp-1', name: 'Tổ dân phố 1', kind: 'residential_group' });
    await api('POST', '/zones', { id: 'z-loa', name: 'Cụm loa tổ 1', kind: 'broadcast_zone' });
    await api('POST', '/users', { ...VIEWER, role: 'viewer' });
    // The consent text the access points' portal shows ('2026-01'), published here.
    await api('POST', '/wifi/consent-versions', {
      version: '2026-01',
      textVi: 'Điều khoản sử dụng WiFi công cộng',
      textEn: 'Public WiFi terms',
      purposes: ['terms', 'marketing'],
    });
    for (const [id, name, kind, extra] of [
      ['ap-1', 'WiFi Nhà văn hoá', 'wifi-ap', { groupId: 'tdp-1' }],
      ['ap-2', 'WiFi Chợ', 'wifi-ap', { groupId: 'tdp-1' }],
      ['spk-1', 'Loa tổ 1', 'speaker', { zoneIds: ['z-loa'] }],
      ['spk-2', 'Loa tổ 1b', 'speaker', { zoneIds: ['z-loa'] }],
    ] as const) {
      const c = await t.provision(kind, id, { name, lat: 12.22, lon: 109.19, ...extra });
      const d = new SimulatedDevice({ brokerUrl: t.mqttUrl, deviceId: id, secret: c.password, kind });
      d.on('clientError', () => undefined);
      await d.connect();
      sims.push(d);
    }

    // WiFi: three hours of the model's evening on ap-1, two on ap-2 (the same residents: distinct session ids).
    const end = Date.now();
    const records: [string, ModelEvent[]][] = [
      ['ap-1', modelEvents(11, 3, end)],
      ['ap-2', modelEvents(11, 2, end - 1000).map((e) => ({ ...e, data: { ...e.data, sessionId: `b-${String(e.data?.sessionId)}` } }))],
    ];
    for (const [id, list] of records) {
      const d = sims.find((s) => s.deviceId === id)!;
      for (const e of list) {
        const r = await d.publishRaw(topicFor(id, 'event'), JSON.stringify({ ts: e.at, event: e.event, data: e.data }));
        if (r.outcome !== 'acked') throw new Error(`record not acked: ${JSON.stringify(r)}`);
        sent.push({ deviceId: id, e });
      }
    }
    const starts = sent.filter((s) => s.e.event === 'sessionStart').length;
    await waitFor(async () => {
      const r = await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM wifi_sessions WHERE started_at IS NOT NULL');
      return r.rows[0]?.n === starts;
    }, 20_000);

    // Radio: a ward bulletin plays on both clusters; the province's emergency preempts it; a normal one waits.
    const up = await t.app.api.inject({
      method: 'POST',
      url: '/api/v1/radio/audio?title=ban-tin-phuong',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'audio/wav' },
      payload: wav(40),
    });
    const news = await api('POST', '/radio/broadcasts', {
      id: 'ward-news',
      title: 'Bản tin phường',
      priority: 'normal',
      audioId: (JSON.parse(up.body) as { id: string }).id,
      zoneIds: ['z-loa'],
    });
    if (news.status !== 201) throw new Error(`ward bulletin: ${JSON.stringify(news.body)}`);
    await waitFor(async () => sims.filter((s) => s.kind.name === 'speaker').every((s) => s.metrics().broadcastId === 'ward-news'), 20_000);
    const flood = standIn.addAudio('lu-quet.wav', wav(1.5));
    const em = await ProvinceStandIn.sendBulletin(base, INBOUND_TOKEN, {
      id: 'flood-7',
      title: 'Cảnh báo lũ quét',
      priority: 'emergency',
      audioUrl: flood.url,
      sha256: flood.sha256,
    });
    if (em.status !== 201) throw new Error(`emergency: ${JSON.stringify(em.body)}`);
    const notice = standIn.addAudio('thong-bao.wav', wav(1));
    const nb = await ProvinceStandIn.sendBulletin(base, INBOUND_TOKEN, {
      id: 'notice-1',
      title: 'Thông báo lịch tiêm chủng',
      priority: 'normal',
      audioUrl: notice.url,
      sha256: notice.sha256,
      zoneIds: ['z-loa'],
    });
    if (nb.status !== 201) throw new Error(`normal bulletin: ${JSON.stringify(nb.body)}`);
    // The emergency airs to its end on both clusters; their play logs go up to the province.
    await waitFor(
      async () => {
        for (const s of sims) s.metrics();
        return standIn.ofType('BroadcastPlayLog').filter((e) => (e.body.refBroadcast as { value: string }).value === 'flood-7').length === 2;
      },
      30_000,
      300,
    );
    // A plan target for the WiFi indicator this half-year.
    const target = await api('PUT', `/plan-targets/wifi-ap.uniqueUsers/${currentHalfYear(t.app.config.ward.timezone)}`, {
      comparator: '>=',
      target: 5,
      source: 'Kế hoạch chuyển đổi số 2026',
    });
    if (target.status !== 200) throw new Error(`target: ${JSON.stringify(target.body)}`);
    browser = await launch();
  }, 180_000);
  afterAll(async () => {
    for (const s of sims) await s.kill().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await t?.app.db.close();
    await standIn.stop();
  });

  const open = async (user: { username: string; password: string }): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.evaluate(`localStorage.setItem('sw.lang', 'vi')`);
    await page.goto(base);
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card', WAIT);
    return { page, errors };
  };
  const text = async (page: Page, sel: string): Promise<string> => (await page.textContent(sel)) ?? '';
  const save = async (page: Page, name: string): Promise<void> => {
    await page.waitForTimeout(250);
    await page.screenshot({ path: SHOTS ? path.join(SHOTS, `${name}-desktop.png`) : shot(name), fullPage: true });
  };
  /** No client identifier of any kind in the page: the raw MACs and phones sent, and no keyed hash either. */
  const noPersonalData = async (page: Page): Promise<void> => {
    const body = ((await page.evaluate('document.body.innerText')) as string).toLowerCase();
    const needles = new Set<string>();
    for (const s of sent) {
      const mac = s.e.data?.mac;
      const phone = s.e.data?.phone;
      if (typeof mac === 'string') needles.add(mac.toLowerCase()).add(mac.replaceAll(':', '').toLowerCase());
      if (typeof phone === 'string') needles.add(phone).add(`84${phone.slice(1)}`);
    }
    expect(needles.size).toBeGreaterThan(10);
    expect([...needles].filter((n) => body.includes(n))).toEqual([]);
    expect(body).not.toContain('h1:');
  };

  it('WiFi công cộng: unique users of the period, each point, sessions, consent and retention — and no MAC or phone', async () => {
    if (missing) return;
    const { page, errors } = await open({ username: 'admin', password: ADMIN_PASSWORD });
    await page.click('a[data-nav="wifi"]');
    expect(await text(page, 'a[data-nav="wifi"]')).toBe('WiFi công cộng');
    await page.waitForSelector('#wf-kpis [data-kpi="uniqueUsers"]', WAIT);
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const u = (await api<{ sessions: number; uniqueUsers: number }>('GET', `/wifi/unique-users?from=${from}&to=${to}`)).body;
    const macs = new Set(sent.filter((s) => s.e.event === 'sessionStart').map((s) => String(s.e.data?.mac)));
    expect(u.uniqueUsers).toBe(macs.size);
    expect(u.uniqueUsers).toBeLessThan(u.sessions);
    expect(await text(page, '#wf-kpis [data-kpi="uniqueUsers"] .v')).toBe(String(u.uniqueUsers));
    expect(await text(page, '#wf-kpis [data-kpi="uniqueUsers"] .k')).toBe('Người dùng duy nhất');
    expect(await text(page, '#wf-kpis [data-kpi="sessions"] .v')).toBe(String(u.sessions));
    // Each point with its own sessions and users, by name and residential group.
    await page.waitForSelector('#wf-point-table tr[data-device="ap-1"]', WAIT);
    for (const id of ['ap-1', 'ap-2']) {
      const mine = sent.filter((s) => s.deviceId === id && s.e.event === 'sessionStart');
      expect(await page.getAttribute(`#wf-point-table tr[data-device="${id}"]`, 'data-sessions')).toBe(String(mine.length));
      expect(await page.getAttribute(`#wf-point-table tr[data-device="${id}"]`, 'data-users')).toBe(
        String(new Set(mine.map((s) => String(s.e.data?.mac))).size),
      );
    }
    expect(await text(page, '#wf-point-table tr[data-device="ap-1"]')).toContain('WiFi Nhà văn hoá');
    expect(await text(page, '#wf-point-table tr[data-device="ap-1"]')).toContain('Tổ dân phố 1');
    // Sessions: open ones marked, ended ones with their end, length and bytes.
    await page.waitForSelector('#wf-session-table tbody tr', WAIT);
    const stillOpen = sent.filter((s) => s.e.event === 'sessionStart').length - sent.filter((s) => s.e.event === 'sessionStop').length;
    expect(stillOpen).toBeGreaterThan(0);
    expect(await text(page, '#wf-kpis [data-kpi="openNow"] .v')).toBe(String(stillOpen));
    for (const id of ['ap-1', 'ap-2']) {
      const mine = (ev: string): number => sent.filter((s) => s.deviceId === id && s.e.event === ev).length;
      expect(await page.getAttribute(`#wf-point-table tr[data-device="${id}"]`, 'data-open')).toBe(String(mine('sessionStart') - mine('sessionStop')));
    }
    expect(await text(page, '#wf-session-table tr[data-open="true"]')).toContain('đang kết nối');
    const ended = await text(page, '#wf-session-table tr[data-open="false"]');
    expect(ended).toMatch(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(ended).toMatch(/phút/);
    expect(ended).toMatch(/MiB|KiB/);
    // A page at a time, newest first; "Xem thêm" brings the next.
    expect(u.sessions).toBeGreaterThan(25);
    expect(await page.getAttribute('#wf-shown', 'data-shown')).toBe('25');
    await page.click('#wf-sessions-more');
    await page.waitForSelector('#wf-shown[data-shown="50"], #wf-shown[data-shown="' + u.sessions + '"]', WAIT);
    // Portal logins by consent: the published version, its purposes, the methods.
    await page.waitForSelector('#wf-consent-table tr[data-version="2026-01"]', WAIT);
    const logins = sent.filter((s) => s.e.event === 'portalLogin');
    expect(await page.getAttribute('#wf-consent-table tr[data-version="2026-01"]', 'data-logins')).toBe(String(logins.length));
    expect(await text(page, '#wf-consent-table tr[data-version="2026-01"]')).toContain('Đã công bố tại phường');
    expect(await page.getAttribute('#wf-purpose-table tr[data-purpose="marketing"]', 'data-logins')).toBe(
      String(logins.filter((s) => (s.e.data?.consentPurposes as string[]).includes('marketing')).length),
    );
    expect(await text(page, '#wf-method-table')).toContain('Tin nhắn SMS');
    // Retention in force, and the administrator's button.
    await page.waitForSelector('#wf-retention-text[data-days="90"]', WAIT);
    expect(await text(page, '#wf-retention-text')).toContain('90 ngày');
    expect(await page.isVisible('#wf-retention-run')).toBe(true);
    await noPersonalData(page);
    await save(page, 'wifi');

    // The half-year: the report's own figure, its plan target and the assessment.
    await page.selectOption('#wf-period', 'half');
    await page.waitForSelector('#wf-indicator [data-figure="wifi-ap.uniqueUsers"]', WAIT);
    const half = Number(await page.getAttribute('#wf-indicator [data-figure="wifi-ap.uniqueUsers"]', 'data-value'));
    expect(half).toBe(macs.size);
    expect(await text(page, '#wf-target')).toContain('Kế hoạch ≥ 5');
    expect(await text(page, '#wf-target')).toContain(half >= 5 ? 'Đạt' : 'Chưa đạt');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('Kết nối tỉnh: the province emergency that preempted the ward, its play logs reported back, the outbox through an outage', async () => {
    if (missing) return;
    const { page, errors } = await open({ username: 'admin', password: ADMIN_PASSWORD });
    await page.click('a[data-nav="province"]');
    expect(await text(page, 'a[data-nav="province"]')).toBe('Kết nối tỉnh');
    const flood = '#pv-inbox-table tr[data-bulletin="flood-7"]';
    await page.waitForSelector(`${flood} [data-reported="2"]`, WAIT);
    const row = await text(page, flood);
    expect(row).toContain('Cảnh báo lũ quét');
    expect(row).toContain('Khẩn cấp');
    expect(row).toContain('Đã phát ngay');
    expect(row).toContain('2/2 cụm loa phát trọn vẹn');
    expect(row).toContain('2 đã ngắt bản tin của phường');
    expect(row).toContain('2 nhật ký đã gửi lên tỉnh');
    await page.click(`${flood} details summary`);
    expect(await page.$$(`${flood} li[data-result="ok"]`)).toHaveLength(2);
    // The normal bulletin waits for the ward: an operator may air or decline it.
    const notice = '#pv-inbox-table tr[data-bulletin="notice-1"]';
    expect(await text(page, notice)).toContain('Chờ phường quyết định');
    expect(await text(page, notice)).toContain('Thông thường');
    expect(await page.isVisible(`${notice} button.pv-accept`)).toBe(true);
    // The outbox: delivered, nothing waiting, the province's endpoint, and the administrator's actions.
    await page.waitForSelector('#pv-state[data-failing="false"]', WAIT);
    expect(Number(await text(page, '#pv-backlog [data-kpi="delivered"] .v'))).toBeGreaterThan(0);
    expect(await text(page, '#pv-backlog [data-kpi="pending"] .v')).toBe('0');
    expect(await text(page, '#pv-upstream')).toBe(standIn.url);
    expect(await text(page, '#pv-state')).toBe('Tỉnh đang nhận dữ liệu');
    await page.waitForSelector('#pv-message-table tr[data-type="BroadcastPlayLog"][data-status="delivered"]', WAIT);
    expect(await text(page, '#pv-message-table')).toContain('Nhật ký phát bản tin của tỉnh');
    expect(await page.isVisible('#pv-retry')).toBe(true);
    await save(page, 'province');

    // The province broker goes down; a change is exported; the page shows the backlog, the error and the next attempt.
    await standIn.stop();
    await api('PATCH', '/devices/ap-2', { name: 'WiFi Chợ Phước Long' });
    await page.click('#pv-export');
    await page.waitForSelector('#pv-state[data-failing="true"]', WAIT);
    await waitInPage(page, `Number(document.querySelector('#pv-backlog [data-kpi="pending"] .v')?.textContent) > 0`, undefined, WAIT);
    expect(await text(page, '#pv-state')).toBe('Tỉnh chưa nhận dữ liệu: đang thử lại');
    expect(await text(page, '#pv-last-error')).toMatch(/unreachable/);
    expect(await text(page, '#pv-oldest')).toContain('trước');
    expect(await text(page, '#pv-next')).toMatch(/\d{2}\/\d{2}\/\d{4}/);
    await save(page, 'province-outage');
    // Back; the backoff is ten minutes, so only "retry now" delivers it within the test.
    await standIn.start();
    await page.click('#pv-retry');
    await page.waitForSelector('#pv-outbox-msg.ok', WAIT);
    expect(await text(page, '#pv-outbox-msg')).toContain('Đã đặt gửi lại ngay');
    await waitInPage(page, `document.querySelector('#pv-backlog [data-kpi="pending"] .v')?.textContent === '0'`, undefined, WAIT);
    await page.waitForSelector('#pv-state[data-failing="false"]', WAIT);
    expect(standIn.ofType('WifiAccessPoint').some((e) => JSON.stringify(e.body).includes('WiFi Chợ Phước Long'))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('reports: actual against the plan target, faults raised and fixed, MTTR', async () => {
    if (missing) return;
    const { page, errors } = await open({ username: 'admin', password: ADMIN_PASSWORD });
    await page.click('a[data-nav="reports"]');
    const fig = '#report-ward tr[data-figure="wifi-ap.uniqueUsers"]';
    await page.waitForSelector(`${fig} td[data-col="target"]`, WAIT);
    expect(await text(page, `${fig} td[data-col="target"]`)).toContain('≥ 5');
    expect(await text(page, `${fig} td[data-col="assessment"]`)).toMatch(/^(Đạt|Chưa đạt)$/);
    for (const f of ['faultsRaised', 'faultsFixed', 'mttr']) expect(await page.$$(`#report-ward tr[data-figure$=".${f}"]`)).not.toHaveLength(0);
    expect(await text(page, '#report-ward table')).toContain('thời gian khắc phục trung bình (MTTR)');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('on a phone (390×844) neither page scrolls sideways', async () => {
    if (missing) return;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.evaluate(`localStorage.setItem('sw.lang', 'vi')`);
    await page.goto(base);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#kind-cards .card', WAIT);
    for (const [name, hash, ready] of [
      ['wifi', '#/wifi', '#wf-session-table tbody tr'],
      ['province', '#/province', '#pv-inbox-table tr[data-bulletin="flood-7"]'],
    ] as const) {
      await page.evaluate(`location.hash = '${hash}'`);
      await page.waitForSelector(ready, WAIT);
      await page.waitForSelector('#pv-backlog .kpis, #wf-consent-table', WAIT);
      const [scroll, client] = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
      expect(scroll, `${name}: ${scroll}px wide on a ${client}px screen`).toBeLessThanOrEqual(client);
      await page.waitForTimeout(250);
      await page.screenshot({ path: SHOTS ? path.join(SHOTS, `${name}-phone.png`) : shot(`${name}-phone`), fullPage: true });
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('a viewer sees the figures but no action, and no session list', async () => {
    if (missing) return;
    const { page, errors } = await open(VIEWER);
    await page.click('a[data-nav="wifi"]');
    await page.waitForSelector('#wf-kpis [data-kpi="uniqueUsers"]', WAIT);
    await page.waitForSelector('#wf-sessions-role', WAIT);
    expect(await text(page, '#wf-sessions-role')).toContain('Vận hành');
    expect(await page.$('#wf-session-table')).toBeNull();
    await page.waitForSelector('#wf-consent-table tr[data-version="2026-01"]', WAIT);
    expect(await page.isVisible('#wf-retention-run')).toBe(false);
    await noPersonalData(page);
    await page.click('a[data-nav="province"]');
    await page.waitForSelector('#pv-inbox-table tr[data-bulletin="flood-7"]', WAIT);
    await page.waitForSelector('#pv-backlog [data-kpi="pending"]', WAIT);
    for (const sel of ['#pv-retry', '#pv-export', 'button.pv-accept', 'button.pv-decline']) expect(await page.isVisible(sel), sel).toBe(false);
    const shown = (await page.evaluate(`[...document.querySelectorAll('[data-role-min]')].filter((e) => e.offsetParent !== null).length`)) as number;
    expect(shown).toBe(0);
    // English is a click away.
    await page.click('#lang');
    await waitInPage(page, `document.querySelector('main h1')?.textContent === 'Province link'`, undefined, WAIT);
    await page.waitForSelector('#pv-inbox-table tr[data-bulletin="flood-7"]', WAIT);
    expect(await text(page, '#pv-inbox-table tr[data-bulletin="flood-7"]')).toContain('Emergency');
    expect(await text(page, 'a[data-nav="wifi"]')).toBe('Public WiFi');
    // And the API refuses them anyway.
    const token = (await page.evaluate(`sessionStorage.getItem('sw.token')`)) as string;
    expect((await t.http('POST', '/api/v1/province/outbox/retry', { token })).status).toBe(403);
    expect((await t.http('POST', '/api/v1/wifi/retention/run', { token })).status).toBe(403);
    expect((await t.http('POST', '/api/v1/province/inbox/notice-1/decision', { token, body: { accept: true } })).status).toBe(403);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
