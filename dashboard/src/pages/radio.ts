import { api, ApiError } from '../api.ts';
import { clear, fmtNum, fmtTime, h } from '../dom.ts';
import { fleet, statusOf, type FleetDevice } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import type { Settings } from '../main.ts';
import { dateToZoned, wall, zonedToDate } from '../ui/zoned.ts';
import { gated } from '../ui/gated.ts';
import { errorText } from '../ui/notice.ts';
import { rruleText } from '../ui/rrule-text.ts';
import { kinds } from '../kinds.ts';

addStrings(
  {
    audioFiles: 'Tệp âm thanh', upload: 'Tải lên', title: 'Tiêu đề', file: 'Tệp', format: 'Định dạng', length: 'Thời lượng', size: 'Dung lượng',
    uploaded: 'Đã tải lên', uploadHint: 'MP3, WAV hoặc Ogg, tối đa 20 MiB; tệp được nhận dạng theo nội dung',
    scheduleBroadcast: 'Lên lịch phát thanh', audio: 'Âm thanh', priority: 'Mức ưu tiên', prio_normal: 'Thường', prio_priority: 'Ưu tiên', prio_emergency: 'Khẩn cấp',
    zonesLabel: 'Khu vực', clusters: 'Cụm loa', startAt: 'Bắt đầu lúc', repeat: 'Lặp lại', rep_none: 'Không lặp', rep_daily: 'Hằng ngày',
    rep_weekdays: 'Thứ Hai – Thứ Sáu', rep_weekly: 'Hằng tuần', rep_custom: 'Quy tắc RRULE…', volume: 'Âm lượng', checkConflicts: 'Kiểm tra trùng lịch',
    saveBroadcast: 'Lưu lịch phát', saveAnyway: 'Vẫn lưu dù trùng lịch', noClash: 'Không trùng lịch với bản tin nào', clashWith: 'Trùng giờ với',
    willPreempt: 'Sẽ ngắt', blockedBy: 'Sẽ nhường', targets: 'Nơi phát', scheduled: 'Đã lên lịch', broadcasts: 'Bản tin',
    st_scheduled: 'Đã lên lịch', st_done: 'Đã phát xong', st_cancelled: 'Đã huỷ', stop: 'Dừng phát', cancelBroadcast: 'Huỷ bản tin', report: 'Báo cáo',
    confirmCancel: 'Huỷ bản tin này (các lần phát sau cũng bị huỷ)?', confirmStop: 'Dừng phát bản tin này ngay?',
    thisWeek: 'Tuần này', prevWeek: 'Tuần trước', nextWeek: 'Tuần sau', recurring: 'lặp lại',
    emergency: 'Phát khẩn cấp', emergencyTitle: 'Phát thanh khẩn cấp', emergencyWarn: 'Bản tin khẩn cấp phát NGAY trên mọi cụm loa đã chọn và ngắt mọi chương trình đang phát.',
    typeToConfirm: 'Gõ “KHẨN CẤP” để xác nhận', sendEmergency: 'Phát ngay', confirmPhrase: 'KHẨN CẤP',
    conflicts: 'Trùng lịch cần quyết định', keepBoth: 'Giữ cả hai', cancelOne: 'Huỷ', noConflicts: 'Không có trùng lịch nào',
    deliveryReport: 'Báo cáo phát', playLogs: 'Nhật ký phát', airtime: 'Thời lượng phát', airtime7d: 'Thời lượng phát 7 ngày qua', bulletins: 'Số bản tin',
    acknowledged: 'Đã nhận lệnh', airedFully: 'Phát trọn vẹn', preempted: 'Bị ngắt', failedLabel: 'Lỗi', delivery: 'Lệnh', chooseTargets: 'Chọn ít nhất một khu vực hoặc cụm loa',
    chooseAudio: 'Chọn tệp âm thanh', created: 'Đã lưu bản tin', seconds: 'giây', noSpeakers: 'Không có cụm loa nào', close: 'Đóng',
    ack_queued: 'Đang chờ (chưa kết nối)', ack_sent: 'Đã gửi, chờ xác nhận', ack_acknowledged: 'Đã xác nhận', ack_failed: 'Không thực hiện được', ack_expired: 'Hết hạn', ack_cancelled: 'Đã huỷ',
    res_ok: 'Phát xong', res_preempted: 'Bị ngắt', res_failed: 'Không phát được',
  },
  {
    audioFiles: 'Audio files', upload: 'Upload', title: 'Title', file: 'File', format: 'Format', length: 'Length', size: 'Size',
    uploaded: 'Uploaded', uploadHint: 'MP3, WAV or Ogg, at most 20 MiB; recognised by content',
    scheduleBroadcast: 'Schedule a broadcast', audio: 'Audio', priority: 'Priority', prio_normal: 'Normal', prio_priority: 'Priority', prio_emergency: 'Emergency',
    zonesLabel: 'Zones', clusters: 'Loudspeaker clusters', startAt: 'Starts at', repeat: 'Repeat', rep_none: 'Once', rep_daily: 'Daily',
    rep_weekdays: 'Monday – Friday', rep_weekly: 'Weekly', rep_custom: 'RRULE…', volume: 'Volume', checkConflicts: 'Check for clashes',
    saveBroadcast: 'Save broadcast', saveAnyway: 'Save despite the clash', noClash: 'No clash with any broadcast', clashWith: 'Clashes with',
    willPreempt: 'Will interrupt', blockedBy: 'Will yield to', targets: 'Where', scheduled: 'Scheduled', broadcasts: 'Broadcasts',
    st_scheduled: 'Scheduled', st_done: 'Done', st_cancelled: 'Cancelled', stop: 'Stop', cancelBroadcast: 'Cancel broadcast', report: 'Report',
    confirmCancel: 'Cancel this broadcast (and its later airings)?', confirmStop: 'Stop this broadcast now?',
    thisWeek: 'This week', prevWeek: 'Previous week', nextWeek: 'Next week', recurring: 'recurring',
    emergency: 'Emergency broadcast', emergencyTitle: 'Emergency broadcast', emergencyWarn: 'An emergency airs NOW on every chosen cluster and interrupts whatever plays.',
    typeToConfirm: 'Type “KHẨN CẤP” (or EMERGENCY) to confirm', sendEmergency: 'Air now', confirmPhrase: 'EMERGENCY',
    conflicts: 'Clashes to decide', keepBoth: 'Keep both', cancelOne: 'Cancel', noConflicts: 'No clashes',
    deliveryReport: 'Delivery report', playLogs: 'Play logs', airtime: 'Airtime', airtime7d: 'Airtime, last 7 days', bulletins: 'Bulletins',
    acknowledged: 'Command received', airedFully: 'Aired fully', preempted: 'Interrupted', failedLabel: 'Failed', delivery: 'Command', chooseTargets: 'Choose at least one zone or cluster',
    chooseAudio: 'Choose an audio file', created: 'Broadcast saved', seconds: 's', noSpeakers: 'No loudspeaker clusters', close: 'Close',
    ack_queued: 'Queued (not connected)', ack_sent: 'Sent, awaiting ack', ack_acknowledged: 'Acknowledged', ack_failed: 'Failed', ack_expired: 'Expired', ack_cancelled: 'Cancelled',
    res_ok: 'Aired', res_preempted: 'Interrupted', res_failed: 'Not aired',
  },
);

