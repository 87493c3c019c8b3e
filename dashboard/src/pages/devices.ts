import { api, ApiError } from '../api.ts';
import { clear, fmtNum, fmtTime, h } from '../dom.ts';
import { fleet, statusOf } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import { lineChart, type ChartBand, type ChartPoint } from '../ui/chart.ts';

addStrings({ page: 'Trang', reason: 'Lý do' }, { page: 'Page', reason: 'Reason' });
addStrings(
  {
    dp_deviceInfo: 'Thông tin thiết bị', dp_position: 'Toạ độ', dp_address: 'Địa chỉ', dp_installedAt: 'Ngày lắp đặt', dp_asset: 'Tài sản', dp_zones: 'Khu vực', dp_tags: 'Nhãn',
    dp_deviceNotFound: 'Không tìm thấy thiết bị', dp_duration: 'Kéo dài', dp_ongoing: 'đến nay', dp_minMax: 'vùng tô: nhỏ nhất – lớn nhất mỗi khoảng',
    dp_perBucket: 'mức tăng mỗi khoảng', dp_average: 'trung bình mỗi khoảng', dp_command: 'Lệnh', dp_params: 'Tham số', dp_sentBy: 'Người gửi', dp_attempts: 'Lần gửi',
    dp_sendCommand: 'Gửi lệnh tới thiết bị', dp_send: 'Gửi', dp_paramsJson: 'Tham số (JSON)', dp_commandSent: 'Đã gửi lệnh', dp_badJson: 'Tham số không phải JSON hợp lệ',
    dp_loadFailed: 'Không tải được', dp_ackStatus: 'Phản hồi',
    dstate_queued: 'Chờ gửi', dstate_sent: 'Đã gửi, chờ xác nhận', dstate_acknowledged: 'Đã xác nhận', dstate_failed: 'Thất bại', dstate_expired: 'Hết hạn', dstate_cancelled: 'Đã huỷ',
  },
  {
    dp_deviceInfo: 'Device', dp_position: 'Position', dp_address: 'Address', dp_installedAt: 'Installed', dp_asset: 'Asset', dp_zones: 'Zones', dp_tags: 'Tags',
    dp_deviceNotFound: 'No such device', dp_duration: 'Lasted', dp_ongoing: 'until now', dp_minMax: 'shaded: min – max per bucket',
    dp_perBucket: 'increase per bucket', dp_average: 'average per bucket', dp_command: 'Command', dp_params: 'Parameters', dp_sentBy: 'Sent by', dp_attempts: 'Attempts',
    dp_sendCommand: 'Send a command to this device', dp_send: 'Send', dp_paramsJson: 'Parameters (JSON)', dp_commandSent: 'Command sent', dp_badJson: 'Parameters are not valid JSON',
    dp_loadFailed: 'Could not load', dp_ackStatus: 'Reply',
    dstate_queued: 'Queued', dstate_sent: 'Sent, awaiting ack', dstate_acknowledged: 'Acknowledged', dstate_failed: 'Failed', dstate_expired: 'Expired', dstate_cancelled: 'Cancelled',
  },
);

interface KindInfo {
  name: string;
  telemetry: Record<string, { type: string; unit: string; meaning?: string; doc: string }>;
  commands?: Record<string, { doc: string; params: { properties?: Record<string, { type?: string }>; required?: string[] } }>;
}
let kindsCache: Promise<KindInfo[]> | undefined;
const kinds = (): Promise<KindInfo[]> =>
  (kindsCache ??= api.get<{ items: KindInfo[] }>('/api/v1/kinds').then(
    (r) => r.items,
    (e: unknown) => {
      kindsCache = undefined; // ask again next time
      throw e;
    },
  ));

