import { api, ApiError } from '../api.ts';
import { clear, fmtTime, h } from '../dom.ts';
import { fleet, statusOf, type FleetDevice } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import type { Settings } from '../main.ts';
import { wall, zonedToDate } from '../ui/zoned.ts';

addStrings(
  {
    lightControl: 'Điều khiển đèn', levelShort: 'Mức sáng', pushCommands: 'lệnh gửi chương trình mới tới đèn', targetZone: 'Cả khu vực', targetLights: 'Chọn từng đèn', level: 'Mức sáng (%)', until: 'Đến lúc',
    duration: 'Trong', custom: 'Tự chọn…', apply: 'Áp dụng', turnOn: 'Bật 100%', turnOff: 'Tắt', resume: 'Trở về chương trình',
    rampS: 'Chuyển dần (giây)', selectAll: 'Chọn tất cả đèn đang hiện', selected: 'đã chọn', chooseLights: 'Chọn ít nhất một đèn hoặc một khu vực',
    commandResult: 'Xác nhận của từng đèn', noCommand: 'Chưa gửi lệnh nào từ trang này', device: 'Thiết bị', attempts: 'Lần gửi',
    ack_queued: 'Đang chờ (đèn chưa kết nối)', ack_sent: 'Đã gửi, chờ xác nhận', ack_acknowledged: 'Đã xác nhận', ack_failed: 'Không thực hiện được',
    ack_expired: 'Hết hạn', ack_cancelled: 'Đã huỷ', ackSummary: 'đã xác nhận', pendingCount: 'đang chờ', failedCount: 'lỗi/hết hạn',
    programs: 'Chương trình chiếu sáng', calendars: 'Lịch chiếu sáng', assignments: 'Gán chương trình / lịch', steps: 'Các bước',
    newProgram: 'Chương trình mới', newCalendar: 'Lịch mới', newAssignment: 'Gán mới', edit: 'Sửa', delete: 'Xoá', save: 'Lưu', cancel: 'Huỷ',
    addStep: 'Thêm bước', addRule: 'Thêm quy tắc', at: 'Lúc', offsetMin: 'Lệch (phút)', sunset: 'Hoàng hôn', sunrise: 'Bình minh', fixedTime: 'Giờ cố định',
    defaultProgram: 'Chương trình mặc định', rules: 'Quy tắc', from: 'Từ ngày', to: 'Đến ngày', weekdays: 'Thứ', program: 'Chương trình', calendar: 'Lịch',
    target: 'Áp dụng cho', confirmDelete: 'Xoá mục này?', saved: 'Đã lưu', lights: 'đèn', remove: 'Bỏ',
    min15: '15 phút', min30: '30 phút', h1: '1 giờ', h2: '2 giờ', h4: '4 giờ', h8: '8 giờ', h12: '12 giờ', untilMorning: 'Đến 6 giờ sáng',
    overrideNote: 'Lệnh điều khiển tay luôn có giờ kết thúc (tối đa 24 giờ); sau đó đèn trở về chương trình.', polling: 'đang hỏi lại máy chủ',
    assignedBy: 'Người gán', noLights: 'Không có đèn nào', idHint: 'mã (chữ thường, số, -)',
  },
  {
    lightControl: 'Light control', levelShort: 'Level', pushCommands: 'program command(s) sent to lights', targetZone: 'Whole zone', targetLights: 'Pick lights', level: 'Level (%)', until: 'Until',
    duration: 'For', custom: 'Custom…', apply: 'Apply', turnOn: 'On 100%', turnOff: 'Off', resume: 'Back to program',
    rampS: 'Ramp (s)', selectAll: 'Select all lights shown', selected: 'selected', chooseLights: 'Choose at least one light or a zone',
    commandResult: 'Acknowledgement per light', noCommand: 'No command sent from this page yet', device: 'Device', attempts: 'Attempts',
    ack_queued: 'Queued (light not connected)', ack_sent: 'Sent, awaiting ack', ack_acknowledged: 'Acknowledged', ack_failed: 'Failed',
    ack_expired: 'Expired', ack_cancelled: 'Cancelled', ackSummary: 'acknowledged', pendingCount: 'pending', failedCount: 'failed/expired',
    programs: 'Lighting programs', calendars: 'Lighting calendars', assignments: 'Program / calendar assignments', steps: 'Steps',
    newProgram: 'New program', newCalendar: 'New calendar', newAssignment: 'New assignment', edit: 'Edit', delete: 'Delete', save: 'Save', cancel: 'Cancel',
    addStep: 'Add step', addRule: 'Add rule', at: 'At', offsetMin: 'Offset (min)', sunset: 'Sunset', sunrise: 'Sunrise', fixedTime: 'Fixed time',
    defaultProgram: 'Default program', rules: 'Rules', from: 'From', to: 'To', weekdays: 'Weekdays', program: 'Program', calendar: 'Calendar',
    target: 'Applies to', confirmDelete: 'Delete this item?', saved: 'Saved', lights: 'lights', remove: 'Remove',
    min15: '15 min', min30: '30 min', h1: '1 hour', h2: '2 hours', h4: '4 hours', h8: '8 hours', h12: '12 hours', untilMorning: 'Until 6 am',
    overrideNote: 'A manual override always ends (at most 24 h); the lights then return to their program.', polling: 'asking the server again',
    assignedBy: 'Assigned by', noLights: 'No lights', idHint: 'id (lower case, digits, -)',
  },
);

