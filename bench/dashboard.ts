/**
 * Benchmark: the operators' dashboard with a ward of 3,000 devices (issue 7: "loads in under 2 s on this machine with
 * 3,000 devices"). Starts the real service on loopback, seeds 3,000 devices of all kinds spread over the ward (straight
 * into the database in one statement: the benchmark is about the page, not about provisioning), launches headless
 * Chromium, logs in through the login form, and measures in the page (performance.now(), i.e. from the navigation):
 *
 *   - overview: until the kind cards show every device (the counts add up to 3,000);
 *   - map: until #map[data-markers="3000"] and two frames later (the canvas has drawn them);
 *   - baseline: the same 3,000 positions from the same API with the same Leaflet, drawn the usual way with one DOM
 *     marker (L.marker + divIcon) per device, on a bare page: what the canvas renderer saves.
 *
 * The first load after the service starts is reported on its own (it includes bundling the dashboard with esbuild).
 * Every measured load is a fresh browser context (empty cache). Writes the section "Dashboard load (3,000 devices)"
 * of BENCHMARKS.md.
 *
 *   npm run bench:dashboard                                    # embedded database and local PostgreSQL, 5 rounds
 *   npm run bench:dashboard -- --db embedded --rounds 3 --devices 3000 --no-write
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, type App } from '../services/app.ts';
import { silentLogger } from '../services/common/logger.ts';
import { loadConfig } from '../services/config/config.ts';
import type { Db } from '../services/db/db.ts';
import { openPg } from '../services/db/pg-driver.ts';
import { openPglite } from '../services/db/pglite-driver.ts';
import { browserMissing, launch } from '../tests/helpers/browser.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../tests/helpers/db-modes.ts';
import { machineLine, ROOT, writeSection } from './lib/report.ts';

const PASSWORD = 'bench-admin-password';
/** --verbose: print each load's request waterfall (start→end ms after the navigation) and the page's performance marks. */
const VERBOSE = process.argv.includes('--verbose');
const TARGET_MS = 2000;
const VIEWPORT = { width: 1366, height: 768 };

interface Args {
  devices: number;
  rounds: number;
  db: ('embedded' | 'postgres')[];
  write: boolean;
}

function args(): Args {
  const a = process.argv.slice(2);
  const val = (k: string, d: string): string => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] ? (a[i + 1] as string) : d;
  };
  const db = val('--db', 'both');
  return {
    devices: Number(val('--devices', '3000')),
    rounds: Number(val('--rounds', '5')),
    db: db === 'both' ? ['embedded', 'postgres'] : db === 'postgres' ? ['postgres'] : ['embedded'],
    write: !a.includes('--no-write'),
  };
}

// ── The ward: 3,000 devices along streets, in residential groups, with a realistic status mix ─────────────────────
interface Seed {
  id: string;
  kind: string;
  name: string;
  group_id: string;
  lat: number;
  lon: number;
  asset: Record<string, unknown>;
}

