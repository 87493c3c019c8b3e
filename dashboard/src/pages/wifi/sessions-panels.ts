import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet, statusOf } from '../../fleet.ts';
import { formatBytes, formatDuration } from '../../format.ts';
import { getLang, t } from '../../i18n.ts';
import { dataTable, panel, type Column } from '../../ui/table.ts';
import { errorText, toast } from '../../ui/notice.ts';
import { zones } from '../../zones.ts';
import type { OpenNow, Point, Session, Totals } from './model.ts';
import '../reports.ts';
import './words.ts';

const CMP: Record<string, string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };
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
      const [u, pts, now] = await Promise.all([
        api.get<Totals>(`/api/v1/wifi/unique-users?${q}`),
        api.get<{ items: Point[] }>(`/api/v1/wifi/points?${q}`),
        api.get<OpenNow>('/api/v1/wifi/sessions/open'),
      ]);
      if (!alive()) return;
      const openAt = new Map(now.items.map((x) => [x.deviceId, x.open]));
      // Points with a session in progress but none in the period (a long one) still show.
      const rows = [
        ...pts.items,
        ...now.items
          .filter((x) => !pts.items.some((p) => p.deviceId === x.deviceId))
          .map((x) => ({ deviceId: x.deviceId, sessions: 0, uniqueUsers: 0, bytes: 0, meanDurationS: null })),
      ];
      kpis.replaceChildren(
        kpi(t('wf.uniqueUsers'), String(u.uniqueUsers), 'uniqueUsers', t('wf.indicatorHint')),
        kpi(t('wf.sessions'), String(u.sessions), 'sessions'),
        kpi(t('wf.traffic'), bytes(u.bytes), 'bytes'),
        kpi(t('wf.meanDuration'), u.sessions ? duration(Math.round(u.durationS / u.sessions)) : '—', 'meanDuration'),
        kpi(t('wf.connectedNow'), String(now.total), 'openNow', t('wf.openHint')),
      );
      points.replaceChildren(
        rows.length
          ? dataTable(
              rows,
              [
                {
                  head: t('wf.point'),
                  cell: (x) =>
                    h(
                      'a',
                      { href: `#/device/${encodeURIComponent(x.deviceId)}` },
                      h('span', { class: `dot ${fleet.devices.get(x.deviceId) ? statusOf(fleet.devices.get(x.deviceId)!) : 'unknown'}` }),
                      name(x.deviceId),
                    ),
                },
                { head: t('group'), cell: (x) => zones.name(fleet.devices.get(x.deviceId)?.groupId) },
                { head: t('wf.connectedNow'), class: 'num', cell: (x) => String(openAt.get(x.deviceId) ?? 0) },
                { head: t('wf.sessions'), class: 'num', cell: (x) => String(x.sessions) },
                { head: t('wf.users'), class: 'num', cell: (x) => String(x.uniqueUsers) },
                { head: t('wf.bytes'), class: 'num', cell: (x) => bytes(x.bytes) },
                { head: t('wf.meanDuration'), class: 'num', cell: (x) => duration(x.meanDurationS) },
              ],
              {
                id: 'wf-point-table',
                rowAttrs: (x) => ({
                  'data-device': x.deviceId,
                  'data-sessions': x.sessions,
                  'data-users': x.uniqueUsers,
                  'data-open': openAt.get(x.deviceId) ?? 0,
                }),
              },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (err) {
      if (alive()) kpis.replaceChildren(h('p', { class: 'error' }, errorText(err)));
      return;
    }
    // The same figure as the indicator report computes it, when the period is a report period.
    indicator.replaceChildren();
    if (!p.code) return;
    const code = p.code;
    type Target = { period: string; comparator: string; value: number; met: boolean | null };
    api.get<{ figures: { id: string; label: { vi: string; en: string }; value: number | null; target?: Target }[] }>(`/api/v1/indicators?period=${code}`).then(
      (r) => {
        const f = r.figures.find((x) => /\.uniqueUsers$/.test(x.id));
        if (!alive() || !f) return;
        const tg = f.target;
        indicator.replaceChildren(
          h(
            'span',
            { 'data-figure': f.id, 'data-value': f.value ?? '' },
            `${t('wf.indicator')} (${getLang() === 'vi' ? f.label.vi : f.label.en}): ${f.value ?? '—'}`,
          ),
          // The plan's target for the period (or its year) and whether it is met, as the report says it.
          ...(tg
            ? [
                h(
                  'span',
                  { id: 'wf-target', 'data-met': String(tg.met) },
                  ` · ${t('rep.target')} ${CMP[tg.comparator] ?? tg.comparator} ${tg.value}${tg.met === null ? '' : ` · ${tg.met ? t('rep.met') : t('rep.notMet')}`}`,
                ),
              ]
            : []),
          ' · ',
          h('a', { href: `#/reports/${code}` }, t('wf.toReport')),
        );
      },
      () => undefined,
    );
  };
  return { el, load };
}