interface Zone { id: string; name: string; kind: string; parentId: string | null }
interface KindInfo { name: string; commands: Record<string, unknown> }
interface Step { at: string; offsetMin?: number; level: number; rampS?: number }
interface Program { id: string; name: string; steps: Step[]; updatedAt: string }
interface Rule { name?: string; from: string; to: string; weekdays?: number[]; programId: string }
interface Calendar { id: string; name: string; defaultProgramId: string; rules: Rule[]; updatedAt: string }
interface Assignment { targetType: 'zone' | 'device'; targetId: string; calendarId: string | null; programId: string | null; assignedBy: string; assignedAt: string }
interface CommandView { id: string; state: string; deviceCount: number; counts: Record<string, number> }
interface Delivery { deviceId: string; state: string; attempts: number; error: string | null; ackedAt: string | null; finishedAt: string | null }
/** `command.outcome` (final states) and `command.update` (any change, when the service sends it). */
interface CommandEvent { commandId: string; deviceId: string; status?: string; state?: string }

const FINAL = new Set(['acknowledged', 'failed', 'expired', 'cancelled']);
/** Without a live event for this long while deliveries are open, the page asks the server. */
const POLL_AFTER_MS = 4000;
const ID_PATTERN = '[a-z0-9][a-z0-9._-]{0,62}';

/** Controls that change something carry data-role-min and are not shown to roles below it (the API refuses anyway). */
function gated<T extends HTMLElement>(el: T, role: 'operator' | 'admin' = 'operator'): T {
  el.setAttribute('data-role-min', role);
  if (!api.can(role)) {
    el.hidden = true;
    el.style.display = 'none';
  }
  return el;
}

const errText = (e: unknown): string => (e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);

let kindsCache: Promise<KindInfo[]> | undefined;
const kinds = (): Promise<KindInfo[]> => (kindsCache ??= api.get<{ items: KindInfo[] }>('/api/v1/kinds').then((r) => r.items));

const stepText = (s: Step): string => {
  const at = s.at === 'sunset' ? t('sunset') : s.at === 'sunrise' ? t('sunrise') : s.at;
  const off = s.offsetMin ? `${s.offsetMin > 0 ? '+' : '−'}${Math.abs(s.offsetMin)}′` : '';
  return `${at}${off} → ${s.level}%${s.rampS ? ` (${s.rampS}s)` : ''}`;
};

/**
 * Lighting: switch or dim a zone or picked lights with an end time and follow each light's acknowledgement live
 * (command.outcome over the live stream; the command's state is polled when no event comes); programs, calendars and
 * their assignments with forms.
 */
