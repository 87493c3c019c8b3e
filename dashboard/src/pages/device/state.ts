import { api } from '../../api.ts';
import type { Device as DeviceDetail } from '../../contract.ts';
import { clear, fmtNum, fmtTime, h } from '../../dom.ts';
import { statusOf, type FleetDevice } from '../../fleet.ts';
import { deviceHealth, HEALTH_COLOURS } from '../../health.ts';
import { formatDuration } from '../../format.ts';
import { getLang, reasonText, t } from '../../i18n.ts';
import { kindLabel, kinds, metricLabel, text, valueLabel } from '../../kinds.ts';
import { zones } from '../../zones.ts';
import { dataTable, panel } from '../../ui/table.ts';
import './words.ts';

/** Latest state in the kind's words ("Hệ số công suất 0,95", not `powerFactor: 0.95`), repainted by the live stream. */
export function statePanel(d: FleetDevice): { el: HTMLElement; paint: () => void } {
  const el = h('section', { class: 'panel', id: 'device-state' });
  const paint = (): void => {
    clear(el);
    const kind = kinds.get(d.kind);
    const health = deviceHealth.of(d);
    // Fields in the order the kind declares them; keys it does not declare (older firmware) after, as they are.
    const declared = Object.keys(kind?.telemetry ?? {});
    // Undeclared structured values (a status payload's metadata) are not readings: left out rather than shown as JSON.
    const extra = Object.keys(d.state)
      .filter((k) => !declared.includes(k) && (typeof d.state[k] !== 'object' || d.state[k] === null))
      .sort();
    const keys = [...declared.filter((k) => k in d.state), ...extra];
    el.append(
      h('h2', {}, t('latestState')),
      h(
        'p',
        { 'data-status': statusOf(d), 'data-health': health },
        h('span', { class: 'health-dot', style: `background:${HEALTH_COLOURS[health]}` }),
        t(`health_${health}`),
        ` · ${t(statusOf(d))} · ${t('lastSeen')}: ${fmtTime(d.lastSeen)}`,
        d.statusReason ? h('span', { class: 'muted', 'data-reason': d.statusReason }, ` · ${reasonText(d.statusReason)}`) : null,
      ),
      keys.length
        ? h(
            'dl',
            { class: 'kv' },
            keys.flatMap((k) => [
              h('dt', { title: kind?.telemetry[k]?.doc ?? k, 'data-metric': k }, metricLabel(d.kind, k)),
              h('dd', {}, valueLabel(d.kind, k, d.state[k], fmtNum)),
            ]),
          )
        : h('p', { class: 'muted' }, t('noData')),
    );
  };
  return { el, paint };
}

const ASSET_WORDS: Record<string, { vi: string; en: string }> = {
  manufacturer: { vi: 'Hãng sản xuất', en: 'Manufacturer' },
  model: { vi: 'Mẫu', en: 'Model' },
  serial: { vi: 'Số sê-ri', en: 'Serial number' },
  ratedPowerW: { vi: 'Công suất định mức (W)', en: 'Rated power (W)' },
  pole: { vi: 'Cột', en: 'Pole' },
  circuit: { vi: 'Lộ điện', en: 'Circuit' },
};

/** The device's record: kind, residential group and zones by name, position, asset. */
export function infoPanel(id: string, alive: () => boolean): HTMLElement {
  const el = panel('device-info', t('dp_deviceInfo'), h('p', { class: 'muted' }, t('loading')));
  void api.get<DeviceDetail>(`/api/v1/devices/${encodeURIComponent(id)}`).then(
    (r) => {
      if (!alive()) return;
      const rows: [string, string][] = [
        [t('kind'), kindLabel(r.kind)],
        [t('group'), zones.name(r.groupId)],
        [t('dp_zones'), r.zoneIds.map((z) => zones.name(z)).join(', ') || '—'],
        [t('dp_position'), r.lat !== null && r.lon !== null ? `${fmtNum(r.lat, 6)}, ${fmtNum(r.lon, 6)}` : '—'],
        [t('dp_address'), r.address ?? '—'],
        [t('dp_installedAt'), r.installedAt ? fmtTime(r.installedAt).slice(0, 10) : '—'],
        [t('dp_tags'), r.tags.join(', ') || '—'],
        ...Object.entries(r.asset).map(([k, v]): [string, string] => [
          text(ASSET_WORDS[k], `${t('dp_asset')}: ${k}`),
          typeof v === 'number' ? fmtNum(v, 2) : String(v),
        ]),
      ];
      el.replaceChildren(
        h('h2', {}, t('dp_deviceInfo')),
        h(
          'dl',
          { class: 'kv' },
          rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
      );
    },
    (e: Error) => alive() && el.replaceChildren(h('h2', {}, t('dp_deviceInfo')), h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${e.message}`)),
  );
  return el;
}

/** Online/offline transitions, newest first, how long each lasted and why (in words). */
export function historyPanel(id: string, alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const el = panel('status-history', t('statusHistory'), body);
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: { time: string; online: boolean; reason: string }[] }>(
        `/api/v1/devices/${encodeURIComponent(id)}/status-history?limit=50`,
      );
      if (!alive()) return;
      const rows = r.items.map((x, i) => ({ ...x, end: i === 0 ? Date.now() : Date.parse(r.items[i - 1]!.time), first: i === 0 }));
      body.replaceChildren(
        rows.length
          ? dataTable(
              rows,
              [
                { head: t('time'), cell: (x) => fmtTime(x.time) },
                { head: t('status'), cell: (x) => [h('span', { class: `dot ${x.online ? 'online' : 'offline'}` }), t(x.online ? 'online' : 'offline')] },
                { head: t('dp_duration'), cell: (x) => `${formatDur(x.end - Date.parse(x.time))}${x.first ? ` (${t('dp_ongoing')})` : ''}` },
                { head: t('reason'), cell: (x) => h('span', { title: x.reason }, reasonText(x.reason)) },
              ],
              { rowAttrs: (x) => ({ 'data-online': String(x.online) }) },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      if (alive()) body.replaceChildren(h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };
  return { el, load };
}

const formatDur = (ms: number): string => formatDuration(ms, getLang());