/** Sessions shown per page of the list ("show more" fetches the next). */
const PAGE = 25;
/** A session silent this long without a stop record is not "connected" (the service's rule for counting them). */
const STALE_MS = 24 * 3_600_000;

/** Current and recent sessions of the period: point, start, end, length, bytes — never who (operators only: the API's rule). */
export function sessionsPanel(alive: () => boolean): { el: HTMLElement; load: (p: { from: Date; to: Date }) => Promise<void> } {
  const point = h('select', { id: 'wf-session-point' }, h('option', { value: '' }, t('wf.allPoints')));
  const body = h('div', { id: 'wf-sessions-body' });
  const more = h('button', { type: 'button', id: 'wf-sessions-more', hidden: true }, t('wf.more'));
  const el = panel(
    'wf-sessions',
    t('wf.recent'),
    h('div', { class: 'filters' }, h('label', {}, t('wf.point'), point)),
    h('p', { class: 'muted small' }, t('wf.noPersonal')),
    body,
    more,
  );
  let last: { from: Date; to: Date } | undefined;
  let shown: Session[] = [];
  const columns = (now: number): Column<Session>[] => [
    { head: t('wf.point'), cell: (s) => name(s.deviceId) },
    { head: 'SSID', cell: (s) => s.ssid ?? '—' },
    { head: t('wf.start'), cell: (s) => fmtTime(s.startedAt) },
    {
      head: t('wf.end'),
      cell: (s) =>
        s.endedAt ? fmtTime(s.endedAt) : isOpen(s, now) ? h('span', { class: 'badge ok' }, t('wf.open')) : h('span', { class: 'muted' }, t('wf.noStop')),
    },
    {
      head: t('wf.duration'),
      class: 'num',
      cell: (s) =>
        duration(s.endedAt || !isOpen(s, now) || !s.startedAt ? s.durationS : Math.max(s.durationS, Math.round((now - Date.parse(s.startedAt)) / 1000))),
    },
    { head: t('wf.down'), class: 'num', cell: (s) => bytes(s.bytesIn) },
    { head: t('wf.up'), class: 'num', cell: (s) => bytes(s.bytesOut) },
    { head: t('wf.endCause'), cell: (s) => s.endCause ?? '' },
  ];
  const isOpen = (s: Session, now: number): boolean => !s.endedAt && s.startedAt !== null && now - Date.parse(s.startedAt) < STALE_MS;
  const paint = (hasMore: boolean): void => {
    const now = Date.now();
    body.replaceChildren(
      h('p', { class: 'muted', id: 'wf-shown', 'data-shown': shown.length }, `${t('wf.shown')} ${shown.length}`),
      shown.length
        ? dataTable(shown, columns(now), { id: 'wf-session-table', rowAttrs: (s) => ({ 'data-device': s.deviceId, 'data-open': String(isOpen(s, now)) }) })
        : h('p', { class: 'muted' }, t('noData')),
    );
    more.hidden = !hasMore;
  };
  const fetchPage = async (p: { from: Date; to: Date }, offset: number): Promise<Session[]> => {
    const dev = point.value ? `&device=${encodeURIComponent(point.value)}` : '';
    const r = await api.get<{ items: Session[] }>(
      `/api/v1/wifi/sessions?from=${p.from.toISOString()}&to=${p.to.toISOString()}&limit=${PAGE + 1}&offset=${offset}${dev}`,
    );
    // Points the list can filter by: those with sessions, kept once seen.
    for (const id of new Set(r.items.map((s) => s.deviceId)))
      if (![...point.options].some((o) => o.value === id)) point.append(h('option', { value: id }, name(id)));
    return r.items;
  };
  const load = async (p: { from: Date; to: Date }): Promise<void> => {
    last = p;
    if (!api.can('operator')) {
      body.replaceChildren(h('p', { class: 'muted', id: 'wf-sessions-role' }, t('wf.sessionsNeedOperator')));
      point.disabled = true;
      return;
    }
    try {
      const items = await fetchPage(p, 0);
      if (!alive() || last !== p) return;
      shown = items.slice(0, PAGE);
      paint(items.length > PAGE);
    } catch (err) {
      if (alive()) body.replaceChildren(h('p', { class: 'error' }, errorText(err)));
    }
  };
  point.addEventListener('change', () => void (last && load(last)));
  more.addEventListener('click', () => {
    const p = last;
    if (!p) return;
    more.disabled = true;
    fetchPage(p, shown.length)
      .then(
        (items) => {
          if (!alive() || last !== p) return;
          shown = [...shown, ...items.slice(0, PAGE)];
          paint(items.length > PAGE);
        },
        (err) => toast(errorText(err), 'error'),
      )
      .finally(() => void (more.disabled = false));
  });
  return { el, load };
}
