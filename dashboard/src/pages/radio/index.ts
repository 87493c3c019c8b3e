import { api } from '../../api.ts';
import { clear, fmtTime, h } from '../../dom.ts';
import { fleet, statusOf, type FleetDevice } from '../../fleet.ts';
import { getLang, t } from '../../i18n.ts';
import { kinds } from '../../kinds.ts';
import type { Settings } from '../../settings.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { rruleText } from '../../ui/rrule-text.ts';
import { dateToZoned, wall, zonedToDate } from '../../ui/zoned.ts';
import { zones as zoneStore } from '../../zones.ts';
import { audioPanel } from './audio-panel.ts';
import { DAY_MS, occurrences, WEEKDAYS_EN, WEEKDAYS_VI, type Broadcast, type CheckResult, type Clash, type Conflict } from './model.ts';
import { reportPanels } from './report-panels.ts';
import { micAvailable, openMicrophone, pushMicrophone, type MicSession } from './microphone.ts';
import './words.ts';

const CONFIRM_WORDS = ['KHẨN CẤP', 'KHAN CAP', 'EMERGENCY'];
const errText = errorText;

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
  await zoneStore.load();
  const zones = zoneStore.items;
  // Zones that hold clusters first; the API refuses a zone without any.
  const zoneHasSpeakers = (z: string): boolean => speakers().some((d) => d.groupId === z || d.zoneIds.includes(z));
  const zoneName = (id: string): string => zones.find((z) => z.id === id)?.name ?? id;
  let broadcasts: Broadcast[] = [];
  const isAlive = (): boolean => alive;
  const { el: audioBox, audioSelect, emAudio, load: loadAudio } = audioPanel(lang, isAlive);
  const { reportBox, airtimeBox, openReport, reportId: currentReport, loadAirtime } = reportPanels(lang, isAlive);

  const note = (el: HTMLElement, text: string, cls = 'muted'): void => {
    el.className = cls;
    el.textContent = text;
  };

  // ── Targets (zones and clusters) ────────────────────────────────────────────────────────────────────────────────
  const targetPicker = (prefix: string): { el: HTMLElement; zoneIds: () => string[]; clusterIds: () => string[] } => {
    const zoneList = h(
      'div',
      { class: 'pick-list short', id: `${prefix}-zones` },
      zones
        .filter((z) => zoneHasSpeakers(z.id))
        .map((z) => h('label', { class: 'pick' }, h('input', { type: 'checkbox', value: z.id, 'data-zone': z.id }), z.name)),
    );
    if (!zoneList.childElementCount) zoneList.append(h('p', { class: 'muted' }, t('noData')));
    const clusterList = h(
      'div',
      { class: 'pick-list short', id: `${prefix}-clusters` },
      speakers().map((d) =>
        h(
          'label',
          { class: 'pick' },
          h('input', { type: 'checkbox', value: d.id, 'data-cluster': d.id }),
          h('span', { class: `dot ${statusOf(d)}` }),
          d.name === d.id ? d.id : `${d.name} · ${d.id}`,
        ),
      ),
    );
    if (!clusterList.childElementCount) clusterList.append(h('p', { class: 'muted' }, t('noSpeakers')));
    const checked = (box: HTMLElement): string[] => [...box.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value);
    return {
      el: h('div', { class: 'two' }, h('div', {}, h('strong', {}, t('zonesLabel')), zoneList), h('div', {}, h('strong', {}, t('clusters')), clusterList)),
      zoneIds: () => checked(zoneList),
      clusterIds: () => checked(clusterList),
    };
  };

  // ── Schedule a broadcast ────────────────────────────────────────────────────────────────────────────────────────
  const bcTitle = h('input', { id: 'bc-title', required: true, maxlength: 256 });
  const bcPriority = h(
    'select',
    { id: 'bc-priority' },
    ['normal', 'priority'].map((p) => h('option', { value: p }, t(`prio_${p}`))),
  );
  const bcStart = h('input', { type: 'datetime-local', id: 'bc-start', required: true, value: dateToZoned(new Date(Date.now() + 3_600_000), tz) });
  const bcRepeat = h(
    'select',
    { id: 'bc-repeat' },
    ['none', 'daily', 'weekdays', 'weekly', 'custom'].map((r) => h('option', { value: r }, t(`rep_${r}`))),
  );
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
      case 'daily':
        return 'FREQ=DAILY';
      case 'weekdays':
        return 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';
      case 'weekly':
        return 'FREQ=WEEKLY';
      case 'custom':
        return bcRrule.value.trim().replace(/^RRULE:/i, '') || undefined;
      default:
        return undefined;
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
    const rows = (label: string, list: Clash[], cls: string): HTMLElement[] =>
      list.map((x) =>
        h('li', { class: cls, 'data-clash': x.otherId }, `${label} “${title(x.otherId)}” · ${when(x)} · ${x.clusters.length} ${t('clusters').toLowerCase()}`),
      );
    const items = [
      ...rows(t('clashWith'), c.conflicts, 'sev-critical'),
      ...rows(t('willPreempt'), c.willPreempt, 'sev-warning'),
      ...rows(t('blockedBy'), c.blockedBy, 'sev-warning'),
    ];
    clashBox.setAttribute('data-conflicts', String(c.conflicts.length));
    clashBox.append(
      items.length
        ? h('ul', { class: 'alarms' }, items)
        : h('p', { class: 'ok-text' }, `✓ ${t('noClash')} (${c.clusters.length} ${t('clusters').toLowerCase()})`),
    );
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
      {
        class: 'panel',
        id: 'bc-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void save();
        },
        onchange: resetConfirm,
      },
      h('h2', {}, t('scheduleBroadcast')),
      h('div', { class: 'filters' }, h('label', {}, t('title'), bcTitle), h('label', {}, t('audio'), audioSelect), h('label', {}, t('priority'), bcPriority)),
      bcTargets.el,
      h(
        'div',
        { class: 'filters' },
        h('label', {}, t('startAt'), bcStart),
        h('label', {}, t('repeat'), bcRepeat),
        rruleLabel,
        h('label', {}, t('volume'), bcVolume),
      ),
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
  // Source: an uploaded file, or the operator's own microphone (live, through the service's relay).
  const emSource = h(
    'select',
    { id: 'em-source' },
    h('option', { value: 'file' }, t('srcFile')),
    h('option', { value: 'mic', disabled: !micAvailable() }, `${t('srcMic')}${micAvailable() ? '' : ` (${t('micNeedsHttps')})`}`),
  );
  const emAudioLabel = h('label', {}, t('audio'), emAudio);
  emSource.addEventListener('change', () => (emAudioLabel.style.display = emSource.value === 'mic' ? 'none' : ''));
  const onAir = h('div', { class: 'notice', id: 'em-on-air', hidden: true });
  let mic: MicSession | null = null;
  let micTimer: ReturnType<typeof setInterval> | undefined;
  const emDialog = h(
    'dialog',
    { id: 'emergency-dialog', class: 'dialog' },
    h('h2', {}, t('emergencyTitle')),
    h('p', { class: 'error' }, t('emergencyWarn')),
    h('div', { class: 'filters' }, h('label', {}, t('title'), emTitle), h('label', {}, t('source'), emSource), emAudioLabel),
    emTargets.el,
    h('label', {}, t('typeToConfirm'), emConfirm),
    h('div', { class: 'filters' }, emSend, h('button', { type: 'button', id: 'em-close', onclick: () => emDialog.close() }, t('close'))),
    emMsg,
    onAir,
  );
  emConfirm.addEventListener('input', () => (emSend.disabled = !CONFIRM_WORDS.includes(emConfirm.value.trim().toUpperCase())));
  const sent = (r: { broadcast: Broadcast }): void => {
    emConfirm.value = '';
    void loadBroadcasts().then(() => openReport(r.broadcast.id));
  };
  const stopMic = async (id: string): Promise<void> => {
    clearInterval(micTimer);
    await mic?.stop();
    mic = null;
    onAir.dataset.mic = 'off';
    await api.request('POST', `/api/v1/radio/broadcasts/${encodeURIComponent(id)}/stop`).catch(() => undefined);
    onAir.hidden = true;
    emDialog.close();
    await loadBroadcasts();
  };
  const airMicrophone = async (body: Record<string, unknown>): Promise<void> => {
    // The microphone is asked for first: a refusal must not leave an emergency on air with nothing to say.
    const stream = await openMicrophone();
    const r = await api.request<{ broadcast: Broadcast; microphone: { url: string } }>('POST', '/api/v1/radio/broadcasts', { ...body, microphone: true });
    mic = await pushMicrophone(stream, r.microphone.url, () => {
      onAir.dataset.mic = 'off';
    });
    const started = Date.now();
    onAir.hidden = false;
    onAir.dataset.mic = 'on';
    onAir.dataset.broadcast = r.broadcast.id;
    const status = h('span', { id: 'em-on-air-status' });
    onAir.replaceChildren(
      h('strong', {}, `🔴 ${t('onAir')} `),
      status,
      ' ',
      h('button', { type: 'button', class: 'danger', id: 'em-mic-stop', onclick: () => void stopMic(r.broadcast.id) }, t('stopMic')),
    );
    micTimer = setInterval(() => {
      const b = mic?.bytes() ?? 0;
      onAir.dataset.bytes = String(b);
      status.textContent = `${Math.round((Date.now() - started) / 1000)} ${t('seconds')} · ${Math.round(b / 1024)} KiB`;
    }, 500);
    void loadBroadcasts();
  };
  emSend.addEventListener('click', () => {
    if (!CONFIRM_WORDS.includes(emConfirm.value.trim().toUpperCase())) return;
    const useMic = emSource.value === 'mic';
    if (!useMic && !emAudio.value) return note(emMsg, t('chooseAudio'), 'error');
    const zoneIds = emTargets.zoneIds();
    const clusterIds = emTargets.clusterIds();
    if (!zoneIds.length && !clusterIds.length) return note(emMsg, t('chooseTargets'), 'error');
    emSend.disabled = true;
    const body = { title: emTitle.value.trim(), priority: 'emergency', ...(zoneIds.length ? { zoneIds } : {}), ...(clusterIds.length ? { clusterIds } : {}) };
    const run = useMic
      ? airMicrophone(body)
      : api.request<{ broadcast: Broadcast }>('POST', '/api/v1/radio/broadcasts', { ...body, audioId: emAudio.value }).then((r) => {
          emDialog.close();
          sent(r);
        });
    run.catch((e: unknown) => {
      emSend.disabled = false;
      note(emMsg, errText(e), 'error');
    });
  });
  const emButton = gated(
    h(
      'button',
      {
        type: 'button',
        class: 'danger big-button',
        id: 'bc-emergency',
        onclick: () => {
          emMsg.textContent = '';
          emConfirm.value = '';
          emSend.disabled = true;
          emDialog.showModal();
        },
      },
      `⚠ ${t('emergency')}`,
    ),
  );

  // ── Broadcasts: week view and list ──────────────────────────────────────────────────────────────────────────────
  let weekStart = wall(Date.now(), tz).dayStart - (wall(Date.now(), tz).weekday - 1) * DAY_MS;
  const weekBox = h('div', { class: 'week', id: 'bc-week' });
  const weekLabel = h('strong', { id: 'bc-week-label' });
  const listBody = h('tbody');
  const listBox = h(
    'section',
    { class: 'panel', id: 'bc-list' },
    h(
      'div',
      { class: 'filters' },
      h('h2', {}, t('broadcasts')),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            weekStart -= 7 * DAY_MS;
            paintWeek();
          },
        },
        `‹ ${t('prevWeek')}`,
      ),
      weekLabel,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            weekStart += 7 * DAY_MS;
            paintWeek();
          },
        },
        `${t('nextWeek')} ›`,
      ),
    ),
    weekBox,
    h(
      'table',
      { class: 'grid', id: 'bc-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('title'), t('priority'), t('status'), t('startAt'), t('repeat'), t('targets'), ''].map((c) => h('th', {}, c)),
        ),
      ),
      listBody,
    ),
  );
  const paintWeek = (): void => {
    clear(weekBox);
    const names = lang === 'vi' ? WEEKDAYS_VI : WEEKDAYS_EN;
    const end = weekStart + 7 * DAY_MS;
    const day = (at: number): string =>
      new Date(at).toLocaleDateString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: tz, day: '2-digit', month: '2-digit', year: 'numeric' });
    weekLabel.textContent = `${day(weekStart)} – ${day(end - 1)}`;
    const items = broadcasts
      .filter((b) => b.status !== 'cancelled')
      .flatMap((b) => occurrences(b, weekStart, end, tz).map((o) => ({ b, ...o })))
      .sort((x, y) => x.at - y.at);
    const today = wall(Date.now(), tz).dayStart;
    for (let i = 0; i < 7; i++) {
      const day = weekStart + i * DAY_MS;
      const w = wall(day + 12 * 3_600_000, tz);
      const mine = items.filter((x) => wall(x.at, tz).dayStart === w.dayStart);
      weekBox.append(
        h(
          'div',
          { class: `day${w.dayStart === today ? ' today' : ''}`, 'data-day': `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}` },
          h('div', { class: 'day-head' }, `${names[i]} ${w.d}/${w.m}`),
          mine.map((x) => {
            const ww = wall(x.at, tz);
            return h(
              'button',
              {
                type: 'button',
                class: `bc-item prio-${x.b.priority} st-${x.b.status}`,
                'data-broadcast': x.b.id,
                title: x.b.title,
                onclick: () => void openReport(x.b.id),
              },
              `${String(ww.h).padStart(2, '0')}:${String(ww.mi).padStart(2, '0')} ${x.b.title}${x.b.rrule ? ' ↻' : ''}${x.approx ? ` (${t('recurring')})` : ''}`,
            );
          }),
        ),
      );
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
      listBody.append(
        h(
          'tr',
          { 'data-broadcast': b.id, 'data-status': b.status },
          h(
            'td',
            {},
            h(
              'a',
              {
                href: '#',
                onclick: (e: Event) => {
                  e.preventDefault();
                  void openReport(b.id);
                },
              },
              b.title,
            ),
            h('br'),
            h('small', { class: 'muted' }, b.id),
          ),
          h('td', {}, h('span', { class: `badge prio-${b.priority}` }, t(`prio_${b.priority}`))),
          h('td', {}, h('span', { class: `badge st-${b.status}` }, t(`st_${b.status}`))),
          h('td', {}, fmtTime(b.startsAt, lang)),
          h('td', { title: b.rrule ?? '' }, b.rrule ? rruleText(b.rrule, lang, (({ h: hh, mi }) => ({ h: hh, mi }))(wall(Date.parse(b.startsAt), tz))) : '—'),
          h('td', {}, targetsText(b)),
          h(
            'td',
            { class: 'actions' },
            h('button', { type: 'button', onclick: () => void openReport(b.id) }, t('report')),
            b.status === 'scheduled'
              ? gated(
                  h(
                    'span',
                    {},
                    ' ',
                    h('button', { type: 'button', 'data-action': 'stop', onclick: () => void act(b, 'stop') }, t('stop')),
                    ' ',
                    h('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: () => void act(b, 'cancel') }, t('cancelBroadcast')),
                  ),
                )
              : null,
          ),
        ),
      );
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
      const resolve = (body: Record<string, unknown>): void =>
        void api.request('POST', `/api/v1/radio/conflicts/${c.id}/resolve`, body).then(
          async () => {
            await loadConflicts();
            await loadBroadcasts();
          },
          (e: unknown) => alert(errText(e)),
        );
      conflictBox.append(
        h(
          'div',
          { class: 'conflict', 'data-conflict': String(c.id) },
          h('p', {}, h('strong', {}, `“${title(c.broadcastId)}” ⟷ “${title(c.otherBroadcastId)}”`), h('br'), lang === 'vi' ? c.message.vi : c.message.en),
          gated(
            h(
              'div',
              { class: 'filters' },
              h('button', { type: 'button', onclick: () => resolve({ cancel: c.broadcastId }) }, `${t('cancelOne')} “${title(c.broadcastId)}”`),
              h('button', { type: 'button', onclick: () => resolve({ cancel: c.otherBroadcastId }) }, `${t('cancelOne')} “${title(c.otherBroadcastId)}”`),
              h('button', { type: 'button', onclick: () => resolve({ accept: true }) }, t('keepBoth')),
            ),
          ),
        ),
      );
    }
  };

  root.append(
    h('div', { class: 'filters title-row' }, h('h1', {}, t('radio')), emButton),
    emDialog,
    conflictBox,
    listBox,
    reportBox,
    h('div', { class: 'two' }, form, audioBox),
    airtimeBox,
  );
  await Promise.all([loadAudio(), loadBroadcasts()]).catch((e: unknown) => listBox.append(h('p', { class: 'error' }, errText(e))));
  void loadConflicts().catch(() => conflictBox.append(h('p', { class: 'muted' }, t('notAvailable'))));
  void loadAirtime().catch(() => airtimeBox.append(h('p', { class: 'muted' }, t('notAvailable'))));

  // Live: a broadcast changed (created, dispatched, cancelled, done) → list; its clusters acknowledged → its report.
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const soon = (fn: () => Promise<void>): void => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void fn().catch(() => undefined), 250);
  };
  unsubs.push(
    fleet.on('broadcast.update', (data) => {
      const id = (data as { broadcastId?: string }).broadcastId;
      soon(async () => {
        await loadBroadcasts();
        if (id && id === currentReport()) await openReport(id);
      });
    }),
  );
  unsubs.push(
    fleet.on('command.outcome', (data) => {
      const c = (data as { commandId?: string }).commandId ?? '';
      const rid = currentReport();
      if (rid && c.startsWith(`bc:${rid}:`))
        soon(async () => {
          await openReport(rid);
        });
    }),
  );

  return () => {
    alive = false;
    clearTimeout(reloadTimer);
    clearInterval(micTimer);
    void mic?.stop();
    if (emDialog.open) emDialog.close();
    for (const u of unsubs) u();
  };
}