/** Deterministic pseudo-random numbers, so every run draws the same ward. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function ward(n: number): Seed[] {
  const r = rng(7);
  const groups = 12;
  // ≈93 % streetlights, the rest WiFi points, loudspeaker clusters and cameras (a ward's mix).
  const counts = { 'wifi-ap': Math.round(n * 0.04), speaker: Math.round(n * 0.015), camera: Math.round(n * 0.015) };
  const lights = n - counts['wifi-ap'] - counts.speaker - counts.camera;
  const out: Seed[] = [];
  // Streets: 40 straight segments across a 1.6 km × 1.6 km ward around 12.22 N, 109.19 E; lights every ~25 m.
  const streets = Array.from({ length: 40 }, () => {
    const a = [12.212 + r() * 0.016, 109.182 + r() * 0.016] as const;
    const ang = r() * Math.PI;
    return { a, d: [Math.sin(ang) * 0.00022, Math.cos(ang) * 0.00022] as const };
  });
  for (let i = 0; i < lights; i++) {
    const s = streets[i % streets.length]!;
    const k = Math.floor(i / streets.length);
    out.push({
      id: `sl-${String(i + 1).padStart(4, '0')}`,
      kind: 'streetlight',
      name: `Đèn ${i + 1}`,
      group_id: `tdp-${String((i % groups) + 1).padStart(2, '0')}`,
      lat: s.a[0] + s.d[0] * k,
      lon: s.a[1] + s.d[1] * k,
      asset: { ratedPowerW: 60, pole: `T${i + 1}` },
    });
  }
  const scatter = (kind: string, prefix: string, label: string, m: number): void => {
    for (let i = 0; i < m; i++)
      out.push({
        id: `${prefix}-${String(i + 1).padStart(3, '0')}`,
        kind,
        name: `${label} ${i + 1}`,
        group_id: `tdp-${String((i % groups) + 1).padStart(2, '0')}`,
        lat: 12.212 + r() * 0.016,
        lon: 109.182 + r() * 0.016,
        asset: {},
      });
  };
  scatter('wifi-ap', 'ap', 'Điểm WiFi', counts['wifi-ap']);
  scatter('speaker', 'spk', 'Cụm loa', counts.speaker);
  scatter('camera', 'cam', 'Camera', counts.camera);
  return out;
}

/** Zones through the API, devices and their latest state in one statement each (the fastest path there is). */
async function seed(app: App, token: string, devices: Seed[]): Promise<void> {
  const base = app.urls().http;
  for (let g = 1; g <= 12; g++) {
    const id = `tdp-${String(g).padStart(2, '0')}`;
    const r = await fetch(`${base}/api/v1/zones`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id, name: `Tổ dân phố ${g}`, kind: 'residential_group' }),
    });
    if (r.status !== 201) throw new Error(`zone ${id}: ${r.status} ${await r.text()}`);
  }
  await app.db.query(
    `INSERT INTO devices (id, kind, name, ward_code, group_id, lat, lon, asset)
     SELECT x.id, x.kind, x.name, $2, x.group_id, x.lat, x.lon, x.asset FROM jsonb_to_recordset($1::jsonb) AS x(id text, kind text, name text, group_id text, lat float8, lon float8, asset jsonb)`,
    [JSON.stringify(devices), app.config.ward.code],
  );
  // 94 % online, 4 % offline, 2 % never seen; streetlights carry their usual state keys.
  const r = rng(11);
  const now = Date.now();
  const states = devices.flatMap((d) => {
    const p = r();
    if (p > 0.98) return [];
    const online = p <= 0.94;
    const state =
      d.kind === 'streetlight'
        ? {
            level: online ? 70 : 0,
            targetLevel: online ? 70 : 0,
            voltage: +(226 + r() * 6).toFixed(1),
            current: 0.19,
            power: +(40 + r() * 5).toFixed(1),
            powerFactor: 0.95,
            energy: +(r() * 900).toFixed(2),
            operatingHours: Math.round(r() * 9000),
            switchCount: Math.round(r() * 3000),
            temperature: +(35 + r() * 10).toFixed(1),
            rssi: -60 - Math.round(r() * 40),
            reason: 'program',
            status: { firmware: '1.0.0' },
          }
        : { status: { firmware: '1.0.0' } };
    const seen = new Date(now - (online ? r() * 60_000 : 3_600_000 + r() * 86_400_000)).toISOString();
    return [{ device_id: d.id, state, online, last_seen: seen, reason: online ? 'birth' : 'lwt' }];
  });
  await app.db.query(
    `INSERT INTO device_state (device_id, state, state_at, last_seen, online, status_changed_at, status_reason)
     SELECT x.device_id, x.state, x.last_seen, x.last_seen, x.online, x.last_seen, x.reason FROM jsonb_to_recordset($1::jsonb) AS x(device_id text, state jsonb, online boolean, last_seen timestamptz, reason text)`,
    [JSON.stringify(states)],
  );
}

// ── The baseline page: same API, same Leaflet, one DOM marker per device ──────────────────────────────────────────
const BASELINE_SOURCE = `
import L from 'leaflet';
const token = sessionStorage.getItem('sw.token') ?? '';
const get = (u) => fetch(u, { headers: { authorization: 'Bearer ' + token } }).then((r) => r.json());
const snap = await get('/api/v1/fleet');
const c = (f) => snap.fields.indexOf(f);
const [ID, NAME, LAT, LON, ONLINE] = [c('id'), c('name'), c('lat'), c('lon'), c('online')];
const box = document.getElementById('map');
const map = L.map(box).setView([12.22, 109.19], 15);
const group = L.featureGroup().addTo(map);
let n = 0;
for (const d of snap.items) {
  if (d[LAT] === null || d[LON] === null) continue;
  const status = d[ONLINE] === true ? 'online' : d[ONLINE] === false ? 'offline' : 'unknown';
  L.marker([d[LAT], d[LON]], { icon: L.divIcon({ className: 'dm ' + status, iconSize: [10, 10] }) }).bindPopup(d[NAME] + ' ' + d[ID]).addTo(group);
  n++;
}
map.fitBounds(group.getBounds(), { padding: [20, 20], animate: false });
box.dataset.markers = String(n);
`;