interface Zone { id: string; name: string; kind: string; parentId: string | null }
interface Audio { id: string; title: string; format: string; sizeBytes: number; durationS: number; uploadedBy: string; createdAt: string }
interface Broadcast {
  id: string; title: string; priority: 'normal' | 'priority' | 'emergency'; source: 'file' | 'live'; audioId: string | null; zoneIds: string[]; clusterIds: string[];
  startsAt: string; rrule: string | null; durationS: number | null; status: 'scheduled' | 'done' | 'cancelled'; createdBy: string; requestedAt: string;
}
interface Clash { otherId: string; otherTitle?: string; firstAt: string | number; clusters: string[]; kind: string }
interface CheckResult { conflicts: Clash[]; willPreempt: Clash[]; blockedBy: Clash[]; clusters: string[] }
interface Conflict { id: number; broadcastId: string; otherBroadcastId: string; firstClashAt: string; message: { vi: string; en: string } }
interface Report {
  broadcast: Broadcast;
  summary: { clusters: number; acknowledged: number; airedFully: number; preempted: number; failed: number; airtimeS: number };
  clusters: { clusterId: string; airings: { occurrenceAt: string; state: string | null; error: string | null }[]; playLogs: { start: string | null; end: string | null; result: string | null; reason: unknown }[]; airtimeS: number }[];
}

const CONFIRM_WORDS = ['KHẨN CẤP', 'KHAN CAP', 'EMERGENCY'];
const DAY_MS = 86_400_000;
const WEEKDAYS_VI = ['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN'];
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const BYDAY = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

const errText = errorText;
const dur = (s: number | null): string => (s === null ? '—' : s >= 60 ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : `${fmtNum(s, 1)} ${t('seconds')}`);