export async function lightingPage(root: HTMLElement, _params: string[], settings: Settings): Promise<() => void> {
  const tz = settings.ward.timezone;
  const unsubs: (() => void)[] = [];
  let alive = true;
  const lightKinds = new Set((await kinds().catch(() => [] as KindInfo[])).filter((k) => 'setLevel' in k.commands && 'setProgram' in k.commands).map((k) => k.name));
  if (!lightKinds.size) lightKinds.add('streetlight');
  const lights = (): FleetDevice[] => [...fleet.devices.values()].filter((d) => lightKinds.has(d.kind)).sort((a, b) => a.id.localeCompare(b.id));
  let zones: Zone[] = [];
  try {
    zones = (await api.get<{ items: Zone[] }>('/api/v1/zones')).items.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  } catch {
    zones = [...new Set(lights().flatMap((d) => [d.groupId, ...d.zoneIds]).filter((z): z is string => !!z))].map((id) => ({ id, name: id, kind: '', parentId: null }));
  }
  const zoneLabel = (id: string): string => {
    const z = zones.find((x) => x.id === id);
    return z && z.name !== z.id ? `${z.name} (${z.id})` : id;
  };
  const inZone = (d: FleetDevice, z: string): boolean => !z || d.groupId === z || d.zoneIds.includes(z);

  // ── Control: target, level, end ─────────────────────────────────────────────────────────────────────────────────
  const mode = h('select', { id: 'lt-mode' }, h('option', { value: 'zone' }, t('targetZone')), h('option', { value: 'devices' }, t('targetLights')));
  const zone = h('select', { id: 'lt-zone' }, h('option', { value: '' }, t('all')), zones.map((z) => h('option', { value: z.id }, zoneLabel(z.id))));
  const search = h('input', { type: 'search', id: 'lt-search', placeholder: t('search') });
  const selectAll = h('input', { type: 'checkbox', id: 'lt-select-all' });
  const picked = new Set<string>();
  const pickedCount = h('span', { class: 'muted', id: 'lt-picked' });
  const list = h('div', { class: 'pick-list', id: 'lt-lights' });
  const level = h('input', { type: 'number', id: 'lt-level', min: 0, max: 100, step: 1, value: 50, required: true });
  const slider = h('input', { type: 'range', id: 'lt-level-range', min: 0, max: 100, step: 1, value: 50 });
  slider.addEventListener('input', () => (level.value = slider.value));
  level.addEventListener('input', () => (slider.value = level.value));
  const DURATIONS: [string, string][] = [['900', 'min15'], ['1800', 'min30'], ['3600', 'h1'], ['7200', 'h2'], ['14400', 'h4'], ['28800', 'h8'], ['43200', 'h12'], ['morning', 'untilMorning'], ['custom', 'custom']];
  const duration = h('select', { id: 'lt-duration' }, DURATIONS.map(([v, k]) => h('option', { value: v, selected: v === '3600' }, t(k))));
  const until = h('input', { type: 'datetime-local', id: 'lt-until' });
  const untilLabel = h('label', { style: 'display:none' }, t('until'), until);
  duration.addEventListener('change', () => (untilLabel.style.display = duration.value === 'custom' ? '' : 'none'));
  const ramp = h('input', { type: 'number', id: 'lt-ramp', min: 0, max: 3600, step: 1, value: 0, style: 'width:6rem' });
  const msg = h('p', { class: 'muted', id: 'lt-msg', role: 'status' });

  const paintList = (): void => {
    const needle = search.value.trim().toLowerCase();
    const shown = lights().filter((d) => inZone(d, zone.value) && (!needle || d.id.includes(needle) || d.name.toLowerCase().includes(needle)));
    clear(list);
    for (const d of shown.slice(0, 500)) {
      const box = h('input', { type: 'checkbox', value: d.id, 'data-device': d.id, checked: picked.has(d.id) });
      box.addEventListener('change', () => {
        if (box.checked) picked.add(d.id);
        else picked.delete(d.id);
        pickedCount.textContent = `${picked.size} ${t('selected')}`;
      });
      list.append(h('label', { class: 'pick' }, box, h('span', { class: `dot ${statusOf(d)}` }), d.name === d.id ? d.id : `${d.name} · ${d.id}`));
    }
    if (shown.length > 500) list.append(h('p', { class: 'muted' }, `… +${shown.length - 500}`));
    if (!shown.length) list.append(h('p', { class: 'muted' }, t('noLights')));
    selectAll.checked = shown.length > 0 && shown.every((d) => picked.has(d.id));
    pickedCount.textContent = `${picked.size} ${t('selected')}`;
  };
  selectAll.addEventListener('change', () => {
    const needle = search.value.trim().toLowerCase();
    for (const d of lights().filter((x) => inZone(x, zone.value) && (!needle || x.id.includes(needle) || x.name.toLowerCase().includes(needle)))) {
      if (selectAll.checked) picked.add(d.id);
      else picked.delete(d.id);
    }
    paintList();
  });
  const pickBox = h('div', { id: 'lt-pick', hidden: true }, h('div', { class: 'filters' }, search, h('label', { class: 'inline' }, selectAll, t('selectAll')), pickedCount), list);
  mode.addEventListener('change', () => (pickBox.hidden = mode.value !== 'devices'));
  zone.addEventListener('change', paintList);
  search.addEventListener('input', paintList);

  const target = (): Record<string, unknown> | null => {
    if (mode.value === 'zone') return zone.value ? { type: 'zone', id: zone.value } : null;
    return picked.size ? { type: 'devices', ids: [...picked] } : null;
  };
  const expiry = (): { durationS: number } | { expiresAt: string } | null => {
    if (duration.value === 'custom') return until.value ? { expiresAt: zonedToDate(until.value, tz).toISOString() } : null;
    if (duration.value === 'morning') {
      // 06:00 in the ward: today's if it is still ahead, else tomorrow's.
      const w = wall(Date.now(), tz);
      const six = w.dayStart + 6 * 3_600_000;
      return { expiresAt: new Date(six > Date.now() ? six : six + 86_400_000).toISOString() };
    }
    return { durationS: Number(duration.value) };
  };

  // ── Acknowledgements, live ──────────────────────────────────────────────────────────────────────────────────────
  const ackBox = h('section', { class: 'panel', id: 'lt-acks', 'aria-live': 'polite' }, h('h2', {}, t('commandResult')), h('p', { class: 'muted' }, t('noCommand')));
  let follow: { prefix: string; ids: Set<string>; expected: number | null; rows: Map<string, Delivery>; trs: Map<string, HTMLTableRowElement>; lastEvent: number; timer?: ReturnType<typeof setTimeout> } | null = null;
  const summary = h('p', { id: 'lt-ack-summary' });
  const tbody = h('tbody');
  const setRow = (d: Delivery): void => {
    if (!follow) return;
    const prev = follow.rows.get(d.deviceId);
    // A final state never goes back to an open one (an event may arrive before the first poll answers).
    if (prev && FINAL.has(prev.state) && !FINAL.has(d.state)) return;
    follow.rows.set(d.deviceId, { ...prev, ...d });
    const cur = follow.rows.get(d.deviceId) as Delivery;
    const cells = [
      h('td', {}, h('a', { href: `#/device/${encodeURIComponent(cur.deviceId)}` }, fleet.devices.get(cur.deviceId)?.name ?? cur.deviceId)),
      h('td', {}, h('span', { class: `badge ${cur.state}` }, t(`ack_${cur.state}`))),
      h('td', {}, String(cur.attempts || '')),
      h('td', {}, fmtTime(cur.finishedAt ?? cur.ackedAt, getLang())),
      h('td', { class: 'error' }, cur.error ?? ''),
    ];
    let tr = follow.trs.get(cur.deviceId);
    if (!tr) {
      tr = h('tr', { 'data-device': cur.deviceId });
      follow.trs.set(cur.deviceId, tr);
      tbody.append(tr);
    }
    tr.setAttribute('data-state', cur.state);
    tr.replaceChildren(...cells);
  };
  const paintSummary = (): void => {
    if (!follow) return;
    const all = [...follow.rows.values()];
    const acked = all.filter((d) => d.state === 'acknowledged').length;
    const bad = all.filter((d) => d.state === 'failed' || d.state === 'expired' || d.state === 'cancelled').length;
    // Until the server said how many lights the command holds (and the first poll listed them), rows may be missing.
    const total = Math.max(follow.expected ?? 0, all.length);
    const open = total - acked - bad;
    summary.textContent = `${acked}/${total} ${t('ackSummary')} · ${open} ${t('pendingCount')} · ${bad} ${t('failedCount')}`;
    ackBox.setAttribute('data-total', String(total));
    ackBox.setAttribute('data-acked', String(acked));
    ackBox.setAttribute('data-open', String(open));
    ackBox.setAttribute('data-done', String(follow.expected !== null && total > 0 && open === 0));
  };
  const poll = async (): Promise<void> => {
    const f = follow;
    if (!f || !alive) return;
    try {
      for (const id of f.ids) {
        const r = await api.get<{ command: CommandView; deliveries: Delivery[] }>(`/api/v1/commands/${encodeURIComponent(id)}?limit=1000`);
        if (follow !== f) return;
        for (const d of r.deliveries) setRow(d);
      }
      paintSummary();
    } catch {
      /* the next poll tries again */
    }
  };
  const schedulePoll = (): void => {
    const f = follow;
    if (!f || !alive) return;
    clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      const open = f.rows.size < (f.expected ?? 1) || [...f.rows.values()].some((d) => !FINAL.has(d.state));
      if (!open || follow !== f || !alive) return;
      const quiet = Date.now() - f.lastEvent >= POLL_AFTER_MS;
      if (quiet) ackBox.setAttribute('data-polled', String(Number(ackBox.getAttribute('data-polled') ?? 0) + 1));
      void (quiet ? poll() : Promise.resolve()).then(schedulePoll);
    }, POLL_AFTER_MS);
  };
  const onCommandEvent = (data: unknown): void => {
    const e = data as CommandEvent;
    const f = follow;
    if (!f || !(e.commandId === f.prefix || e.commandId.startsWith(`${f.prefix}:`))) return;
    f.lastEvent = Date.now();
    const state = e.status ?? e.state;
    if (!state) return;
    const prev = f.rows.get(e.deviceId);
    setRow({ deviceId: e.deviceId, state, attempts: prev?.attempts ?? 0, error: prev?.error ?? null, ackedAt: prev?.ackedAt ?? null, finishedAt: FINAL.has(state) ? new Date().toISOString() : prev?.finishedAt ?? null });
    paintSummary();
    // Failure details (the device's message) come with the command's record.
    if (state === 'failed') void poll();
  };
  unsubs.push(fleet.on('command.outcome', onCommandEvent), fleet.on('command.update', onCommandEvent));

  const startFollow = (id: string, label: string): void => {
    clearTimeout(follow?.timer);
    follow = { prefix: id, ids: new Set([id]), expected: null, rows: new Map(), trs: new Map(), lastEvent: Date.now() };
    clear(tbody);
    ackBox.setAttribute('data-command', id);
    ackBox.setAttribute('data-polled', '0');
    ackBox.replaceChildren(
      h('h2', {}, t('commandResult')),
      h('p', { class: 'muted' }, `${label} · ${id}`),
      summary,
      h('table', { class: 'grid', id: 'lt-ack-table' }, h('thead', {}, h('tr', {}, [t('device'), t('status'), t('attempts'), t('time'), t('error')].map((c) => h('th', {}, c)))), tbody),
    );
    paintSummary();
  };

  const send = async (path: string, body: Record<string, unknown>, label: string): Promise<void> => {
    const tg = target();
    if (!tg) {
      msg.textContent = t('chooseLights');
      msg.className = 'error';
      return;
    }
    // The page names the command itself, so it listens for its acknowledgements before the request is even answered.
    const id = `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    startFollow(id, label);
    msg.className = 'muted';
    msg.textContent = t('loading');
    try {
      const r = await api.request<{ commands: CommandView[]; lights: number }>('POST', path, { ...body, id, target: tg });
      if (follow?.prefix !== id) return;
      follow.ids = new Set(r.commands.map((c) => c.id));
      follow.expected = r.commands.reduce((n, c) => n + c.deviceCount, 0);
      msg.textContent = `${label}: ${r.lights} ${t('lights')}`;
      await poll();
      schedulePoll();
    } catch (e) {
      msg.className = 'error';
      msg.textContent = errText(e);
      ackBox.removeAttribute('data-command');
    }
  };
  const override = (lvl: number): void => {
    const end = expiry();
    if (!end) {
      msg.textContent = t('until');
      msg.className = 'error';
      return;
    }
    const rampS = Number(ramp.value) || 0;
    void send('/api/v1/lighting/override', { level: lvl, ...end, ...(rampS ? { rampS } : {}) }, `${t('levelShort')} ${lvl}%`);
  };
  // Resume has no client id in the API: it is followed by the command id it answers with.
  const resume = async (): Promise<void> => {
    const tg = target();
    if (!tg) {
      msg.textContent = t('chooseLights');
      msg.className = 'error';
      return;
    }
    try {
      const r = await api.request<{ commands: CommandView[]; lights: number }>('POST', '/api/v1/lighting/resume', { target: tg });
      const first = r.commands[0];
      if (!first) return;
      startFollow(first.id, t('resume'));
      if (follow) {
        follow.ids = new Set(r.commands.map((c) => c.id));
        follow.expected = r.commands.reduce((n, c) => n + c.deviceCount, 0);
      }
      msg.className = 'muted';
      msg.textContent = `${t('resume')}: ${r.lights} ${t('lights')}`;
      await poll();
      schedulePoll();
    } catch (e) {
      msg.className = 'error';
      msg.textContent = errText(e);
    }
  };

  const controls = gated(
    h(
      'section',
      { class: 'panel', id: 'lt-control' },
      h('h2', {}, t('lightControl')),
      h('div', { class: 'filters' }, h('label', {}, t('target'), mode), h('label', {}, t('zone'), zone)),
      pickBox,
      h(
        'div',
        { class: 'filters' },
        h('label', {}, t('level'), h('span', { class: 'inline' }, slider, level)),
        h('label', {}, t('duration'), duration),
        untilLabel,
        h('label', {}, t('rampS'), ramp),
        h('button', { class: 'primary', id: 'lt-apply', type: 'button', onclick: () => override(Number(level.value)) }, t('apply')),
        h('button', { id: 'lt-on', type: 'button', onclick: () => override(100) }, t('turnOn')),
        h('button', { id: 'lt-off', type: 'button', onclick: () => override(0) }, t('turnOff')),
        h('button', { id: 'lt-resume', type: 'button', onclick: () => void resume() }, t('resume')),
      ),
      h('p', { class: 'muted small' }, t('overrideNote')),
      msg,
    ),
  );
  root.append(h('h1', {}, t('lighting')), controls, ackBox);
  paintList();
  unsubs.push(fleet.subscribe(() => { if (!pickBox.hidden) paintList(); }));

  // ── Programs, calendars, assignments ────────────────────────────────────────────────────────────────────────────
  const progBox = h('section', { class: 'panel', id: 'lt-programs' });
  const calBox = h('section', { class: 'panel', id: 'lt-calendars' });
  const asgBox = h('section', { class: 'panel', id: 'lt-assignments' });
  root.append(h('div', { class: 'two' }, progBox, calBox), asgBox);
  let programs: Program[] = [];
  let calendars: Calendar[] = [];
  let assignments: Assignment[] = [];

  const note = (box: HTMLElement, text: string, cls = 'muted'): void => {
    box.querySelector('.form-msg')?.remove();
    box.append(h('p', { class: `form-msg ${cls}`, role: 'status' }, text));
  };
  // Saving pushes programs to the lights whose program changed: one command per program and kind.
  const pushedText = (r: { pushed?: { commands: string[] } }): string => (r.pushed ? `${t('saved')} · ${r.pushed.commands.length} ${t('pushCommands')}` : t('saved'));
  const remove = async (box: HTMLElement, url: string): Promise<void> => {
    if (!confirm(t('confirmDelete'))) return;
    try {
      await api.request('DELETE', url);
      await reload();
    } catch (e) {
      note(box, errText(e), 'error');
    }
  };

  const stepRow = (s: Step | null, holder: HTMLElement): HTMLElement => {
    const kind = h('select', { class: 'st-kind' }, h('option', { value: 'time' }, t('fixedTime')), h('option', { value: 'sunset' }, t('sunset')), h('option', { value: 'sunrise' }, t('sunrise')));
    kind.value = !s || /^\d/.test(s.at) ? 'time' : s.at;
    const time = h('input', { type: 'time', class: 'st-time', value: s && /^\d/.test(s.at) ? s.at : '18:00' });
    const offset = h('input', { type: 'number', class: 'st-offset', min: -180, max: 180, value: s?.offsetMin ?? 0, style: 'width:5rem' });
    const lvl = h('input', { type: 'number', class: 'st-level', min: 0, max: 100, value: s?.level ?? 100, required: true, style: 'width:5rem' });
    const rmp = h('input', { type: 'number', class: 'st-ramp', min: 0, max: 3600, value: s?.rampS ?? 0, style: 'width:5rem' });
    const sync = (): void => void (time.hidden = kind.value !== 'time');
    kind.addEventListener('change', sync);
    sync();
    const row = h('div', { class: 'filters step-row' }, h('label', {}, t('at'), kind), h('label', {}, '\u00a0', time), h('label', {}, t('offsetMin'), offset), h('label', {}, t('level'), lvl), h('label', {}, t('rampS'), rmp), h('button', { type: 'button', onclick: () => row.remove() }, t('remove')));
    holder.append(row);
    return row;
  };
  const readSteps = (holder: HTMLElement): Step[] =>
    [...holder.querySelectorAll<HTMLElement>('.step-row')].map((r) => {
      const v = (sel: string): string => (r.querySelector(sel) as HTMLInputElement).value;
      const step: Step = { at: v('.st-kind') === 'time' ? v('.st-time') : v('.st-kind'), level: Number(v('.st-level')) };
      if (Number(v('.st-offset'))) step.offsetMin = Number(v('.st-offset'));
      if (Number(v('.st-ramp'))) step.rampS = Number(v('.st-ramp'));
      return step;
    });

  const programForm = (p: Program | null): HTMLElement => {
    const id = h('input', { name: 'id', required: true, pattern: ID_PATTERN, value: p?.id ?? '', readonly: p !== null, placeholder: t('idHint') });
    const name = h('input', { name: 'name', required: true, value: p?.name ?? '' });
    const steps = h('div', { class: 'steps' });
    for (const s of p?.steps ?? [{ at: 'sunset', level: 100 }, { at: '23:00', level: 50 }, { at: 'sunrise', level: 0 }]) stepRow(s, steps);
    const form = h(
      'form',
      {
        class: 'edit-form', id: 'program-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void api.request<{ pushed?: { commands: string[] } }>('PUT', `/api/v1/lighting/programs/${encodeURIComponent(id.value)}`, { name: name.value, steps: readSteps(steps) }).then(
            async (r) => { await reload(); note(progBox, pushedText(r)); },
            (err: unknown) => note(form, errText(err), 'error'),
          );
        },
      },
      h('div', { class: 'filters' }, h('label', {}, 'ID', id), h('label', {}, t('name'), name)),
      h('strong', {}, t('steps')),
      steps,
      h('div', { class: 'filters' }, h('button', { type: 'button', onclick: () => stepRow(null, steps) }, t('addStep')), h('button', { type: 'submit', class: 'primary' }, t('save')), h('button', { type: 'button', onclick: () => form.remove() }, t('cancel'))),
    );
    return form;
  };

  const ruleRow = (r: Rule | null, holder: HTMLElement): void => {
    const name = h('input', { class: 'ru-name', value: r?.name ?? '', style: 'width:9rem' });
    const from = h('input', { class: 'ru-from', required: true, pattern: '(\\d{4}-)?\\d{2}-\\d{2}', placeholder: 'MM-DD', value: r?.from ?? '', style: 'width:8rem' });
    const to = h('input', { class: 'ru-to', required: true, pattern: '(\\d{4}-)?\\d{2}-\\d{2}', placeholder: 'MM-DD', value: r?.to ?? '', style: 'width:8rem' });
    const days = h('span', { class: 'inline ru-days' }, [1, 2, 3, 4, 5, 6, 7].map((d) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: d, checked: r?.weekdays?.includes(d) ?? false }), d === 7 ? 'CN' : `T${d + 1}`)));
    const prog = h('select', { class: 'ru-program', required: true }, programs.map((p) => h('option', { value: p.id, selected: p.id === r?.programId }, p.name)));
    const row = h('div', { class: 'filters rule-row' }, h('label', {}, t('name'), name), h('label', {}, t('from'), from), h('label', {}, t('to'), to), h('label', {}, t('weekdays'), days), h('label', {}, t('program'), prog), h('button', { type: 'button', onclick: () => row.remove() }, t('remove')));
    holder.append(row);
  };
  const readRules = (holder: HTMLElement): Rule[] =>
    [...holder.querySelectorAll<HTMLElement>('.rule-row')].map((row) => {
      const v = (sel: string): string => (row.querySelector(sel) as HTMLInputElement).value;
      const rule: Rule = { from: v('.ru-from'), to: v('.ru-to'), programId: v('.ru-program') };
      if (v('.ru-name')) rule.name = v('.ru-name');
      const wd = [...row.querySelectorAll<HTMLInputElement>('.ru-days input:checked')].map((x) => Number(x.value));
      if (wd.length) rule.weekdays = wd;
      return rule;
    });

  const calendarForm = (c: Calendar | null): HTMLElement => {
    const id = h('input', { name: 'id', required: true, pattern: ID_PATTERN, value: c?.id ?? '', readonly: c !== null, placeholder: t('idHint') });
    const name = h('input', { name: 'name', required: true, value: c?.name ?? '' });
    const def = h('select', { name: 'defaultProgramId', required: true }, programs.map((p) => h('option', { value: p.id, selected: p.id === c?.defaultProgramId }, p.name)));
    const rules = h('div', { class: 'rules' });
    for (const r of c?.rules ?? []) ruleRow(r, rules);
    const form = h(
      'form',
      {
        class: 'edit-form', id: 'calendar-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void api.request<{ pushed?: { commands: string[] } }>('PUT', `/api/v1/lighting/calendars/${encodeURIComponent(id.value)}`, { name: name.value, defaultProgramId: def.value, rules: readRules(rules) }).then(
            async (r) => { await reload(); note(calBox, pushedText(r)); },
            (err: unknown) => note(form, errText(err), 'error'),
          );
        },
      },
      h('div', { class: 'filters' }, h('label', {}, 'ID', id), h('label', {}, t('name'), name), h('label', {}, t('defaultProgram'), def)),
      h('strong', {}, t('rules')),
      rules,
      h('div', { class: 'filters' }, h('button', { type: 'button', onclick: () => ruleRow(null, rules) }, t('addRule')), h('button', { type: 'submit', class: 'primary' }, t('save')), h('button', { type: 'button', onclick: () => form.remove() }, t('cancel'))),
    );
    return form;
  };

  const assignmentForm = (): HTMLElement => {
    const type = h('select', { name: 'targetType' }, h('option', { value: 'zone' }, t('zone')), h('option', { value: 'device' }, t('device')));
    const zoneSel = h('select', { name: 'zone' }, zones.map((z) => h('option', { value: z.id }, zoneLabel(z.id))));
    const devSel = h('select', { name: 'device', hidden: true }, lights().map((d) => h('option', { value: d.id }, d.name === d.id ? d.id : `${d.name} · ${d.id}`)));
    type.addEventListener('change', () => { zoneSel.hidden = type.value !== 'zone'; devSel.hidden = type.value !== 'device'; });
    const what = h(
      'select',
      { name: 'what', required: true },
      h('optgroup', { label: t('calendars') }, calendars.map((c) => h('option', { value: `cal:${c.id}` }, c.name))),
      h('optgroup', { label: t('programs') }, programs.map((p) => h('option', { value: `prog:${p.id}` }, p.name))),
    );
    const form = h(
      'form',
      {
        class: 'edit-form', id: 'assignment-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const [k, ...rest] = what.value.split(':');
          const ref = rest.join(':');
          const body = { targetType: type.value, targetId: type.value === 'zone' ? zoneSel.value : devSel.value, ...(k === 'cal' ? { calendarId: ref } : { programId: ref }) };
          void api.request<{ pushed?: { commands: string[] } }>('PUT', '/api/v1/lighting/assignments', body).then(
            async (r) => { await reload(); note(asgBox, pushedText(r)); },
            (err: unknown) => note(form, errText(err), 'error'),
          );
        },
      },
      h('div', { class: 'filters' }, h('label', {}, t('target'), type), h('label', {}, '\u00a0', zoneSel, devSel), h('label', {}, `${t('calendar')} / ${t('program')}`, what),
        h('button', { type: 'submit', class: 'primary' }, t('save')), h('button', { type: 'button', onclick: () => form.remove() }, t('cancel'))),
    );
    return form;
  };

  const openForm = (box: HTMLElement, form: HTMLElement): void => {
    box.querySelector('form.edit-form')?.remove();
    box.querySelector('.form-msg')?.remove();
    box.append(form);
    form.querySelector<HTMLElement>('input:not([readonly]), select')?.focus();
  };

  const paintPrograms = (): void => {
    clear(progBox);
    progBox.append(
      h('h2', {}, t('programs')),
      programs.length
        ? h('table', { class: 'grid' }, h('tbody', {}, programs.map((p) => h('tr', { 'data-program': p.id },
            h('td', {}, h('strong', {}, p.name), h('br'), h('small', { class: 'muted' }, p.id)),
            h('td', {}, p.steps.map(stepText).join(' · ')),
            h('td', { class: 'actions' }, gated(h('span', {}, h('button', { type: 'button', onclick: () => openForm(progBox, programForm(p)) }, t('edit')), ' ', h('button', { type: 'button', onclick: () => void remove(progBox, `/api/v1/lighting/programs/${encodeURIComponent(p.id)}`) }, t('delete')))))))))
        : h('p', { class: 'muted' }, t('noData')),
      gated(h('button', { type: 'button', id: 'program-new', onclick: () => openForm(progBox, programForm(null)) }, t('newProgram'))),
    );
  };
  const paintCalendars = (): void => {
    clear(calBox);
    const pname = (id: string): string => programs.find((p) => p.id === id)?.name ?? id;
    calBox.append(
      h('h2', {}, t('calendars')),
      calendars.length
        ? h('table', { class: 'grid' }, h('tbody', {}, calendars.map((c) => h('tr', { 'data-calendar': c.id },
            h('td', {}, h('strong', {}, c.name), h('br'), h('small', { class: 'muted' }, c.id)),
            h('td', {}, `${t('defaultProgram')}: ${pname(c.defaultProgramId)}`, c.rules.map((r) => h('div', { class: 'small' }, `${r.name ? `${r.name}: ` : ''}${r.from} → ${r.to}${r.weekdays ? ` [${r.weekdays.join(',')}]` : ''} · ${pname(r.programId)}`))),
            h('td', { class: 'actions' }, gated(h('span', {}, h('button', { type: 'button', onclick: () => openForm(calBox, calendarForm(c)) }, t('edit')), ' ', h('button', { type: 'button', onclick: () => void remove(calBox, `/api/v1/lighting/calendars/${encodeURIComponent(c.id)}`) }, t('delete')))))))))
        : h('p', { class: 'muted' }, t('noData')),
      gated(h('button', { type: 'button', id: 'calendar-new', disabled: programs.length === 0, onclick: () => openForm(calBox, calendarForm(null)) }, t('newCalendar'))),
    );
  };
  const paintAssignments = (): void => {
    clear(asgBox);
    const name = (a: Assignment): string => (a.calendarId ? `${t('calendar')}: ${calendars.find((c) => c.id === a.calendarId)?.name ?? a.calendarId}` : `${t('program')}: ${programs.find((p) => p.id === a.programId)?.name ?? a.programId ?? ''}`);
    asgBox.append(
      h('h2', {}, t('assignments')),
      assignments.length
        ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, [t('target'), `${t('calendar')} / ${t('program')}`, t('assignedBy'), t('time'), ''].map((c) => h('th', {}, c)))),
            h('tbody', {}, assignments.map((a) => h('tr', { 'data-assignment': `${a.targetType}:${a.targetId}` },
              h('td', {}, a.targetType === 'zone' ? `${t('zone')} ${zoneLabel(a.targetId)}` : `${t('device')} ${a.targetId}`),
              h('td', {}, name(a)), h('td', {}, a.assignedBy), h('td', {}, fmtTime(a.assignedAt, getLang())),
              h('td', { class: 'actions' }, gated(h('button', { type: 'button', onclick: () => void remove(asgBox, `/api/v1/lighting/assignments/${a.targetType}/${encodeURIComponent(a.targetId)}`) }, t('delete'))))))))
        : h('p', { class: 'muted' }, t('noData')),
      gated(h('button', { type: 'button', id: 'assignment-new', disabled: programs.length + calendars.length === 0, onclick: () => openForm(asgBox, assignmentForm()) }, t('newAssignment'))),
    );
  };
  const reload = async (): Promise<void> => {
    const [p, c, a] = await Promise.all([
      api.get<{ items: Program[] }>('/api/v1/lighting/programs'),
      api.get<{ items: Calendar[] }>('/api/v1/lighting/calendars'),
      api.get<{ items: Assignment[] }>('/api/v1/lighting/assignments'),
    ]);
    if (!alive) return;
    programs = p.items;
    calendars = c.items;
    assignments = a.items;
    paintPrograms();
    paintCalendars();
    paintAssignments();
  };
  await reload().catch((e: unknown) => progBox.append(h('p', { class: 'error' }, errText(e))));

  return () => {
    alive = false;
    clearTimeout(follow?.timer);
    for (const u of unsubs) u();
  };
}
