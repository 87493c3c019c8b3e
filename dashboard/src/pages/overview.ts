import { api } from '../api.ts';
import type { Figure } from '../contract.ts';
import { clear, fmtTime, h } from '../dom.ts';
import { fleet, statusOf } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import type { Settings } from '../settings.ts';
import { alarmText, deviceName, onAlarmUpdates, type Alarm } from './alarms.ts';
import { currentHalfYear } from '../ui/report-period.ts';
import { fmtFigure, txt } from './reports.ts';

addStrings(
  { 'ovw.recent': 'Hoạt động gần đây', 'ovw.allAlarms': 'Xem tất cả cảnh báo', 'ovw.fullReport': 'Xem báo cáo đầy đủ' },
  { 'ovw.recent': 'Recent activity', 'ovw.allAlarms': 'All alarms', 'ovw.fullReport': 'Full report' },
);

/** The figures the overview shows: totals and availability per system; the rest is on the Reports page. */
const OVERVIEW_FIGURE = /^(devices\.total|availability\.all|[\w-]+\.availability)$/;

export async function overviewPage(root: HTMLElement, _params: string[], settings: Settings): Promise<() => void> {
  const cards = h('section', { class: 'cards', id: 'kind-cards' });
  const alarms = h('section', { class: 'panel', id: 'open-alarms' }, h('h2', {}, t('openAlarms')), h('p', {}, t('loading')));
  const indicators = h('section', { class: 'panel', id: 'indicators' }, h('h2', {}, t('indicators')));
  const recent = h('section', { class: 'panel' }, h('h2', {}, t('ovw.recent')), h('ul', { id: 'recent', class: 'recent' }));
  root.append(cards, h('div', { class: 'two' }, alarms, indicators), recent);

  const paint = (): void => {
    clear(cards);
    for (const [kind, c] of Object.entries(fleet.counts())) {
      cards.append(
        h(
          'a',
          { class: 'card', href: `#/map/${kind}`, 'data-kind': kind },
          h('h3', {}, kindLabel(kind)),
          h('div', { class: 'big' }, String(c.total)),
          h(
            'div',
            { class: 'bar' },
            h('span', { class: 'ok', style: `flex:${c.online}` }),
            h('span', { class: 'bad', style: `flex:${c.offline}` }),
            h('span', { class: 'unk', style: `flex:${c.unknown}` }),
          ),
          h('div', { class: 'legend' }, `${t('online')} ${c.online} · ${t('offline')} ${c.offline} · ${t('unknown')} ${c.unknown}`),
        ),
      );
    }
    const list = recent.querySelector('#recent')!;
    clear(list);
    const latest = [...fleet.devices.values()]
      .filter((d) => d.lastSeen)
      .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
      .slice(0, 8);
    for (const d of latest) list.append(h('li', { class: statusOf(d) }, h('a', { href: `#/device/${d.id}` }, d.name), ` · ${fmtTime(d.lastSeen, getLang())}`));
  };
  paint();
  const unsub = fleet.subscribe(paint);

  // Open = active or acknowledged (docs/health.md §3); the panel reloads on every live alarm change.
  let seq = 0;
  const loadAlarms = (): void => {
    const mine = ++seq;
    api.get<{ items: Alarm[]; total: number }>('/api/v1/alarms?state=open&limit=20').then(
      (r) => {
        if (mine !== seq) return;
        clear(alarms);
        alarms.append(h('h2', {}, `${t('openAlarms')} (${r.total})`));
        alarms.append(
          r.items.length
            ? h(
                'ul',
                { class: 'alarms' },
                r.items.map((a) =>
                  h(
                    'li',
                    { class: `sev-${a.severity}`, 'data-alarm-id': a.id, 'data-state': a.state },
                    h('a', { href: `#/device/${encodeURIComponent(a.deviceId)}` }, deviceName(a.deviceId)),
                    ` · ${alarmText(a)} · ${fmtTime(a.raisedAt, getLang())}`,
                    a.state === 'acknowledged' && h('span', { class: 'badge acknowledged' }, t('alm.state_acknowledged')),
                  ),
                ),
              )
            : h('p', {}, '✓'),
          h('p', {}, h('a', { href: '#/alarms' }, t('ovw.allAlarms'))),
        );
      },
      () => {
        if (mine !== seq) return;
        clear(alarms);
        alarms.append(h('h2', {}, t('openAlarms')), h('p', { class: 'muted' }, t('notAvailable')));
      },
    );
  };
  loadAlarms();
  const offAlarms = onAlarmUpdates(loadAlarms);

  const period = currentHalfYear(settings.ward.timezone || 'Asia/Ho_Chi_Minh');
  api.get<{ period: { code: string; label: { vi: string; en: string } }; complete: boolean; figures: Figure[] }>(`/api/v1/indicators?period=${period}`).then(
    (r) => {
      const shown = r.figures.filter((f) => OVERVIEW_FIGURE.test(f.id));
      indicators.append(
        h('p', { class: 'muted', 'data-period': r.period.code }, txt(r.period.label)),
        h(
          'dl',
          { class: 'kv' },
          shown.flatMap((f) => [h('dt', { 'data-figure': f.id }, txt(f.label)), h('dd', {}, fmtFigure(f))]),
        ),
        h('p', {}, h('a', { href: `#/reports/${r.period.code}` }, t('ovw.fullReport'))),
      );
    },
    () => indicators.append(h('p', { class: 'muted' }, t('notAvailable'))),
  );
  return () => {
    seq++;
    unsub();
    offAlarms();
  };
}
