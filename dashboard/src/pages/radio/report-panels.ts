import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { errorText } from '../../ui/notice.ts';
import { DAY_MS, dur, type Report } from './model.ts';
import './words.ts';

const errText = errorText;

/** One broadcast's delivery report (acks, play logs, airtime per cluster) and the ward's airtime of the last 7 days. */
export function reportPanels(
  lang: string,
  alive: () => boolean,
): {
  reportBox: HTMLElement;
  airtimeBox: HTMLElement;
  openReport: (id: string) => Promise<void>;
  reportId: () => string | null;
  loadAirtime: () => Promise<void>;
} {
  const isAlive = alive;
  const reportBox = h('section', { class: 'panel', id: 'bc-report', hidden: true });
  let reportId: string | null = null;
  const openReport = async (id: string): Promise<void> => {
    reportId = id;
    try {
      const r = await api.get<Report>(`/api/v1/radio/broadcasts/${encodeURIComponent(id)}`);
      if (!isAlive() || reportId !== id) return;
      const s = r.summary;
      reportBox.hidden = false;
      reportBox.setAttribute('data-broadcast', id);
      reportBox.replaceChildren(
        h(
          'div',
          { class: 'filters' },
          h('h2', {}, `${t('deliveryReport')}: ${r.broadcast.title}`),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                reportBox.hidden = true;
                reportId = null;
              },
            },
            t('close'),
          ),
        ),
        h(
          'p',
          {},
          h('span', { class: `badge prio-${r.broadcast.priority}` }, t(`prio_${r.broadcast.priority}`)),
          ' ',
          h('span', { class: `badge st-${r.broadcast.status}` }, t(`st_${r.broadcast.status}`)),
          ` · ${t('clusters')}: ${s.clusters} · ${t('acknowledged')}: ${s.acknowledged} · ${t('airedFully')}: ${s.airedFully} · ${t('preempted')}: ${s.preempted} · ${t('failedLabel')}: ${s.failed} · ${t('airtime')}: ${dur(s.airtimeS)}`,
        ),
        r.clusters.length
          ? h(
              'table',
              { class: 'grid' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [t('clusters'), t('delivery'), t('playLogs'), t('airtime')].map((c) => h('th', {}, c)),
                ),
              ),
              h(
                'tbody',
                {},
                r.clusters.map((c) =>
                  h(
                    'tr',
                    { 'data-cluster': c.clusterId },
                    h('td', {}, fleet.devices.get(c.clusterId)?.name ?? c.clusterId),
                    h(
                      'td',
                      {},
                      c.airings.map((a) =>
                        h(
                          'div',
                          {},
                          `${fmtTime(a.occurrenceAt, lang)} `,
                          h('span', { class: `badge ${a.state ?? ''}` }, a.state ? t(`ack_${a.state}`) : '—'),
                          a.error ? ` ${a.error}` : '',
                        ),
                      ),
                    ),
                    h(
                      'td',
                      {},
                      c.playLogs.length
                        ? c.playLogs.map((l) =>
                            h(
                              'div',
                              {},
                              `${fmtTime(l.start, lang)} – ${fmtTime(l.end, lang)} `,
                              h('span', { class: `badge ${l.result === 'ok' ? 'ok' : 'failed'}` }, l.result ? t(`res_${l.result}`) : '—'),
                              l.reason ? ` ${String(l.reason)}` : '',
                            ),
                          )
                        : '—',
                    ),
                    h('td', {}, dur(c.airtimeS)),
                  ),
                ),
              ),
            )
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
    const r = await api.get<{ clusters: { clusterId: string; bulletins: number; airtimeS: number; ok: number; preempted: number; failed: number }[] }>(
      `/api/v1/radio/airtime?from=${from.toISOString()}&to=${to.toISOString()}`,
    );
    if (!isAlive()) return;
    airtimeBox.replaceChildren(
      h('h2', {}, t('airtime7d')),
      r.clusters.length
        ? h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [t('clusters'), t('bulletins'), t('airtime'), t('airedFully'), t('preempted'), t('failedLabel')].map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              r.clusters.map((c) =>
                h(
                  'tr',
                  {},
                  h('td', {}, fleet.devices.get(c.clusterId)?.name ?? c.clusterId),
                  h('td', {}, String(c.bulletins)),
                  h('td', {}, dur(c.airtimeS)),
                  h('td', {}, String(c.ok)),
                  h('td', {}, String(c.preempted)),
                  h('td', {}, String(c.failed)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('noData')),
    );
  };
  return { reportBox, airtimeBox, openReport, reportId: () => reportId, loadAirtime };
}
