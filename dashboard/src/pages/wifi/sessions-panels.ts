import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet, statusOf } from '../../fleet.ts';
import { formatBytes, formatDuration } from '../../format.ts';
import { getLang, t } from '../../i18n.ts';
import { dataTable, panel } from '../../ui/table.ts';
import { errorText } from '../../ui/notice.ts';
import { zones } from '../../zones.ts';
import type { Point, Session, Totals } from './model.ts';
import './words.ts';

const name = (id: string): string => fleet.devices.get(id)?.name ?? id;
const bytes = (n: number): string => formatBytes(n, getLang());
const duration = (s: number | null): string => (s === null ? '—' : formatDuration(s * 1000, getLang()));
const kpi = (k: string, v: string, id: string, hint?: string): HTMLElement =>
  h('div', { class: 'kpi', 'data-kpi': id, title: hint }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));

/** The period's totals (sessions, unique users — the report's indicator —, traffic, mean length) and each point's. */
export function usagePanels(alive: () => boolean): { el: HTMLElement[]; load: (p: { from: Date; to: Date; code: string | null }) => Promise<void> } {
  const kpis = h('div', { class: 'kpis', id: 'wf-kpis' }, h('p', {}, t('loading')));
  const indicator = h('p', { class: 'muted', id: 'wf-indicator' });
  const points = h('div', { id: 'wf-points-body' });
  const el = [panel('wf-usage', t('wf.uniqueUsers'), kpis, indicator), panel('wf-points', t('wf.points'), points)];
  const load = async (p: { from: Date; to: Date; code: string | null }): Promise<void> => {
    const q = `from=${p.from.toISOString()}&to=${p.to.toISOString()}`;
    try {
      const [u, pts] = await Promise.all([api.get<Totals>(`/api/v1/wifi/unique-users?${q}`), api.get<{ items: Point[] }>(`/api/v1/wifi/points?${q}`)]);
      if (!alive()) return;
      kpis.replaceChildren(
        kpi(t('wf.uniqueUsers'), String(u.uniqueUsers), 'uniqueUsers', t('wf.indicatorHint')),
        kpi(t('wf.sessions'), String(u.sessions), 'sessions'),
        kpi(t('wf.traffic'), bytes(u.bytes), 'bytes'),
        kpi(t('wf.meanDuration'), u.sessions ? duration(Math.round(u.durationS / u.sessions)) : '—', 'meanDuration'),
      );
      points.replaceChildren(pts.items.length
        ? dataTable(pts.items, [
            { head: t('wf.point'), cell: (x) => h('a', { href: `#/device/${encodeURIComponent(x.deviceId)}` }, h('span', { class: `dot ${fleet.devices.get(x.deviceId) ? statusOf(fleet.devices.get(x.deviceId)!) : 'unknown'}` }), name(x.deviceId)) },
            { head: t('group'), cell: (x) => zones.name(fleet.devices.get(x.deviceId)?.groupId) },
            { head: t('wf.sessions'), class: 'num', cell: (x) => String(x.sessions) },
            { head: t('wf.users'), class: 'num', cell: (x) => String(x.uniqueUsers) },
            { head: t('wf.bytes'), class: 'num', cell: (x) => bytes(x.bytes) },
            { head: t('wf.meanDuration'), class: 'num', cell: (x) => duration(x.meanDurationS) },
          ], { id: 'wf-point-table', rowAttrs: (x) => ({ 'data-device': x.deviceId, 'data-sessions': x.sessions, 'data-users': x.uniqueUsers }) })
        : h('p', { class: 'muted' }, t('noData')));
    } catch (err) {
      if (alive()) kpis.replaceChildren(h('p', { class: 'error' }, errorText(err)));
      return;
    }
    // The same figure as the indicator report computes it, when the period is a report period.
    indicator.replaceChildren();
    if (!p.code) return;
    const code = p.code;
    api.get<{ figures: { id: string; label: { vi: string; en: string }; value: number | null }[] }>(`/api/v1/indicators?period=${code}`).then((r) => {
      const f = r.figures.find((x) => /\.uniqueUsers$/.test(x.id));
      if (!alive() || !f) return;
      indicator.replaceChildren(
        h('span', { 'data-figure': f.id, 'data-value': f.value ?? '' }, `${t('wf.indicator')} (${getLang() === 'vi' ? f.label.vi : f.label.en}): ${f.value ?? '—'}`),
        ' · ', h('a', { href: `#/reports/${code}` }, t('wf.toReport')),
      );
    }, () => undefined);
  };
  return { el, load };
}

/** Current and recent sessions of the period: point, start, end, length, bytes — never who (operators only: the API's rule). */
export function sessionsPanel(alive: () => boolean): { el: HTMLElement; load: (p: { from: Date; to: Date }) => Promise<void> } {
  const point = h('select', { id: 'wf-session-point' }, h('option', { value: '' }, t('wf.allPoints')));
  const body = h('div', { id: 'wf-sessions-body' });
  const el = panel('wf-sessions', t('wf.recent'), h('div', { class: 'filters' }, h('label', {}, t('wf.point'), point)), h('p', { class: 'muted small' }, t('wf.noPersonal')), body);
  let last: { from: Date; to: Date } | undefined;
  point.addEventListener('change', () => void (last && load(last)));
  const load = async (p: { from: Date; to: Date }): Promise<void> => {
    last = p;
    if (!api.can('operator')) {
      body.replaceChildren(h('p', { class: 'muted', id: 'wf-sessions-role' }, t('wf.sessionsNeedOperator')));
      point.disabled = true;
      return;
    }
    const dev = point.value ? `&device=${encodeURIComponent(point.value)}` : '';
    try {
      const r = await api.get<{ items: Session[] }>(`/api/v1/wifi/sessions?from=${p.from.toISOString()}&to=${p.to.toISOString()}&limit=200${dev}`);
      if (!alive()) return;
      // Points the list can filter by: those with sessions, kept once seen.
      for (const id of new Set(r.items.map((s) => s.deviceId)))
        if (![...point.options].some((o) => o.value === id)) point.append(h('option', { value: id }, name(id)));
      const now = Date.now();
      const open = r.items.filter((s) => !s.endedAt).length;
      body.replaceChildren(
        h('p', { id: 'wf-open', 'data-open': open }, `${t('wf.connectedNow')}: ${open} · ${t('wf.shown')} ${r.items.length}`),
        r.items.length
          ? dataTable(r.items, [
              { head: t('wf.point'), cell: (s) => name(s.deviceId) },
              { head: 'SSID', cell: (s) => s.ssid ?? '—' },
              { head: t('wf.start'), cell: (s) => fmtTime(s.startedAt) },
              { head: t('wf.end'), cell: (s) => (s.endedAt ? fmtTime(s.endedAt) : h('span', { class: 'badge ok' }, t('wf.open'))) },
              { head: t('wf.duration'), class: 'num', cell: (s) => duration(s.endedAt || !s.startedAt ? s.durationS : Math.max(s.durationS, Math.round((now - Date.parse(s.startedAt)) / 1000))) },
              { head: t('wf.down'), class: 'num', cell: (s) => bytes(s.bytesIn) },
              { head: t('wf.up'), class: 'num', cell: (s) => bytes(s.bytesOut) },
              { head: t('wf.endCause'), cell: (s) => s.endCause ?? '' },
            ], { id: 'wf-session-table', rowAttrs: (s) => ({ 'data-device': s.deviceId, 'data-open': !s.endedAt }) })
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (err) {
      if (alive()) body.replaceChildren(h('p', { class: 'error' }, errorText(err)));
    }
  };
  return { el, load };
}
