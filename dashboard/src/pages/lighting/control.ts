import { api } from '../../api.ts';
import type { Command as CommandView } from '../../contract.ts';
import { clear, h } from '../../dom.ts';
import { statusOf, type FleetDevice } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { wall, zonedToDate } from '../../ui/zoned.ts';
import type { Zone } from '../../zones.ts';
import type { AckPanel } from './acks.ts';
import './words.ts';

export interface ControlDeps {
  lights: () => FleetDevice[];
  zones: Zone[];
  wardCode: string;
  tz: string;
  acks: AckPanel;
  /** Called after a command was accepted (the overrides list reloads). */
  changed: () => void;
}

const DURATIONS: [string, string][] = [
  ['900', 'min15'],
  ['1800', 'min30'],
  ['3600', 'h1'],
  ['7200', 'h2'],
  ['14400', 'h4'],
  ['28800', 'h8'],
  ['43200', 'h12'],
  ['morning', 'untilMorning'],
  ['custom', 'custom'],
];

/**
 * Switch or dim the whole ward, a zone or picked lights, always with an end (DOMAIN.md §2), and follow each light's
 * acknowledgement on the ack panel. The whole ward is one command (target `ward`), confirmed first.
 */
export function controlPanel(o: ControlDeps): { el: HTMLElement; repaint: () => void } {
  const mode = h(
    'select',
    { id: 'lt-mode' },
    h('option', { value: 'zone' }, t('targetZone')),
    h('option', { value: 'ward' }, t('targetWard')),
    h('option', { value: 'devices' }, t('targetLights')),
  );
  const zone = h(
    'select',
    { id: 'lt-zone' },
    h('option', { value: '' }, `— ${t('zone')} —`),
    o.zones.map((z) => h('option', { value: z.id }, z.name)),
  );
  const zoneLabel = h('label', {}, t('zone'), zone);
  const search = h('input', { type: 'search', id: 'lt-search', placeholder: t('search') });
  const selectAll = h('input', { type: 'checkbox', id: 'lt-select-all' });
  const picked = new Set<string>();
  const pickedCount = h('span', { class: 'muted', id: 'lt-picked' });
  const list = h('div', { class: 'pick-list', id: 'lt-lights' });
  const level = h('input', { type: 'number', id: 'lt-level', min: 0, max: 100, step: 1, value: 50, required: true, inputmode: 'numeric' });
  const slider = h('input', { type: 'range', id: 'lt-level-range', min: 0, max: 100, step: 1, value: 50 });
  slider.addEventListener('input', () => (level.value = slider.value));
  level.addEventListener('input', () => (slider.value = level.value));
  const duration = h(
    'select',
    { id: 'lt-duration' },
    DURATIONS.map(([v, k]) => h('option', { value: v, selected: v === '3600' }, t(k))),
  );
  const until = h('input', { type: 'datetime-local', id: 'lt-until' });
  const untilLabel = h('label', { style: 'display:none' }, t('until'), until);
  duration.addEventListener('change', () => (untilLabel.style.display = duration.value === 'custom' ? '' : 'none'));
  const ramp = h('input', { type: 'number', id: 'lt-ramp', min: 0, max: 3600, step: 1, value: 0, style: 'width:6rem' });
  const msg = h('p', { class: 'muted', id: 'lt-msg', role: 'status' });

  const shown = (): FleetDevice[] => {
    const needle = search.value.trim().toLowerCase();
    return o
      .lights()
      .filter(
        (d) =>
          (!zone.value || d.groupId === zone.value || d.zoneIds.includes(zone.value)) &&
          (!needle || d.id.includes(needle) || d.name.toLowerCase().includes(needle)),
      );
  };
  const paintList = (): void => {
    const rows = shown();
    clear(list);
    for (const d of rows.slice(0, 500)) {
      const box = h('input', { type: 'checkbox', value: d.id, 'data-device': d.id, checked: picked.has(d.id) });
      box.addEventListener('change', () => {
        if (box.checked) picked.add(d.id);
        else picked.delete(d.id);
        pickedCount.textContent = `${picked.size} ${t('selected')}`;
      });
      list.append(h('label', { class: 'pick' }, box, h('span', { class: `dot ${statusOf(d)}` }), d.name === d.id ? d.id : `${d.name} · ${d.id}`));
    }
    if (rows.length > 500) list.append(h('p', { class: 'muted' }, `… +${rows.length - 500}`));
    if (!rows.length) list.append(h('p', { class: 'muted' }, t('noLights')));
    selectAll.checked = rows.length > 0 && rows.every((d) => picked.has(d.id));
    pickedCount.textContent = `${picked.size} ${t('selected')}`;
  };
  selectAll.addEventListener('change', () => {
    for (const d of shown()) {
      if (selectAll.checked) picked.add(d.id);
      else picked.delete(d.id);
    }
    paintList();
  });
  const pickBox = h(
    'div',
    { id: 'lt-pick', hidden: true },
    h('div', { class: 'filters' }, search, h('label', { class: 'inline' }, selectAll, t('selectAll')), pickedCount),
    list,
  );
  const syncMode = (): void => {
    pickBox.hidden = mode.value !== 'devices';
    zoneLabel.style.display = mode.value === 'ward' ? 'none' : '';
  };
  mode.addEventListener('change', syncMode);
  zone.addEventListener('change', paintList);
  search.addEventListener('input', paintList);

  const target = (): Record<string, unknown> | null => {
    if (mode.value === 'ward') return { type: 'ward', code: o.wardCode };
    if (mode.value === 'zone') return zone.value ? { type: 'zone', id: zone.value } : null;
    return picked.size ? { type: 'devices', ids: [...picked] } : null;
  };
  const targetText = (): string =>
    mode.value === 'ward'
      ? t('wholeWard')
      : mode.value === 'zone'
        ? (o.zones.find((z) => z.id === zone.value)?.name ?? zone.value)
        : `${picked.size} ${t('lights')}`;
  const expiry = (): { durationS: number } | { expiresAt: string } | null => {
    if (duration.value === 'custom') return until.value ? { expiresAt: zonedToDate(until.value, o.tz).toISOString() } : null;
    if (duration.value === 'morning') {
      // 06:00 in the ward: today's if it is still ahead, else tomorrow's.
      const w = wall(Date.now(), o.tz);
      const six = w.dayStart + 6 * 3_600_000;
      return { expiresAt: new Date(six > Date.now() ? six : six + 86_400_000).toISOString() };
    }
    return { durationS: Number(duration.value) };
  };
  const fail = (text: string): void => {
    msg.className = 'error';
    msg.textContent = text;
  };
  const confirmed = (): boolean => mode.value !== 'ward' || window.confirm(t('confirmWard'));

  const send = async (path: string, body: Record<string, unknown>, label: string, ownId: boolean): Promise<void> => {
    const tg = target();
    if (!tg) return fail(t('chooseLights'));
    if (!confirmed()) return;
    // The page names the command itself, so it listens for its acknowledgements before the request is even answered.
    const id = `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const full = `${label} · ${targetText()}`;
    if (ownId) o.acks.expect(id, full);
    msg.className = 'muted';
    msg.textContent = t('loading');
    try {
      const r = await api.request<{ commands: CommandView[]; lights: number }>('POST', path, { ...body, ...(ownId ? { id } : {}), target: tg });
      msg.textContent = `${full}: ${r.lights} ${t('lights')}`;
      o.changed();
      await o.acks.follow(r.commands, ownId ? undefined : full);
    } catch (e) {
      fail(errorText(e));
      if (ownId) o.acks.abandon();
    }
  };
  const override = (lvl: number): void => {
    const end = expiry();
    if (!end) return fail(t('until'));
    const rampS = Number(ramp.value) || 0;
    void send('/api/v1/lighting/override', { level: lvl, ...end, ...(rampS ? { rampS } : {}) }, `${t('levelShort')} ${lvl}%`, true);
  };

  const el = gated(
    h(
      'section',
      { class: 'panel', id: 'lt-control' },
      h('h2', {}, t('lightControl')),
      h('div', { class: 'filters' }, h('label', {}, t('target'), mode), zoneLabel),
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
        // Resume has no client id in the API: it is followed by the command ids it answers with.
        h('button', { id: 'lt-resume', type: 'button', onclick: () => void send('/api/v1/lighting/resume', {}, t('resume'), false) }, t('resume')),
      ),
      h('p', { class: 'muted small' }, t('overrideNote')),
      msg,
    ),
  );
  syncMode();
  paintList();
  return {
    el,
    repaint: () => {
      if (!pickBox.hidden) paintList();
    },
  };
}