/** Uploads the file itself as the request body (the API takes raw bytes, not a multipart form). */
async function uploadAudio(file: File, title: string): Promise<Audio> {
  const r = await fetch(`/api/v1/radio/audio?title=${encodeURIComponent(title)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token ?? ''}`, 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  const data = (await r.json().catch(() => ({}))) as Audio & { error?: { code?: string; message?: string } };
  if (!r.ok) throw new ApiError(r.status, data.error?.code ?? 'HTTP', data.error?.message ?? r.statusText);
  return data;
}

/**
 * Occurrence starts of a broadcast inside [from, to), for the week view: one-off items, and the common recurrences
 * (DAILY, WEEKLY with BYDAY, with BYHOUR/BYMINUTE and UNTIL) expanded here; other rules show on their first day, marked.
 */
function occurrences(b: Broadcast, from: number, to: number, tz: string): { at: number; approx: boolean }[] {
  const start = Date.parse(b.startsAt);
  if (!b.rrule) return start >= from && start < to ? [{ at: start, approx: false }] : [];
  const rule = Object.fromEntries(b.rrule.replace(/^RRULE:/, '').split(';').map((kv) => kv.split('=') as [string, string]));
  const freq = rule.FREQ;
  const interval = Number(rule.INTERVAL ?? 1) || 1;
  const until = rule.UNTIL ? Date.parse(rule.UNTIL.replace(/^(\d{4})(\d{2})(\d{2})(T(\d{2})(\d{2})(\d{2})Z?)?$/, (_m, y: string, mo: string, d: string, tpart?: string, hh?: string, mi?: string, ss?: string) => (tpart ? `${y}-${mo}-${d}T${hh}:${mi}:${ss}Z` : `${y}-${mo}-${d}T23:59:59Z`))) : Number.POSITIVE_INFINITY;
  if (freq !== 'DAILY' && freq !== 'WEEKLY') return start < to ? [{ at: Math.max(start, from), approx: true }] : [];
  const s = wall(start, tz);
  const hours = rule.BYHOUR ? rule.BYHOUR.split(',').map(Number) : [s.h];
  const minutes = rule.BYMINUTE ? rule.BYMINUTE.split(',').map(Number) : [s.mi];
  const days = rule.BYDAY ? rule.BYDAY.split(',').map((d) => BYDAY.indexOf(d) + 1) : freq === 'WEEKLY' ? [s.weekday] : null;
  const out: { at: number; approx: boolean }[] = [];
  for (let day = wall(from, tz).dayStart; day < to; day += DAY_MS) {
    const w = wall(day + 12 * 3_600_000, tz);
    const daysFromStart = Math.round((w.dayStart - s.dayStart) / DAY_MS);
    if (daysFromStart < 0) continue;
    if (days && !days.includes(w.weekday)) continue;
    if (freq === 'DAILY' && daysFromStart % interval !== 0) continue;
    if (freq === 'WEEKLY' && Math.floor((daysFromStart + s.weekday - 1) / 7) % interval !== 0) continue;
    for (const hh of hours) for (const mi of minutes) {
      const at = w.dayStart + hh * 3_600_000 + mi * 60_000;
      if (at >= start && at <= until && at >= from && at < to) out.push({ at, approx: false });
    }
  }
  return out;
}

/**
 * Radio: audio files (raw upload), broadcasts scheduled to zones or clusters with a clash check before saving, a week
 * view, stop/cancel, an emergency broadcast behind a typed confirmation, clashes to resolve, delivery reports with play
 * logs, and airtime. Broadcast changes arrive live (`broadcast.update`), acknowledgements as `command.outcome`.
 */
export async function radioPage(root: HTMLElement, _params: string[], settings: Settings): Promise<() => void> {
  const tz = settings.ward.timezone;
  let alive = true;
  const unsubs: (() => void)[] = [];
  const lang = getLang();
  await kinds.load().catch(() => undefined);
  // Loudspeaker clusters are the kinds with the broadcast capability (/kinds); the page names none.
  const speakerKinds = kinds.withCapability('broadcast');
  const speakers = (): FleetDevice[] => [...fleet.devices.values()].filter((d) => speakerKinds.has(d.kind)).sort((a, b) => a.id.localeCompare(b.id));
  const zones: Zone[] = await api.get<{ items: Zone[] }>('/api/v1/zones').then((r) => r.items.sort((a, b) => a.name.localeCompare(b.name, 'vi')), () => []);
  // Zones that hold clusters first; the API refuses a zone without any.
  const zoneHasSpeakers = (z: string): boolean => speakers().some((d) => d.groupId === z || d.zoneIds.includes(z));
  const zoneName = (id: string): string => zones.find((z) => z.id === id)?.name ?? id;
  let audio: Audio[] = [];
  let broadcasts: Broadcast[] = [];

  const note = (el: HTMLElement, text: string, cls = 'muted'): void => {
    el.className = cls;
    el.textContent = text;
  };

  // ── Audio ───────────────────────────────────────────────────────────────────────────────────────────────────────
  const audioBox = h('section', { class: 'panel', id: 'radio-audio' });
  const fileInput = h('input', { type: 'file', id: 'audio-file', accept: 'audio/*,.mp3,.wav,.ogg,.opus' });
  const titleInput = h('input', { id: 'audio-title', placeholder: t('title'), maxlength: 256 });
  const audioMsg = h('p', { class: 'muted', id: 'audio-msg', role: 'status' });
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f && !titleInput.value) titleInput.value = f.name.replace(/\.[^.]+$/, '');
  });
  const doUpload = async (): Promise<void> => {
    const f = fileInput.files?.[0];
    if (!f) return note(audioMsg, t('chooseAudio'), 'error');
    note(audioMsg, t('loading'));
    try {
      const a = await uploadAudio(f, titleInput.value.trim() || f.name);
      note(audioMsg, `${t('uploaded')}: ${a.title} (${a.format}, ${dur(a.durationS)})`);
      fileInput.value = '';
      titleInput.value = '';
      await loadAudio();
      audioSelect.value = a.id;
    } catch (e) {
      note(audioMsg, errText(e), 'error');
    }
  };
  const audioTable = h('tbody');
  audioBox.append(
    h('h2', {}, t('audioFiles')),
    gated(h('div', { class: 'filters', id: 'audio-upload-form' }, h('label', {}, t('file'), fileInput), h('label', {}, t('title'), titleInput), h('button', { type: 'button', class: 'primary', id: 'audio-upload', onclick: () => void doUpload() }, t('upload')), h('small', { class: 'muted' }, t('uploadHint')))),
    audioMsg,
    h('table', { class: 'grid', id: 'audio-table' }, h('thead', {}, h('tr', {}, [t('title'), t('format'), t('length'), t('size'), t('uploaded'), ''].map((c) => h('th', {}, c)))), audioTable),
  );
  const audioSelect = h('select', { id: 'bc-audio', required: true });
  const emAudio = h('select', { id: 'em-audio', required: true });
  const paintAudio = (): void => {
    clear(audioTable);
    for (const a of audio) {
      audioTable.append(h('tr', { 'data-audio': a.id },
        h('td', {}, a.title), h('td', {}, a.format), h('td', {}, dur(a.durationS)), h('td', {}, `${fmtNum(a.sizeBytes / 1024, 0)} KiB`), h('td', {}, `${fmtTime(a.createdAt, lang)} · ${a.uploadedBy}`),
        h('td', { class: 'actions' }, gated(h('button', { type: 'button', onclick: () => void removeAudio(a) }, t('delete'))))));
    }
    if (!audio.length) audioTable.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('noData'))));
    for (const sel of [audioSelect, emAudio]) {
      const keep = sel.value;
      sel.replaceChildren(h('option', { value: '' }, `— ${t('chooseAudio')} —`), ...audio.map((a) => h('option', { value: a.id, selected: a.id === keep }, `${a.title} (${dur(a.durationS)})`)));
    }
  };
  const removeAudio = async (a: Audio): Promise<void> => {
    if (!confirm(`${t('delete')} “${a.title}”?`)) return;
    try {
      await api.request('DELETE', `/api/v1/radio/audio/${encodeURIComponent(a.id)}`);
      await loadAudio();
    } catch (e) {
      note(audioMsg, errText(e), 'error');
    }
  };
  const loadAudio = async (): Promise<void> => {
    audio = (await api.get<{ items: Audio[] }>('/api/v1/radio/audio?limit=200')).items;
    if (alive) paintAudio();
  };

  // ── Targets (zones and clusters) ────────────────────────────────────────────────────────────────────────────────
  const targetPicker = (prefix: string): { el: HTMLElement; zoneIds: () => string[]; clusterIds: () => string[] } => {
    const zoneList = h('div', { class: 'pick-list short', id: `${prefix}-zones` },
      zones.filter((z) => zoneHasSpeakers(z.id)).map((z) => h('label', { class: 'pick' }, h('input', { type: 'checkbox', value: z.id, 'data-zone': z.id }), z.name === z.id ? z.id : `${z.name} (${z.id})`)));
    if (!zoneList.childElementCount) zoneList.append(h('p', { class: 'muted' }, t('noData')));
    const clusterList = h('div', { class: 'pick-list short', id: `${prefix}-clusters` },
      speakers().map((d) => h('label', { class: 'pick' }, h('input', { type: 'checkbox', value: d.id, 'data-cluster': d.id }), h('span', { class: `dot ${statusOf(d)}` }), d.name === d.id ? d.id : `${d.name} · ${d.id}`)));
    if (!clusterList.childElementCount) clusterList.append(h('p', { class: 'muted' }, t('noSpeakers')));
    const checked = (box: HTMLElement): string[] => [...box.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value);
    return { el: h('div', { class: 'two' }, h('div', {}, h('strong', {}, t('zonesLabel')), zoneList), h('div', {}, h('strong', {}, t('clusters')), clusterList)), zoneIds: () => checked(zoneList), clusterIds: () => checked(clusterList) };
  };

  // ── Schedule a broadcast ────────────────────────────────────────────────────────────────────────────────────────
  const bcTitle = h('input', { id: 'bc-title', required: true, maxlength: 256 });
  const bcPriority = h('select', { id: 'bc-priority' }, ['normal', 'priority'].map((p) => h('option', { value: p }, t(`prio_${p}`))));
  const bcStart = h('input', { type: 'datetime-local', id: 'bc-start', required: true, value: dateToZoned(new Date(Date.now() + 3_600_000), tz) });
  const bcRepeat = h('select', { id: 'bc-repeat' }, ['none', 'daily', 'weekdays', 'weekly', 'custom'].map((r) => h('option', { value: r }, t(`rep_${r}`))));
  const bcRrule = h('input', { id: 'bc-rrule', placeholder: 'FREQ=WEEKLY;BYDAY=MO,TH', hidden: true, maxlength: 512 });
  const rruleLabel = h('label', { style: 'display:none' }, 'RRULE', bcRrule);
  bcRepeat.addEventListener('change', () => {
    bcRrule.hidden = bcRepeat.value !== 'custom';
    rruleLabel.style.display = bcRepeat.value === 'custom' ? '' : 'none';
  });
  const bcVolume = h('input', { type: 'number', id: 'bc-volume', min: 0, max: 100, placeholder: '—', style: 'width:5rem' });
  const bcTargets = targetPicker('bc');
  const clashBox = h('div', { id: 'bc-clashes' });
  const bcMsg = h('p', { class: 'muted', id: 'bc-msg', role: 'status' });
  const saveBtn = h('button', { type: 'submit', class: 'primary', id: 'bc-save' }, t('saveBroadcast'));
  let confirmedClash: string | null = null;

  const rrule = (): string | undefined => {
    switch (bcRepeat.value) {
      case 'daily': return 'FREQ=DAILY';
      case 'weekdays': return 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
      case 'weekly': return 'FREQ=WEEKLY';
      case 'custom': return bcRrule.value.trim().replace(/^RRULE:/i, '') || undefined;
      default: return undefined;
    }
  };
  const refuse = (text: string): null => {
    note(bcMsg, text, 'error');
    return null;
  };
  const bcBody = (): Record<string, unknown> | null => {
    if (!audioSelect.value) return refuse(t('chooseAudio'));
    const zoneIds = bcTargets.zoneIds();
    const clusterIds = bcTargets.clusterIds();
    if (!zoneIds.length && !clusterIds.length) return refuse(t('chooseTargets'));
    const start = zonedToDate(bcStart.value, tz);
    if (Number.isNaN(start.getTime())) return refuse(t('startAt'));
    const body: Record<string, unknown> = { title: bcTitle.value.trim(), priority: bcPriority.value, audioId: audioSelect.value, startAt: start.toISOString() };
    if (zoneIds.length) body.zoneIds = zoneIds;
    if (clusterIds.length) body.clusterIds = clusterIds;
    const r = rrule();
    if (r) body.rrule = r;
    if (bcVolume.value !== '') body.volume = Number(bcVolume.value);
    return body;
  };
  const title = (id: string): string => broadcasts.find((b) => b.id === id)?.title ?? id;
  const paintClashes = (c: CheckResult): void => {
    clear(clashBox);
    const when = (x: Clash): string => fmtTime(new Date(typeof x.firstAt === 'number' ? x.firstAt : Date.parse(x.firstAt)).toISOString(), lang);
    const rows = (label: string, list: Clash[], cls: string): HTMLElement[] => list.map((x) => h('li', { class: cls, 'data-clash': x.otherId }, `${label} “${title(x.otherId)}” · ${when(x)} · ${x.clusters.length} ${t('clusters').toLowerCase()}`));
    const items = [...rows(t('clashWith'), c.conflicts, 'sev-critical'), ...rows(t('willPreempt'), c.willPreempt, 'sev-warning'), ...rows(t('blockedBy'), c.blockedBy, 'sev-warning')];
    clashBox.setAttribute('data-conflicts', String(c.conflicts.length));
    clashBox.append(items.length ? h('ul', { class: 'alarms' }, items) : h('p', { class: 'ok-text' }, `✓ ${t('noClash')} (${c.clusters.length} ${t('clusters').toLowerCase()})`));
  };
  const check = async (): Promise<CheckResult | null> => {
    const body = bcBody();
    if (!body) return null;
    try {
      const c = await api.request<CheckResult>('POST', '/api/v1/radio/broadcasts/check', body);
      paintClashes(c);
      note(bcMsg, '');
      return c;
    } catch (e) {
      note(bcMsg, errText(e), 'error');
      return null;
    }
  };
  const save = async (): Promise<void> => {
    const body = bcBody();
    if (!body) return;
    // The clash check runs before saving; a clash needs a second, explicit click.
    const key = JSON.stringify(body);
    if (confirmedClash !== key) {
      const c = await check();
      if (!c) return;
      if (c.conflicts.length) {
        confirmedClash = key;
        saveBtn.textContent = t('saveAnyway');
        saveBtn.classList.add('danger');
        return;
      }
    }
    try {
      const r = await api.request<{ broadcast: Broadcast; clusters: string[] }>('POST', '/api/v1/radio/broadcasts', body);
      note(bcMsg, `${t('created')}: ${r.broadcast.title} · ${r.clusters.length} ${t('clusters').toLowerCase()}`);
      clear(clashBox);
      clashBox.removeAttribute('data-conflicts');
      confirmedClash = null;
      saveBtn.textContent = t('saveBroadcast');
      saveBtn.classList.remove('danger');
      await loadBroadcasts();
      await loadConflicts();
    } catch (e) {
      note(bcMsg, errText(e), 'error');
    }
  };
  const resetConfirm = (): void => {
    confirmedClash = null;
    saveBtn.textContent = t('saveBroadcast');
    saveBtn.classList.remove('danger');
  };
  const form = gated(
    h(
      'form',
      { class: 'panel', id: 'bc-form', onsubmit: (e: Event) => { e.preventDefault(); void save(); }, onchange: resetConfirm },
      h('h2', {}, t('scheduleBroadcast')),
      h('div', { class: 'filters' }, h('label', {}, t('title'), bcTitle), h('label', {}, t('audio'), audioSelect), h('label', {}, t('priority'), bcPriority)),
      bcTargets.el,
      h('div', { class: 'filters' }, h('label', {}, t('startAt'), bcStart), h('label', {}, t('repeat'), bcRepeat), rruleLabel, h('label', {}, t('volume'), bcVolume)),
      h('div', { class: 'filters' }, h('button', { type: 'button', id: 'bc-check', onclick: () => void check() }, t('checkConflicts')), saveBtn),
      clashBox,
      bcMsg,
    ),
  );

  // ── Emergency ───────────────────────────────────────────────────────────────────────────────────────────────────
  const emTitle = h('input', { id: 'em-title', required: true, maxlength: 256, value: lang === 'vi' ? 'Thông báo khẩn cấp' : 'Emergency announcement' });
  const emTargets = targetPicker('em');
  const emConfirm = h('input', { id: 'em-confirm-text', autocomplete: 'off', placeholder: t('confirmPhrase') });
  const emSend = h('button', { type: 'button', class: 'danger', id: 'em-send', disabled: true }, t('sendEmergency'));
  const emMsg = h('p', { class: 'muted', id: 'em-msg', role: 'status' });
  const emDialog = h('dialog', { id: 'emergency-dialog', class: 'dialog' },
    h('h2', {}, t('emergencyTitle')),
    h('p', { class: 'error' }, t('emergencyWarn')),
    h('div', { class: 'filters' }, h('label', {}, t('title'), emTitle), h('label', {}, t('audio'), emAudio)),
    emTargets.el,
    h('label', {}, t('typeToConfirm'), emConfirm),
    h('div', { class: 'filters' }, emSend, h('button', { type: 'button', id: 'em-close', onclick: () => emDialog.close() }, t('close'))),
    emMsg);
  emConfirm.addEventListener('input', () => (emSend.disabled = !CONFIRM_WORDS.includes(emConfirm.value.trim().toUpperCase())));
  emSend.addEventListener('click', () => {
    if (!CONFIRM_WORDS.includes(emConfirm.value.trim().toUpperCase())) return;
    if (!emAudio.value) return note(emMsg, t('chooseAudio'), 'error');
    const zoneIds = emTargets.zoneIds();
    const clusterIds = emTargets.clusterIds();
    if (!zoneIds.length && !clusterIds.length) return note(emMsg, t('chooseTargets'), 'error');
    emSend.disabled = true;
    api.request<{ broadcast: Broadcast; dispatched: string[] }>('POST', '/api/v1/radio/broadcasts', { title: emTitle.value.trim(), priority: 'emergency', audioId: emAudio.value, ...(zoneIds.length ? { zoneIds } : {}), ...(clusterIds.length ? { clusterIds } : {}) }).then(
      async (r) => {
        emConfirm.value = '';
        emDialog.close();
        await loadBroadcasts();
        void openReport(r.broadcast.id);
      },
      (e: unknown) => {
        emSend.disabled = false;
        note(emMsg, errText(e), 'error');
      },
    );
  });
  const emButton = gated(h('button', { type: 'button', class: 'danger big-button', id: 'bc-emergency', onclick: () => { emMsg.textContent = ''; emConfirm.value = ''; emSend.disabled = true; emDialog.showModal(); } }, `⚠ ${t('emergency')}`));

  // ── Broadcasts: week view and list ──────────────────────────────────────────────────────────────────────────────
  let weekStart = wall(Date.now(), tz).dayStart - (wall(Date.now(), tz).weekday - 1) * DAY_MS;
  const weekBox = h('div', { class: 'week', id: 'bc-week' });
  const weekLabel = h('strong', { id: 'bc-week-label' });
  const listBody = h('tbody');
  const listBox = h('section', { class: 'panel', id: 'bc-list' },
    h('div', { class: 'filters' }, h('h2', {}, t('broadcasts')), h('button', { type: 'button', onclick: () => { weekStart -= 7 * DAY_MS; paintWeek(); } }, `‹ ${t('prevWeek')}`), weekLabel, h('button', { type: 'button', onclick: () => { weekStart += 7 * DAY_MS; paintWeek(); } }, `${t('nextWeek')} ›`)),
    weekBox,
    h('table', { class: 'grid', id: 'bc-table' }, h('thead', {}, h('tr', {}, [t('title'), t('priority'), t('status'), t('startAt'), t('repeat'), t('targets'), ''].map((c) => h('th', {}, c)))), listBody));
  const paintWeek = (): void => {
    clear(weekBox);
    const names = lang === 'vi' ? WEEKDAYS_VI : WEEKDAYS_EN;
    const end = weekStart + 7 * DAY_MS;
    const day = (at: number): string => new Date(at).toLocaleDateString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: tz, day: '2-digit', month: '2-digit', year: 'numeric' });
    weekLabel.textContent = `${day(weekStart)} – ${day(end - 1)}`;
    const items = broadcasts.filter((b) => b.status !== 'cancelled').flatMap((b) => occurrences(b, weekStart, end, tz).map((o) => ({ b, ...o }))).sort((x, y) => x.at - y.at);
    const today = wall(Date.now(), tz).dayStart;
    for (let i = 0; i < 7; i++) {
      const day = weekStart + i * DAY_MS;
      const w = wall(day + 12 * 3_600_000, tz);
      const mine = items.filter((x) => wall(x.at, tz).dayStart === w.dayStart);
      weekBox.append(h('div', { class: `day${w.dayStart === today ? ' today' : ''}`, 'data-day': `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}` },
        h('div', { class: 'day-head' }, `${names[i]} ${w.d}/${w.m}`),
        mine.map((x) => {
          const ww = wall(x.at, tz);
          return h('button', { type: 'button', class: `bc-item prio-${x.b.priority} st-${x.b.status}`, 'data-broadcast': x.b.id, title: x.b.title, onclick: () => void openReport(x.b.id) },
            `${String(ww.h).padStart(2, '0')}:${String(ww.mi).padStart(2, '0')} ${x.b.title}${x.b.rrule ? ' ↻' : ''}${x.approx ? ` (${t('recurring')})` : ''}`);
        })));
    }
  };
  const act = async (b: Broadcast, what: 'stop' | 'cancel'): Promise<void> => {
    if (!confirm(what === 'stop' ? t('confirmStop') : t('confirmCancel'))) return;
    try {
      await api.request('POST', `/api/v1/radio/broadcasts/${encodeURIComponent(b.id)}/${what}`);
      await loadBroadcasts();
      await loadConflicts();
    } catch (e) {
      note(bcMsg, errText(e), 'error');
      alert(errText(e));
    }
  };
  const targetsText = (b: Broadcast): string => [...b.zoneIds.map(zoneName), ...b.clusterIds.map((c) => fleet.devices.get(c)?.name ?? c)].join(', ');
  const paintList = (): void => {
    clear(listBody);
    for (const b of broadcasts) {
      listBody.append(h('tr', { 'data-broadcast': b.id, 'data-status': b.status },
        h('td', {}, h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); void openReport(b.id); } }, b.title), h('br'), h('small', { class: 'muted' }, b.id)),
        h('td', {}, h('span', { class: `badge prio-${b.priority}` }, t(`prio_${b.priority}`))),
        h('td', {}, h('span', { class: `badge st-${b.status}` }, t(`st_${b.status}`))),
        h('td', {}, fmtTime(b.startsAt, lang)),
        h('td', { title: b.rrule ?? '' }, b.rrule ? rruleText(b.rrule, lang, (({ h: hh, mi }) => ({ h: hh, mi }))(wall(Date.parse(b.startsAt), tz))) : '—'),
        h('td', {}, targetsText(b)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', onclick: () => void openReport(b.id) }, t('report')),
          b.status === 'scheduled' ? gated(h('span', {}, ' ', h('button', { type: 'button', 'data-action': 'stop', onclick: () => void act(b, 'stop') }, t('stop')), ' ', h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: () => void act(b, 'cancel') }, t('cancelBroadcast')))) : null)));
    }
    if (!broadcasts.length) listBody.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('noData'))));
    paintWeek();
  };
  const loadBroadcasts = async (): Promise<void> => {
    broadcasts = (await api.get<{ items: Broadcast[] }>('/api/v1/radio/broadcasts?limit=200')).items;
    if (alive) paintList();
  };

  // ── Conflicts ───────────────────────────────────────────────────────────────────────────────────────────────────
  const conflictBox = h('section', { class: 'panel', id: 'bc-conflicts' });
  const loadConflicts = async (): Promise<void> => {
    const items = (await api.get<{ items: Conflict[] }>('/api/v1/radio/conflicts?status=open')).items;
    if (!alive) return;
    clear(conflictBox);
    conflictBox.append(h('h2', {}, `${t('conflicts')} (${items.length})`));
    if (!items.length) conflictBox.append(h('p', { class: 'muted' }, t('noConflicts')));
    for (const c of items) {
      const resolve = (body: Record<string, unknown>): void => void api.request('POST', `/api/v1/radio/conflicts/${c.id}/resolve`, body).then(
        async () => { await loadConflicts(); await loadBroadcasts(); },
        (e: unknown) => alert(errText(e)),
      );
      conflictBox.append(h('div', { class: 'conflict', 'data-conflict': String(c.id) },
        h('p', {}, h('strong', {}, `“${title(c.broadcastId)}” ⟷ “${title(c.otherBroadcastId)}”`), h('br'), lang === 'vi' ? c.message.vi : c.message.en),
        gated(h('div', { class: 'filters' },
          h('button', { type: 'button', onclick: () => resolve({ cancel: c.broadcastId }) }, `${t('cancelOne')} “${title(c.broadcastId)}”`),
          h('button', { type: 'button', onclick: () => resolve({ cancel: c.otherBroadcastId }) }, `${t('cancelOne')} “${title(c.otherBroadcastId)}”`),
          h('button', { type: 'button', onclick: () => resolve({ accept: true }) }, t('keepBoth'))))));
    }
  };

  // ── Report of one broadcast ─────────────────────────────────────────────────────────────────────────────────────
  const reportBox = h('section', { class: 'panel', id: 'bc-report', hidden: true });
  let reportId: string | null = null;
  const openReport = async (id: string): Promise<void> => {
    reportId = id;
    try {
      const r = await api.get<Report>(`/api/v1/radio/broadcasts/${encodeURIComponent(id)}`);
      if (!alive || reportId !== id) return;
      const s = r.summary;
      reportBox.hidden = false;
      reportBox.setAttribute('data-broadcast', id);
      reportBox.replaceChildren(
        h('div', { class: 'filters' }, h('h2', {}, `${t('deliveryReport')}: ${r.broadcast.title}`), h('button', { type: 'button', onclick: () => { reportBox.hidden = true; reportId = null; } }, t('close'))),
        h('p', {}, h('span', { class: `badge prio-${r.broadcast.priority}` }, t(`prio_${r.broadcast.priority}`)), ' ', h('span', { class: `badge st-${r.broadcast.status}` }, t(`st_${r.broadcast.status}`)),
          ` · ${t('clusters')}: ${s.clusters} · ${t('acknowledged')}: ${s.acknowledged} · ${t('airedFully')}: ${s.airedFully} · ${t('preempted')}: ${s.preempted} · ${t('failedLabel')}: ${s.failed} · ${t('airtime')}: ${dur(s.airtimeS)}`),
        r.clusters.length
          ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, [t('clusters'), t('delivery'), t('playLogs'), t('airtime')].map((c) => h('th', {}, c)))),
              h('tbody', {}, r.clusters.map((c) => h('tr', { 'data-cluster': c.clusterId },
                h('td', {}, fleet.devices.get(c.clusterId)?.name ?? c.clusterId),
                h('td', {}, c.airings.map((a) => h('div', {}, `${fmtTime(a.occurrenceAt, lang)} `, h('span', { class: `badge ${a.state ?? ''}` }, a.state ? t(`ack_${a.state}`) : '—'), a.error ? ` ${a.error}` : ''))),
                h('td', {}, c.playLogs.length ? c.playLogs.map((l) => h('div', {}, `${fmtTime(l.start, lang)} – ${fmtTime(l.end, lang)} `, h('span', { class: `badge ${l.result === 'ok' ? 'ok' : 'failed'}` }, l.result ? t(`res_${l.result}`) : '—'), l.reason ? ` ${String(l.reason)}` : '')) : '—'),
                h('td', {}, dur(c.airtimeS))))))
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      reportBox.hidden = false;
      reportBox.replaceChildren(h('p', { class: 'error' }, errText(e)));
    }
  };

  // ── Airtime ─────────────────────────────────────────────────────────────────────────────────────────────────────
  const airtimeBox = h('section', { class: 'panel', id: 'radio-airtime' }, h('h2', {}, t('airtime7d')));
  const loadAirtime = async (): Promise<void> => {
    const to = new Date(Date.now() + 60_000);
    const from = new Date(to.getTime() - 7 * DAY_MS);
    const r = await api.get<{ clusters: { clusterId: string; bulletins: number; airtimeS: number; ok: number; preempted: number; failed: number }[] }>(`/api/v1/radio/airtime?from=${from.toISOString()}&to=${to.toISOString()}`);
    if (!alive) return;
    airtimeBox.replaceChildren(h('h2', {}, t('airtime7d')), r.clusters.length
      ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, [t('clusters'), t('bulletins'), t('airtime'), t('airedFully'), t('preempted'), t('failedLabel')].map((c) => h('th', {}, c)))),
          h('tbody', {}, r.clusters.map((c) => h('tr', {}, h('td', {}, fleet.devices.get(c.clusterId)?.name ?? c.clusterId), h('td', {}, String(c.bulletins)), h('td', {}, dur(c.airtimeS)), h('td', {}, String(c.ok)), h('td', {}, String(c.preempted)), h('td', {}, String(c.failed))))))
      : h('p', { class: 'muted' }, t('noData')));
  };

  root.append(h('div', { class: 'filters title-row' }, h('h1', {}, t('radio')), emButton), emDialog, conflictBox, listBox, reportBox, h('div', { class: 'two' }, form, audioBox), airtimeBox);
  await Promise.all([loadAudio(), loadBroadcasts()]).catch((e: unknown) => listBox.append(h('p', { class: 'error' }, errText(e))));
  void loadConflicts().catch(() => conflictBox.append(h('p', { class: 'muted' }, t('notAvailable'))));
  void loadAirtime().catch(() => airtimeBox.append(h('p', { class: 'muted' }, t('notAvailable'))));

  // Live: a broadcast changed (created, dispatched, cancelled, done) → list; its clusters acknowledged → its report.
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const soon = (fn: () => Promise<void>): void => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void fn().catch(() => undefined), 250);
  };
  unsubs.push(fleet.on('broadcast.update', (data) => {
    const id = (data as { broadcastId?: string }).broadcastId;
    soon(async () => {
      await loadBroadcasts();
      if (id && id === reportId) await openReport(id);
    });
  }));
  unsubs.push(fleet.on('command.outcome', (data) => {
    const c = (data as { commandId?: string }).commandId ?? '';
    if (reportId && c.startsWith(`bc:${reportId}:`)) soon(async () => { if (reportId) await openReport(reportId); });
  }));

  return () => {
    alive = false;
    clearTimeout(reloadTimer);
    if (emDialog.open) emDialog.close();
    for (const u of unsubs) u();
  };
}