export async function deviceListPage(root: HTMLElement): Promise<() => void> {
  const q = h('input', { type: 'search', placeholder: t('search'), id: 'dev-search' });
  const fKind = h('select', {}, h('option', { value: '' }, t('all')), [...new Set([...fleet.devices.values()].map((d) => d.kind))].map((k) => h('option', { value: k }, kindLabel(k))));
  const body = h('tbody');
  const pager = h('div', { class: 'pager' });
  let page = 0;
  root.append(h('div', { class: 'filters' }, q, fKind), h('table', { class: 'grid', id: 'device-table' }, h('thead', {}, h('tr', {}, [t('name'), 'ID', t('kind'), t('group'), t('status'), t('lastSeen')].map((c) => h('th', {}, c)))), body), pager);
  const paint = (): void => {
    const needle = q.value.trim().toLowerCase();
    const rows = [...fleet.devices.values()].filter((d) => (!fKind.value || d.kind === fKind.value) && (!needle || d.id.includes(needle) || d.name.toLowerCase().includes(needle)));
    const pages = Math.max(1, Math.ceil(rows.length / 100));
    page = Math.min(page, pages - 1);
    clear(body);
    for (const d of rows.slice(page * 100, page * 100 + 100)) {
      body.append(h('tr', { class: statusOf(d) }, h('td', {}, h('a', { href: `#/device/${d.id}` }, d.name)), h('td', {}, d.id), h('td', {}, kindLabel(d.kind)), h('td', {}, d.groupId ?? '—'), h('td', {}, h('span', { class: `dot ${statusOf(d)}` }), t(statusOf(d))), h('td', {}, fmtTime(d.lastSeen, getLang()))));
    }
    clear(pager);
    pager.append(h('button', { disabled: page === 0, onclick: () => { page--; paint(); } }, '‹'), ` ${t('page')} ${page + 1}/${pages} (${rows.length}) `, h('button', { disabled: page >= pages - 1, onclick: () => { page++; paint(); } }, '›'));
  };
  q.addEventListener('input', () => { page = 0; paint(); });
  fKind.addEventListener('change', () => { page = 0; paint(); });
  paint();
  return fleet.subscribe(paint);
}

interface DeviceDetail { id: string; kind: string; name: string; groupId: string | null; zoneIds: string[]; lat: number | null; lon: number | null; address: string | null; asset: Record<string, unknown>; tags: string[]; installedAt: string | null }
interface SeriesResponse { unit: string; meaning: 'gauge' | 'counter'; agg: string; bucket: string; points: { bucket: string; value: number | null; count: number }[] }
interface Delivery { state: string; attempts: number; sentAt: string | null; ackedAt: string | null; finishedAt: string | null; ackStatus: string | null; result: Record<string, unknown> | null; error: string | null }
interface CommandItem { id: string; name: string; params: Record<string, unknown>; origin: string; createdBy: string; createdAt: string; state: string; stateLabel: { vi: string; en: string }; delivery?: Delivery }

/** Window choices of the telemetry chart: hours and the bucket that gives ~100–170 points. */
const WINDOWS = [
  { hours: 24, bucket: '15m', bucketMs: 900_000, label: 'last24h' },
  { hours: 168, bucket: '1h', bucketMs: 3_600_000, label: 'last7d' },
  { hours: 720, bucket: '6h', bucketMs: 21_600_000, label: 'last30d' },
] as const;

const fmtValue = (v: unknown): string => (typeof v === 'number' ? fmtNum(v, 2) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

function fmtDuration(ms: number): string {
  const [min, hr, day] = getLang() === 'vi' ? ['phút', 'giờ', 'ngày'] : ['min', 'h', 'd'];
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} ${min}`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} ${hr} ${m % 60} ${min}`;
  return `${Math.floor(hrs / 24)} ${day} ${hrs % 24} ${hr}`;
}

/**
 * One device: latest state (live), its record, telemetry charts over a chosen window (bucketed series from the
 * time-series API), online/offline history, and the commands sent to it with this device's own result. Operators may
 * send a command from here; viewers do not get the form (and the API refuses them anyway).
 */
