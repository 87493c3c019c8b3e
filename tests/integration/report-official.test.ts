/**
 * The half-year report as a ward office files it (issues 14 and 15): the official frame of Decree 30/2020/NĐ-CP checked
 * on the PDF the real Chromium renders (pdftotext per page), plan targets against actuals, faults per period, the
 * half-year cut-off, and the CSV Excel opens in columns with Vietnamese settings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Figure } from '../../services/health/indicators/figures.ts';
import type { IndicatorReport } from '../../services/health/indicators/indicators.service.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const { modes } = await dbModes();
const local = (s: string): string => new Date(Date.parse(`${s}:00+07:00`)).toISOString();
const GROUPS = 60;

const ENV = {
  SW_WARD_NAME: 'Phường Ba Ngòi',
  SW_REPORT_ISSUER: 'Phòng Văn hóa – Xã hội',
  SW_REPORT_ISSUER_ABBR: 'VHXH',
  SW_REPORT_SIGNER_TITLE: 'KT. TRƯỞNG PHÒNG|PHÓ TRƯỞNG PHÒNG',
  SW_REPORT_SIGNER_NAME: 'Nguyễn Văn An',
  SW_REPORT_RECIPIENTS: 'Ban Chỉ đạo phường; Thường trực Đảng ủy phường; Lưu: VT, VHXH',
  SW_REPORT_HALF_YEAR_CUTOFF: '06-20,12-15',
};

async function seed(t: TestApp): Promise<void> {
  const q = (sql: string, params: unknown[] = []): Promise<unknown> => t.app.db.query(sql, params);
  for (let i = 1; i <= GROUPS; i++)
    await q(`INSERT INTO zones (id, name, kind, ward_code) VALUES ($1, $2, 'residential_group', '22330')`, [`tdp-${i}`, `Tổ dân phố ${i}`]);
  const devices: [string, string, string][] = [
    ['sl-1', 'streetlight', 'tdp-1'],
    ['sl-2', 'streetlight', 'tdp-2'],
    ['ap-1', 'wifi-ap', 'tdp-1'],
  ];
  for (const [id, kind, group] of devices) {
    await q(`INSERT INTO devices (id, kind, name, ward_code, group_id, installed_at, asset) VALUES ($1, $2, $1, '22330', $3, $4, '{}')`, [
      id,
      kind,
      group,
      local('2025-12-01T00:00'),
    ]);
    await q(`INSERT INTO status_events (time, device_id, online, reason) VALUES ($1, $2, true, 'seed')`, [local('2025-12-20T00:00'), id]);
  }
  // sl-2 is down for the last 10 days of H1 (20/6 → 30/6): inside the whole half-year, outside the cut-off on 20/6.
  await q(`INSERT INTO status_events (time, device_id, online, reason) VALUES ($1, 'sl-2', false, 'seed')`, [local('2026-06-21T00:00')]);
  // Faults (critical alarms): one repaired (6 h), one closed by an operator, one still open, one after the cut-off, and flapping (never counted).
  const alarms: [string, string, string, string | null, string | null][] = [
    ['sl-1', 'lampFailure', '2026-02-01T00:00', '2026-02-01T06:00', 'system'],
    ['sl-2', 'lampFailure', '2026-03-01T00:00', '2026-03-02T00:00', 'op-1'],
    ['ap-1', 'down', '2026-05-01T00:00', null, null],
    ['sl-1', 'supplyLoss', '2026-06-25T00:00', '2026-06-25T03:00', 'system'],
    ['sl-2', 'flapping', '2026-04-01T00:00', '2026-04-02T00:00', 'system'],
  ];
  for (const [id, rule, raised, cleared, by] of alarms) {
    await q(
      `INSERT INTO alarms (device_id, kind, rule, severity, state, message, raised_at, last_raised_at, cleared_at, cleared_by, clear_reason)
       SELECT $1, kind, $2, 'critical', $3, '{"vi":"x","en":"x"}', $4, $4, $5, $6, $7 FROM devices WHERE id = $1`,
      [id, rule, cleared ? 'cleared' : 'active', local(raised), cleared ? local(cleared) : null, by, cleared ? 'seed' : null],
    );
  }
}

/** Minimal RFC 4180 reader with a chosen separator (quotes, doubled quotes, separators and newlines in quotes). */
function parseCsv(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe.each(modes)('the official half-year report on $name', (mode) => {
  let t: TestApp;
  let drop: () => Promise<void>;
  const get = async <T>(url: string, token = t.adminToken): Promise<{ status: number; body: T }> => t.http<T>('GET', url, { token });
  const fig = (r: IndicatorReport, id: string): Figure => {
    const f = r.figures.find((x) => x.id === id);
    if (!f) throw new Error(`no figure ${id}`);
    return f;
  };

  beforeAll(async () => {
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db, env: ENV });
    await seed(t);
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('seeds the targets of the ward plan it runs for (Ba Ngòi) with their source, once', async () => {
    const res = await get<{ items: { indicator: string; period: string; comparator: string; target: number; source: string; basis: string }[] }>(
      '/api/v1/plan-targets',
    );
    expect(res.status).toBe(200);
    const wifi = res.body.items.find((x) => x.indicator === 'wifi-ap.groupsServedPeriod');
    expect(wifi).toMatchObject({ period: '2026', comparator: '>=', target: 100, basis: 'plan' });
    expect(wifi?.source).toMatch(/01-KH\/BCĐ.*Wifi công cộng cho các Tổ dân phố/);
    expect(res.body.items.some((x) => x.indicator === 'camera.devices')).toBe(true);
  });

  it('lets only an administrator set a target, audits it, and refuses an indicator the report does not have', async () => {
    const body = { comparator: '>=', target: 95, source: 'Kế hoạch 01-KH/BCĐ, Phụ lục IV.13.2 (đề xuất)', basis: 'proposal' };
    const operator = await t.userToken('operator');
    const refused = await t.http('PUT', '/api/v1/plan-targets/streetlight.availability/2026', { token: operator, body });
    expect(refused.status).toBe(403);
    const unknown = await t.http<{ error: { code: string } }>('PUT', '/api/v1/plan-targets/streetlight.happiness/2026', { token: t.adminToken, body });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_INDICATOR');
    const ok = await t.http<{ indicator: string; updatedBy: string }>('PUT', '/api/v1/plan-targets/streetlight.availability/2026', {
      token: t.adminToken,
      body,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ indicator: 'streetlight.availability', updatedBy: 'admin' });
    // A month's own target wins over the year's in that month's report.
    expect(
      (await t.http('PUT', '/api/v1/plan-targets/streetlight.availability/2026-03', { token: t.adminToken, body: { ...body, target: 99.5 } })).status,
    ).toBe(200);
    const audit = await t.app.db.query<{ action: string; target_id: string; result: string; actor: string }>(
      `SELECT action, target_id, result, actor FROM audit_log WHERE action = 'plan-target.set' AND result = 'ok' ORDER BY id`,
    );
    expect(audit.rows.map((a) => [a.target_id, a.result, a.actor])).toEqual([
      ['streetlight.availability@2026', 'ok', 'admin'],
      ['streetlight.availability@2026-03', 'ok', 'admin'],
    ]);
    const refusedAudit = await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'plan-target.set' AND result = 'error'`);
    expect(refusedAudit.rows[0]?.n).toBe(2);
  });

  it('sets actual against target in the half-year and the monthly reports', async () => {
    const h1 = (await get<IndicatorReport>('/api/v1/indicators?period=2026-H1')).body;
    const av = fig(h1, 'streetlight.availability');
    expect(av.value).toBe(100);
    expect(av.target).toMatchObject({ period: '2026', comparator: '>=', value: 95, met: true, basis: 'proposal' });
    const march = (await get<IndicatorReport>('/api/v1/indicators?period=2026-03')).body;
    expect(fig(march, 'streetlight.availability').target).toMatchObject({ period: '2026-03', value: 99.5, met: true });
    const april = (await get<IndicatorReport>('/api/v1/indicators?period=2026-04')).body;
    expect(fig(april, 'streetlight.availability').target).toMatchObject({ period: '2026', value: 95 });
    // A figure with no target carries none.
    expect(fig(h1, 'streetlight.energyUsedKWh').target).toBeUndefined();
  });

  it('cuts the half-year off at the configured day, and at any day asked for inside the period', async () => {
    const h1 = (await get<IndicatorReport>('/api/v1/indicators?period=2026-H1')).body;
    expect(h1.cutoffDay).toBe('2026-06-20');
    expect(h1.period.lastDay).toBe('2026-06-29');
    expect(h1.asOf).toBe(local('2026-06-21T00:00'));
    // Faults up to 20/6: one repaired, one closed by an operator, one open; flapping never counts.
    expect(fig(h1, 'streetlight.faultsRaised').value).toBe(2);
    expect(fig(h1, 'streetlight.faultsFixed').value).toBe(1);
    expect(fig(h1, 'streetlight.faultsOpen').value).toBe(0);
    expect(fig(h1, 'streetlight.mttr').value).toBe(6);
    expect(fig(h1, 'wifi-ap.faultsRaised').value).toBe(1);
    expect(fig(h1, 'wifi-ap.faultsOpen').value).toBe(1);
    const whole = (await get<IndicatorReport>('/api/v1/indicators?period=2026-H1&asOf=2026-06-29')).body;
    expect(whole.cutoffDay).toBe('2026-06-29');
    expect(fig(whole, 'streetlight.faultsRaised').value).toBe(3);
    expect(fig(whole, 'streetlight.faultsFixed').value).toBe(2);
    expect(fig(whole, 'streetlight.availability').value).toBeLessThan(100);
    const bad = await get<{ error: { code: string } }>('/api/v1/indicators?period=2026-H1&asOf=2026-07-01');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_AS_OF');
  });

  it('writes a CSV that Excel with Vietnamese settings splits into columns: BOM, semicolons, decimal commas', async () => {
    const res = await t.app.api.inject({
      method: 'GET',
      url: '/api/v1/reports/indicators?period=2026-H1&format=csv&asOf=2026-06-29',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const text = res.body.replace(/^\uFEFF/, '');
    // No "sep=;" line: with it Excel ignores the BOM and garbles the accents.
    expect(text.startsWith('sep=')).toBe(false);
    const rows = parseCsv(text, ';');
    const head = rows[0]!;
    expect(head.slice(0, 6)).toEqual(['period', 'cutoff_day', 'scope', 'scope_id', 'scope_name', 'indicator']);
    for (const r of rows) expect(r.length, r.join('|')).toBe(head.length);
    const col = (name: string): number => head.indexOf(name);
    const av = rows.find((r) => r[col('scope')] === 'ward' && r[col('indicator')] === 'streetlight.availability')!;
    expect(av[col('value')]).toMatch(/^\d+,\d+$/);
    expect(av[col('target')]).toBe('95');
    expect(av[col('target_met')]).toBe('1');
    // Every number is written with a decimal comma, never a point.
    expect(
      rows
        .slice(1)
        .map((r) => r[col('value')])
        .filter((v) => v && /\./.test(v!)),
    ).toEqual([]);
    expect(rows.some((r) => r[col('scope_name')] === 'Tổ dân phố 60')).toBe(true);
  });

  it('serves the HTML print view without Chromium: the official frame, print CSS, nothing loaded from outside', async () => {
    const res = await t.app.api.inject({
      method: 'GET',
      url: '/api/v1/reports/indicators?period=2026-H1&format=html',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    for (const s of [
      'ỦY BAN NHÂN DÂN PHƯỜNG BA NGÒI',
      'PHÒNG VĂN HÓA – XÃ HỘI',
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      '/BC-VHXH',
      'Nơi nhận',
      'PHÓ TRƯỞNG PHÒNG',
      'Nguyễn Văn An',
    ])
      expect(html).toContain(s);
    expect(html).toMatch(/Phường Ba Ngòi, ngày \d{2} tháng (0[12]|[3-9]|1[012]) năm \d{4}/);
    expect(html).toContain('@page');
    expect(html).toContain('display: table-header-group');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    // Methods in plain words: no metric or field names.
    expect(html).not.toMatch(/ratedPowerW|snapshotOk|broadcastId|rollup|sessions counter/);
  });

  it('renders a PDF in the real Chromium whose pages carry every official element, page numbers and table headings', async () => {
    if (!existsSync('/usr/bin/chromium') || !existsSync('/usr/bin/pdftotext') || !existsSync('/usr/bin/pdftoppm')) {
      console.warn(
        'SKIPPED official PDF check: /usr/bin/chromium, /usr/bin/pdftotext or /usr/bin/pdftoppm is missing (Debian packages chromium, poppler-utils)',
      );
      return;
    }
    const res = await t.app.api.inject({
      method: 'GET',
      url: '/api/v1/reports/indicators?period=2026-H1&format=pdf&number=17',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sw-official-'));
    try {
      const file = path.join(dir, 'r.pdf');
      writeFileSync(file, res.rawPayload);
      const info = execFileSync('/usr/bin/pdfinfo', [file]).toString();
      const count = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
      if (process.env.REPORT_TEST_KEEP_PDF) writeFileSync(process.env.REPORT_TEST_KEEP_PDF, res.rawPayload);
      expect(count).toBeGreaterThanOrEqual(3);
      const pages = Array.from({ length: count }, (_, i) =>
        execFileSync('/usr/bin/pdftotext', ['-layout', '-f', String(i + 1), '-l', String(i + 1), file, '-']).toString(),
      );
      const flat = (s: string): string => s.replace(/\s+/g, ' ');
      const first = flat(pages[0]!);
      for (const s of [
        'ỦY BAN NHÂN DÂN PHƯỜNG',
        'BA NGÒI',
        'PHÒNG VĂN HÓA – XÃ HỘI',
        'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
        'Độc lập - Tự do - Hạnh phúc',
        'Số: 17/BC-VHXH',
        'BÁO CÁO',
        'Kết quả vận hành hạ tầng đô thị thông minh sáu tháng đầu năm 2026',
      ]) {
        expect(first, s).toContain(s);
      }
      expect(first).toMatch(/Phường Ba Ngòi, ngày \d{2} tháng (0[12]|[3-9]|1[012]) năm \d{4}/);
      expect(first).toContain('số liệu tính đến hết ngày 20/06/2026');
      const last = flat(pages[count - 1]!);
      for (const s of ['Nơi nhận:', '- Ban Chỉ đạo phường;', '- Lưu: VT, VHXH.', 'KT. TRƯỞNG PHÒNG', 'PHÓ TRƯỞNG PHÒNG', 'Nguyễn Văn An'])
        expect(last, s).toContain(s);
      // Page numbers: top centre from page 2 on, none on page 1.
      const firstLine = (p: string): string =>
        p
          .split('\n')
          .find((l) => l.trim() !== '')
          ?.trim() ?? '';
      expect(firstLine(pages[0]!)).not.toBe('1');
      for (let i = 1; i < count; i++) expect(firstLine(pages[i]!), `page ${i + 1}`).toBe(String(i + 1));
      // The residential-group table runs over pages: each page with its rows starts them under a repeated heading,
      // and no page ends on a heading row.
      const withGroups = pages.map((p, i) => ({ p, i })).filter(({ p }) => /^\s*\d+\s+Tổ dân phố \d+/m.test(p));
      expect(withGroups.length).toBeGreaterThanOrEqual(2);
      for (const { p, i } of withGroups) {
        const headAt = p.search(/STT\s+Tổ dân phố\s/);
        const rowAt = p.search(/^\s*\d+\s+Tổ dân phố \d+/m);
        expect(headAt, `page ${i + 1} has the table heading`).toBeGreaterThanOrEqual(0);
        expect(headAt, `page ${i + 1}: heading before the first row`).toBeLessThan(rowAt);
      }
      for (const [i, p] of pages.entries()) {
        const lines = p
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        expect(lines.at(-1) ?? '', `page ${i + 1} ends on a table heading`).not.toMatch(/^STT\s/);
        expect(lines.at(-1) ?? '', `page ${i + 1} ends on a section title`).not.toMatch(/^(I|II|III|IV|V)\. [A-ZĐ]/);
      }
      execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', file, path.join(dir, 'page')]);
      const png = path.join(dir, existsSync(path.join(dir, 'page-1.png')) ? 'page-1.png' : `page-${String(1).padStart(String(count).length, '0')}.png`);
      const stats = await sharp(png).stats();
      expect(Math.min(...stats.channels.map((c) => c.min))).toBeLessThan(128);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