async function baselinePage(): Promise<string> {
  const r = await build({
    stdin: { contents: BASELINE_SOURCE, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
  });
  const js = r.outputFiles[0]?.text ?? '';
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/app.css">
<style>#map{height:100vh}.dm{border-radius:50%;border:1px solid #333}.dm.online{background:#1a9850}.dm.offline{background:#d73027}.dm.unknown{background:#878787}</style></head>
<body><div id="map"></div><script type="module">${js.replaceAll('</script', '<\\/script')}</script></body></html>`;
}

// ── Measuring in the page ─────────────────────────────────────────────────────────────────────────────────────────
/** Resolves with performance.now() (ms since the navigation) two frames after `cond` first holds. */
const READY = (cond: string): string => `new Promise((resolve) => {
  const check = () => { let ok = false; try { ok = ${cond}; } catch { ok = false; }
    if (ok) requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))); else requestAnimationFrame(check); };
  check();
})`;
const OVERVIEW_READY = (n: number): string =>
  `(() => { const b = [...document.querySelectorAll('#kind-cards .card .big')]; return b.length > 0 && b.reduce((s, e) => s + Number(e.textContent), 0) === ${n}; })()`;
const MAP_READY = (n: number): string => `document.querySelector('#map')?.dataset.markers === '${n}'`;

interface Sample {
  ms: number;
  resources: { name: string; bytes: number; ms: number }[];
}

async function measure(context: BrowserContext, url: string, cond: string): Promise<Sample> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const ms = (await page.evaluate(READY(cond))) as number;
    const resources = (await page.evaluate(
      `performance.getEntriesByType('resource').map((e) => ({ name: new URL(e.name).pathname + new URL(e.name).search, bytes: e.encodedBodySize, ms: e.responseEnd - e.startTime, start: e.startTime, end: e.responseEnd }))`,
    )) as (Sample['resources'][number] & { start: number; end: number })[];
    if (VERBOSE) {
      const marks = (await page.evaluate(`performance.getEntriesByType('mark').map((m) => m.name + ' ' + m.startTime.toFixed(0)).join(', ')`)) as string;
      console.log(
        `  ${url} ready at ${ms.toFixed(0)} ms; ${resources.map((x) => `${x.name.replace(/\?.*$/, '')} ${x.start.toFixed(0)}→${x.end.toFixed(0)}`).join(', ')}${marks ? `; marks: ${marks}` : ''}`,
      );
    }
    if (errors.length) throw new Error(`page errors at ${url}: ${errors.join('; ')}`);
    return { ms, resources };
  } finally {
    await page.close();
  }
}

async function freshContext(browser: Browser, token: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(`sessionStorage.setItem('sw.token', ${JSON.stringify(token)})`);
  return context;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Result {
  label: string;
  seedMs: number;
  cold: { loginPageMs: number; loginToOverviewMs: number };
  overview: number[];
  map: number[];
  baseline: number[];
  payload: Record<string, { bytes: number; ms: number }>;
  api: { fleet: { bytes: number; ms: number }; pair: { bytes: number; ms: number } };
}

/**
 * The fleet snapshot the page loads (`GET /fleet`, one statement, rows as arrays) against the two paged lists it loaded
 * before (`GET /devices` + `GET /state`, objects): bytes and median time of 5 fetches each from Node.
 */
async function apiCompare(base: string, token: string): Promise<Result['api']> {
  const once = async (urls: string[]): Promise<{ bytes: number; ms: number }> => {
    const t0 = performance.now();
    const bodies = await Promise.all(urls.map(async (u) => (await fetch(`${base}${u}`, { headers: { authorization: `Bearer ${token}` } })).text()));
    return { bytes: bodies.reduce((s, b) => s + Buffer.byteLength(b), 0), ms: performance.now() - t0 };
  };
  const five = async (urls: string[]): Promise<{ bytes: number; ms: number }> => {
    const xs: { bytes: number; ms: number }[] = [];
    for (let i = 0; i < 5; i++) xs.push(await once(urls));
    return { bytes: xs[0]!.bytes, ms: median(xs.map((x) => x.ms)) };
  };
  return { fleet: await five(['/api/v1/fleet']), pair: await five(['/api/v1/devices?limit=5000&offset=0', '/api/v1/state?limit=5000&offset=0']) };
}

async function openDb(kind: 'embedded' | 'postgres'): Promise<{ db: Db; label: string; drop: () => Promise<void> }> {
  if (kind === 'embedded') {
    const db = await openPglite({ dataDir: null, log: silentLogger() });
    return { db, label: 'embedded TimescaleDB (PGlite, in the service process)', drop: () => db.close() };
  }
  const s = await createScratchDatabase(PG_ADMIN_URL);
  const db = await openPg({ url: s.url, poolSize: 10, log: silentLogger() });
  const v = await db.query<{ v: string }>('SELECT version() AS v');
  return {
    db,
    label: `PostgreSQL ${(v.rows[0]?.v ?? '').split(' ')[1] ?? ''} (local server)`,
    drop: async () => {
      await db.close();
      await s.drop();
    },
  };
}

async function run(kind: 'embedded' | 'postgres', a: Args, browser: Browser, baselineHtml: string): Promise<Result> {
  const { db, label, drop } = await openDb(kind);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-bench-dash-'));
  const config = loadConfig(
    {},
    {
      SW_DATA_DIR: dataDir,
      SW_MQTT_HOST: '127.0.0.1',
      SW_MQTT_PORT: '0',
      SW_HTTP_HOST: '127.0.0.1',
      SW_HTTP_PORT: '0',
      SW_ADMIN_PASSWORD: PASSWORD,
      SW_LOG_LEVEL: 'warn',
    },
  );
  const app = await startApp(config, silentLogger(), { db });
  try {
    const base = app.urls().http;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const apiToken = ((await login.json()) as { token: string }).token;
    console.log(`[${kind}] seeding ${a.devices} devices …`);
    const t0 = performance.now();
    await seed(app, apiToken, ward(a.devices));
    const seedMs = performance.now() - t0;

    // Cold: the first page after the start (the dashboard is bundled on this request), then a real login.
    const coldCtx = await browser.newContext({ viewport: VIEWPORT });
    const page: Page = await coldCtx.newPage();
    await page.goto(base, { waitUntil: 'commit' });
    const loginPageMs = (await page.evaluate(READY(`!!document.querySelector('input[name=username]')`))) as number;
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    const before = (await page.evaluate('performance.now()')) as number;
    await page.click('button[type=submit]');
    const loginToOverviewMs = ((await page.evaluate(READY(OVERVIEW_READY(a.devices)))) as number) - before;
    const token = (await page.evaluate(`sessionStorage.getItem('sw.token')`)) as string;
    await coldCtx.close();
    console.log(`[${kind}] cold: login page ${loginPageMs.toFixed(0)} ms; login → overview ${loginToOverviewMs.toFixed(0)} ms`);

    const r: Result = {
      label,
      seedMs,
      cold: { loginPageMs, loginToOverviewMs },
      overview: [],
      map: [],
      baseline: [],
      payload: {},
      api: await apiCompare(base, token),
    };
    console.log(
      `[${kind}] API: /fleet ${r.api.fleet.bytes} B ${r.api.fleet.ms.toFixed(0)} ms; /devices + /state ${r.api.pair.bytes} B ${r.api.pair.ms.toFixed(0)} ms`,
    );
    // One untimed warm-up round, then the measured rounds; each load in a fresh context (nothing cached).
    for (let round = 0; round <= a.rounds; round++) {
      const ctx = await freshContext(browser, token);
      await ctx.route(`${base}/bench/dom-markers`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: baselineHtml }));
      try {
        const ov = await measure(ctx, `${base}/#/overview`, OVERVIEW_READY(a.devices));
        const mp = await measure(ctx, `${base}/#/map`, MAP_READY(a.devices));
        const bl = await measure(ctx, `${base}/bench/dom-markers`, MAP_READY(a.devices));
        if (round === 0) continue;
        r.overview.push(ov.ms);
        r.map.push(mp.ms);
        r.baseline.push(bl.ms);
        for (const x of mp.resources) {
          const key = x.name.replace(/\?.*$/, '');
          if (['/app.js', '/app.css', '/settings.json', '/api/v1/fleet', '/api/v1/auth/me', '/api/v1/zones'].includes(key)) {
            const p = (r.payload[key] ??= { bytes: x.bytes, ms: 0 });
            p.ms += x.ms / a.rounds;
          }
        }
        console.log(`[${kind}] round ${round}: overview ${ov.ms.toFixed(0)} ms, map ${mp.ms.toFixed(0)} ms, DOM-marker baseline ${bl.ms.toFixed(0)} ms`);
      } finally {
        await ctx.close();
      }
    }
    return r;
  } finally {
    await app.stop();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(a: Args, results: Result[], machine: string): string {
  const f = (x: number): string => x.toFixed(0);
  const lines = [
    `Reproduce: \`npm run bench:dashboard\` (bench/dashboard.ts; options \`--db embedded|postgres|both\`, \`--devices N\`, \`--rounds N\`, \`--no-write\`).`,
    '',
    `The real service on loopback with ${a.devices} devices (${Math.round(a.devices * 0.93)} streetlights along 40 streets, WiFi points, loudspeaker clusters and cameras`,
    'over a 1.6 km × 1.6 km ward, 12 residential groups; 94 % online, 4 % offline, 2 % never seen), seeded straight into the database.',
    'Headless Chromium (Debian package, playwright-core), viewport 1366 × 768, a fresh browser context (empty cache) for every load.',
    'Times are measured in the page with `performance.now()`, i.e. from the start of the navigation, until the condition holds',
    'plus two animation frames (the canvas has drawn). One warm-up round is not counted.',
    '',
    '- **overview**: the kind cards show every device (their counts add up to the total);',
    `- **map**: \`#map[data-markers="${a.devices}"]\` — every device is a circle on the shared canvas (\`preferCanvas\`);`,
    '- **baseline (DOM markers)**: a bare page with the same API calls and the same Leaflet that draws one `L.marker` with a',
    '  `divIcon` per device (one DOM element each), as maps are usually written — no login, navigation or other page code, so it',
    '  is, if anything, favoured.',
    '',
    `Machine: ${machine}.`,
    '',
  ];
  for (const r of results) {
    lines.push(`### ${r.label}`, '', `Seeding ${a.devices} devices and their states: ${f(r.seedMs)} ms.`, '');
    lines.push(
      `First load after the service started (includes bundling the dashboard with esbuild): login page ${f(r.cold.loginPageMs)} ms; from pressing “Đăng nhập” to the overview with all counts ${f(r.cold.loginToOverviewMs)} ms.`,
      '',
    );
    lines.push('| load | ' + r.overview.map((_, i) => `run ${i + 1}`).join(' | ') + ' | median |', '|---|' + r.overview.map(() => '---|').join('') + '---|');
    const row = (name: string, xs: number[]): string => `| ${name} | ${xs.map(f).join(' | ')} | **${f(median(xs))} ms** |`;
    lines.push(
      row('overview, all counts', r.overview),
      row(`map, all ${a.devices} markers (canvas)`, r.map),
      row(`baseline: ${a.devices} DOM markers`, r.baseline),
      '',
    );
    const mm = median(r.map);
    const bm = median(r.baseline);
    lines.push(
      `Map vs baseline: ${bm > mm ? `${(bm / mm).toFixed(1)}× faster` : `${(mm / bm).toFixed(1)}× slower`} (median ${f(mm)} ms vs ${f(bm)} ms). Target under ${TARGET_MS} ms: overview ${median(r.overview) < TARGET_MS ? 'met' : 'missed'}, map ${mm < TARGET_MS ? 'met' : 'missed'}.`,
      '',
    );
    lines.push(
      `Fleet snapshot for the page: \`GET /api/v1/fleet\` ${r.api.fleet.bytes.toLocaleString('en-US')} bytes of JSON in ${f(r.api.fleet.ms)} ms, against the two lists the page used to load (\`GET /devices\` + \`GET /state\`, in parallel) ${r.api.pair.bytes.toLocaleString('en-US')} bytes in ${f(r.api.pair.ms)} ms (median of 5 fetches from Node, gzip accepted).`,
      '',
    );
    lines.push(
      'What the map page downloads (mean over the rounds, in the browser):',
      '',
      '| request | bytes (compressed as sent) | time ms |',
      '|---|---|---|',
    );
    for (const [k, v] of Object.entries(r.payload)) lines.push(`| \`${k}\` | ${v.bytes.toLocaleString('en-US')} | ${f(v.ms)} |`);
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = args();
  const missing = browserMissing();
  if (missing) {
    console.error(`cannot run: ${missing}`);
    process.exit(2);
  }
  const machine = machineLine();
  console.log(machine);
  const browser = await launch();
  const baselineHtml = await baselinePage();
  const results: Result[] = [];
  try {
    for (const kind of a.db) results.push(await run(kind, a, browser, baselineHtml));
  } finally {
    await browser.close();
  }
  const md = report(a, results, machine);
  console.log(`\n${md}`);
  if (a.write) {
    writeSection('## Dashboard load (3,000 devices)', md);
    console.log('written to BENCHMARKS.md');
  }
}

await main();
