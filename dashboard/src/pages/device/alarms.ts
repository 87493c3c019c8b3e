import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { t } from '../../i18n.ts';
import { dataTable, panel } from '../../ui/table.ts';
import { alarmText, onAlarmUpdates, type Alarm } from '../alarms.ts';
import './words.ts';

/** The device's alarms of the last 30 days, open ones first, live; acknowledging stays on the Alarms page. */
export function alarmsPanel(deviceId: string, alive: () => boolean): { el: HTMLElement; load: () => Promise<void>; stop: () => void } {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const el = panel('device-alarms', t('dp_alarms'), body);
  const load = async (): Promise<void> => {
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
    try {
      const [open, recent] = await Promise.all([
        api.get<{ items: Alarm[] }>(`/api/v1/alarms?device=${encodeURIComponent(deviceId)}&state=open&limit=100`),
        api.get<{ items: Alarm[] }>(`/api/v1/alarms?device=${encodeURIComponent(deviceId)}&from=${encodeURIComponent(from)}&limit=100`),
      ]);
      if (!alive()) return;
      const seen = new Set(open.items.map((a) => a.id));
      const rows = [...open.items, ...recent.items.filter((a) => !seen.has(a.id))];
      body.replaceChildren(
        rows.length
          ? dataTable(
              rows,
              [
                { head: t('alm.severity'), cell: (a) => h('span', { class: `badge sev-${a.severity}` }, t(`alm.sev_${a.severity}`)) },
                {
                  head: t('alm.alarm'),
                  class: 'wrap',
                  cell: (a) => [alarmText(a), a.occurrences > 1 ? h('span', { class: 'muted' }, ` ×${a.occurrences}`) : null],
                },
                { head: t('alm.raisedAt'), cell: (a) => fmtTime(a.raisedAt) },
                {
                  head: t('alm.handling'),
                  cell: (a) => [
                    h('span', { class: `badge ${a.state}` }, t(`alm.state_${a.state}`)),
                    a.acknowledgedBy ? h('div', { class: 'muted small' }, `${t('alm.by')} ${a.acknowledgedBy}`) : null,
                  ],
                },
              ],
              { rowAttrs: (a) => ({ 'data-alarm-id': a.id, 'data-state': a.state }) },
            )
          : h('p', { class: 'muted', id: 'device-no-alarms' }, t('dp_noAlarms')),
        h('p', {}, h('a', { href: `#/alarms/${encodeURIComponent(deviceId)}` }, t('dp_allAlarms'))),
      );
    } catch (e) {
      if (alive()) body.replaceChildren(h('p', { class: 'muted' }, `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };
  const stop = onAlarmUpdates(() => void load());
  return { el, load, stop };
}