export async function devicePage(root: HTMLElement, params: string[]): Promise<() => void> {
  let alive = true;
  const id = params[0] ?? '';
  const d = fleet.devices.get(id);
  if (!d) {
    root.append(h('p', {}, h('a', { href: '#/devices' }, `‹ ${t('back')}`)), h('p', { class: 'error', id: 'device-missing' }, `${t('dp_deviceNotFound')}: ${id}`));
    return () => undefined;
  }
  const kind = await kinds().then((ks) => ks.find((k) => k.name === d.kind), () => undefined);
  // The operator may have moved on while the kinds loaded: this page is then no longer in the document.
  if (!root.isConnected) return () => undefined;
  const enc = encodeURIComponent(id);

  const stateBox = h('section', { class: 'panel', id: 'device-state' });
  const infoBox = h('section', { class: 'panel', id: 'device-info' }, h('h2', {}, t('dp_deviceInfo')), h('p', { class: 'muted' }, t('loading')));
  // Booleans and text are state, not series (the series API answers NOT_NUMERIC for them).
  const numeric = Object.entries(kind?.telemetry ?? {}).filter(([, s]) => s.type === 'number' || s.type === 'integer');
  const metric = h('select', { id: 'metric', 'aria-label': t('metric') }, numeric.map(([n, s]) => h('option', { value: n, title: s.doc }, `${n}${s.unit ? ` (${s.unit})` : ''}`)));
  const win = h('select', { id: 'window', 'aria-label': t('window') }, WINDOWS.map((w, i) => h('option', { value: String(i) }, t(w.label))));
  const chartBox = h('div', { class: 'chart-box', id: 'chart', 'data-state': 'loading' });
  const chartNote = h('p', { class: 'muted small', id: 'chart-note' });
  const historyBody = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const history = h('section', { class: 'panel', id: 'status-history' }, h('h2', {}, t('statusHistory')), historyBody);
  const commandsBody = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const commands = h('section', { class: 'panel', id: 'device-commands' }, h('h2', {}, t('commands')), commandsBody);
  root.append(
    h('p', {}, h('a', { href: '#/devices' }, `‹ ${t('back')}`)),
    h('h1', {}, d.name, ' ', h('small', { class: 'muted' }, `${d.id} · ${kindLabel(d.kind)}`)),
    h('div', { class: 'two' }, stateBox, infoBox),
    h('section', { class: 'panel', id: 'device-telemetry' }, h('h2', {}, t('telemetry')), h('div', { class: 'filters' }, h('label', {}, t('metric'), metric), h('label', {}, t('window'), win)), chartBox, chartNote),
    h('div', { class: 'two' }, history, commands),
  );

  // ── Latest state, repainted by the live stream ──
  const paintState = (): void => {
    if (!alive) return;
    clear(stateBox);
    const unitOf = (k: string): string => kind?.telemetry[k]?.unit ?? '';
    stateBox.append(
      h('h2', {}, t('latestState')),
      h('p', { 'data-status': statusOf(d) }, h('span', { class: `dot ${statusOf(d)}` }), `${t(statusOf(d))} · ${t('lastSeen')}: ${fmtTime(d.lastSeen, getLang())}${d.statusReason ? ` · ${d.statusReason}` : ''}`),
      Object.keys(d.state).length
        ? h('dl', { class: 'kv' }, Object.entries(d.state).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => [h('dt', { title: kind?.telemetry[k]?.doc ?? '' }, k), h('dd', {}, `${fmtValue(v)}${unitOf(k) ? ` ${unitOf(k)}` : ''}`)]))
        : h('p', { class: 'muted' }, t('noData')),
    );
  };

  // ── Device record ──
  void api.get<DeviceDetail>(`/api/v1/devices/${enc}`).then(
    (r) => {
      if (!alive) return;
      const rows: [string, string][] = [
        [t('kind'), kindLabel(r.kind)],
        [t('group'), r.groupId ?? '—'],
        [t('dp_zones'), r.zoneIds.join(', ') || '—'],
        [t('dp_position'), r.lat !== null && r.lon !== null ? `${r.lat.toFixed(6)}, ${r.lon.toFixed(6)}` : '—'],
        [t('dp_address'), r.address ?? '—'],
        [t('dp_installedAt'), r.installedAt ? fmtTime(r.installedAt, getLang()) : '—'],
        [t('dp_tags'), r.tags.join(', ') || '—'],
        ...Object.entries(r.asset).map(([k, v]): [string, string] => [`${t('dp_asset')}: ${k}`, fmtValue(v)]),
      ];
      infoBox.replaceChildren(h('h2', {}, t('dp_deviceInfo')), h('dl', { class: 'kv' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    },
    (e: Error) => alive && infoBox.replaceChildren(h('h2', {}, t('dp_deviceInfo')), h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${e.message}`)),
  );

  // ── Telemetry chart: gauges as the bucket average with a min–max band, counters as the increase per bucket ──
  let chartSeq = 0;
  const loadChart = async (): Promise<void> => {
    const name = metric.value;
    if (!name) {
      chartBox.dataset.state = 'empty';
      chartBox.replaceChildren(h('p', { class: 'muted' }, t('noData')));
      return;
    }
    const seq = ++chartSeq;
    const w = WINDOWS[Number(win.value)] ?? WINDOWS[0];
    const to = Date.now();
    const from = to - w.hours * 3_600_000;
    const q = (agg: string): string => `/api/v1/devices/${enc}/series?metric=${encodeURIComponent(name)}&bucket=${w.bucket}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${agg ? `&agg=${agg}` : ''}`;
    const counter = kind?.telemetry[name]?.meaning === 'counter';
    chartBox.dataset.state = 'loading';
    try {
      const [main, lo, hi] = await Promise.all([api.get<SeriesResponse>(q('')), counter ? undefined : api.get<SeriesResponse>(q('min')), counter ? undefined : api.get<SeriesResponse>(q('max'))]);
      if (!alive || seq !== chartSeq) return;
      const points: ChartPoint[] = main.points.map((p) => ({ t: Date.parse(p.bucket), v: p.value }));
      const his = new Map((hi?.points ?? []).map((p) => [p.bucket, p.value]));
      const band: ChartBand[] = (lo?.points ?? []).map((p) => ({ t: Date.parse(p.bucket), lo: p.value, hi: his.get(p.bucket) ?? null }));
      chartBox.dataset.state = points.length ? 'ready' : 'empty';
      chartBox.dataset.points = String(points.length);
      chartBox.replaceChildren(points.length ? lineChart(points, { width: Math.max(360, Math.min(1400, chartBox.clientWidth || 640)), height: 240, unit: main.unit, label: `${name} · ${t(w.label)}`, from, to, bucketMs: w.bucketMs, bars: counter, band, lang: getLang() }) : h('p', { class: 'muted' }, t('noData')));
      chartNote.textContent = points.length ? `${w.bucket} · ${counter ? t('dp_perBucket') : `${t('dp_average')}; ${t('dp_minMax')}`}` : '';
    } catch (e) {
      if (!alive || seq !== chartSeq) return;
      chartBox.dataset.state = 'error';
      chartBox.replaceChildren(h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };
  metric.addEventListener('change', () => void loadChart());
  win.addEventListener('change', () => void loadChart());

  // ── Online/offline transitions, newest first, with how long each state lasted ──
  const loadHistory = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: { time: string; online: boolean; reason: string }[] }>(`/api/v1/devices/${enc}/status-history?limit=50`);
      if (!alive) return;
      historyBody.replaceChildren(
        r.items.length
          ? h('table', { class: 'grid' },
              h('thead', {}, h('tr', {}, [t('time'), t('status'), t('dp_duration'), t('reason')].map((c) => h('th', {}, c)))),
              h('tbody', {}, r.items.map((x, i) => {
                const end = i === 0 ? Date.now() : Date.parse(r.items[i - 1]!.time);
                return h('tr', { 'data-online': String(x.online) },
                  h('td', {}, fmtTime(x.time, getLang())),
                  h('td', {}, h('span', { class: `dot ${x.online ? 'online' : 'offline'}` }), t(x.online ? 'online' : 'offline')),
                  h('td', {}, `${fmtDuration(end - Date.parse(x.time))}${i === 0 ? ` (${t('dp_ongoing')})` : ''}`),
                  h('td', {}, x.reason));
              })))
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      if (alive) historyBody.replaceChildren(h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };

  // ── Commands sent to this device, with this device's own delivery and result ──
  const loadCommands = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: CommandItem[] }>(`/api/v1/commands?device=${enc}&limit=20`);
      if (!alive) return;
      commandsBody.replaceChildren(
        r.items.length
          ? h('table', { class: 'grid', id: 'command-table' },
              h('thead', {}, h('tr', {}, [t('time'), t('dp_command'), t('dp_sentBy'), t('status'), t('dp_attempts'), t('result')].map((c) => h('th', {}, c)))),
              h('tbody', {}, r.items.map((c) => {
                const dv = c.delivery;
                const state = dv?.state ?? c.state;
                const label = dv ? t(`dstate_${dv.state}`) : getLang() === 'vi' ? c.stateLabel.vi : c.stateLabel.en;
                const outcome = dv ? [dv.ackStatus, dv.error, dv.result ? JSON.stringify(dv.result) : null].filter(Boolean).join(' · ') : '';
                return h('tr', { 'data-command': c.id, 'data-state': state },
                  h('td', {}, fmtTime(c.createdAt, getLang())),
                  h('td', { class: 'wrap' }, h('strong', {}, c.name), Object.keys(c.params).length ? h('div', { class: 'muted small' }, JSON.stringify(c.params)) : null),
                  h('td', {}, `${c.createdBy}${c.origin !== 'api' ? ` (${c.origin})` : ''}`),
                  h('td', {}, h('span', { class: `badge ${state}` }, label)),
                  h('td', {}, dv ? String(dv.attempts) : '—'),
                  h('td', { class: 'wrap' }, outcome || '—', dv?.finishedAt ? h('div', { class: 'muted small' }, fmtTime(dv.finishedAt, getLang())) : null));
              })))
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      if (alive) commandsBody.replaceChildren(h('p', { class: 'muted' }, e instanceof ApiError && e.status === 404 ? t('notAvailable') : `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };

  // ── Operators: send one of the kind's commands to this device ──
  const commandSpecs = Object.entries(kind?.commands ?? {});
  if (api.can('operator') && commandSpecs.length) {
    const cmd = h('select', { id: 'cmd-name' }, commandSpecs.map(([n, c]) => h('option', { value: n, title: c.doc }, n)));
    const paramsBox = h('textarea', { id: 'cmd-params', rows: 3, spellcheck: false }, '{}');
    const hint = h('p', { class: 'muted small' });
    const out = h('p', { role: 'status', id: 'cmd-result' });
    const showHint = (): void => {
      const spec = kind?.commands?.[cmd.value];
      const req = new Set(spec?.params.required ?? []);
      hint.textContent = `${spec?.doc ?? ''} ${Object.entries(spec?.params.properties ?? {}).map(([k, p]) => `${k}${req.has(k) ? '*' : ''}: ${p.type ?? '…'}`).join(', ')}`;
    };
    cmd.addEventListener('change', showHint);
    showHint();
    const form = h('form', {
      class: 'send-command', 'data-role-min': 'operator',
      onsubmit: (e: Event) => {
        e.preventDefault();
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(paramsBox.value || '{}') as Record<string, unknown>;
        } catch {
          out.className = 'error';
          out.textContent = t('dp_badJson');
          return;
        }
        out.className = 'muted';
        out.textContent = t('loading');
        api.request<{ id: string; stateLabel: { vi: string; en: string } }>('POST', '/api/v1/commands', { name: cmd.value, params: parsed, target: { type: 'device', id } }).then(
          (r) => {
            if (!alive) return;
            out.className = 'ok';
            out.textContent = `${t('dp_commandSent')}: ${r.id} · ${getLang() === 'vi' ? r.stateLabel.vi : r.stateLabel.en}`;
            void loadCommands();
          },
          (err: Error) => {
            if (!alive) return;
            out.className = 'error';
            out.textContent = `${t('error')}: ${err.message}`;
          },
        );
      },
    }, h('h3', {}, t('dp_sendCommand')), h('div', { class: 'filters' }, h('label', {}, t('dp_command'), cmd), h('label', { class: 'grow' }, t('dp_paramsJson'), paramsBox), h('button', { type: 'submit', class: 'primary' }, t('dp_send'))), hint, out);
    commands.append(form);
  }

  paintState();
  void loadChart();
  void loadHistory();
  void loadCommands();
  const unsubs = [
    fleet.subscribe(paintState),
    fleet.on('device.status', (e) => { if ((e as { deviceId?: string }).deviceId === id) void loadHistory(); }),
    fleet.on('command.outcome', (e) => { if ((e as { deviceId?: string }).deviceId === id) void loadCommands(); }),
  ];
  return () => {
    alive = false;
    for (const u of unsubs) u();
  };
}
