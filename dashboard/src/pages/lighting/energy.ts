import { api } from '../../api.ts';
import type { DriftItem, EnergyPoint } from '../../contract.ts';
import { fmtNum, h } from '../../dom.ts';
import { formatDate } from '../../format.ts';
import { getLang, t } from '../../i18n.ts';
import { lineChart } from '../../ui/chart.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable } from '../../ui/table.ts';
import './words.ts';

const kwh = (n: number): string => `${fmtNum(n, 1)} kWh`;

/**
 * Energy of the ward's lights over the last 7 or 30 days (GET /lighting/energy): used (metered), what full power would
 * have used over the same burning hours, saved; per day as bars. And the planned level against the reported one for
 * every light (GET /lighting/drift): how many are as planned, drifting, or not judged yet.
 */
export function energyPanel(alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const days = h('select', { id: 'lt-energy-days' }, h('option', { value: '7' }, t('last7')), h('option', { value: '30' }, t('last30')));
  const kpis = h('div', { class: 'kpis', id: 'lt-energy-kpis' });
  const chart = h('div', { id: 'lt-energy-chart' });
  const drift = h('div', { id: 'lt-drift' });
  const el = h('section', { class: 'panel', id: 'lt-energy' }, h('h2', {}, t('energy'), days), kpis, chart, h('h3', {}, t('drift')), drift);
  const kpi = (k: string, v: string, id: string): HTMLElement =>
    h('div', { class: 'kpi', 'data-kpi': id }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));

  const load = async (): Promise<void> => {
    const to = new Date();
    const from = new Date(to.getTime() - Number(days.value) * 86_400_000);
    try {
      const [e, d] = await Promise.all([
        api.get<{ totals: EnergyPoint; items: EnergyPoint[] }>(`/api/v1/lighting/energy?from=${from.toISOString()}&to=${to.toISOString()}&bucket=day`),
        api.get<{ items: DriftItem[] }>('/api/v1/lighting/drift'),
      ]);
      if (!alive()) return;
      const s = e.totals;
      kpis.replaceChildren(
        kpi(t('used'), kwh(s.usedKWh), 'used'),
        kpi(t('baseline'), kwh(s.baselineKWh), 'baseline'),
        kpi(t('eSaved'), `${kwh(s.savedKWh)}${s.savedPct === null ? '' : ` (${fmtNum(s.savedPct, 1)} %)`}`, 'saved'),
        kpi(t('burning'), `${fmtNum(s.burningHours, 0)} h`, 'hours'),
      );
      chart.replaceChildren(
        e.items.length
          ? lineChart(
              e.items.map((p) => ({ t: Date.parse(`${p.bucket}T12:00:00+07:00`), v: p.usedKWh })),
              {
                width: Math.max(320, Math.min(1200, chart.clientWidth || 640)),
                height: 180,
                unit: 'kWh',
                label: t('used'),
                bars: true,
                bucketMs: 86_400_000,
                from: from.getTime(),
                to: to.getTime(),
                lang: getLang(),
              },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
      if (e.items.length)
        chart.append(
          dataTable(
            e.items.slice(-7).reverse(),
            [
              { head: t('day'), cell: (p) => formatDate(p.bucket) },
              { head: t('used'), class: 'num', cell: (p) => kwh(p.usedKWh) },
              { head: t('baseline'), class: 'num', cell: (p) => kwh(p.baselineKWh) },
              { head: t('eSaved'), class: 'num', cell: (p) => (p.savedPct === null ? kwh(p.savedKWh) : `${kwh(p.savedKWh)} (${fmtNum(p.savedPct, 1)} %)`) },
            ],
            { id: 'lt-energy-table' },
          ),
        );
      const ok = d.items.filter((i) => i.status === 'ok').length;
      const bad = d.items.filter((i) => i.status === 'drift');
      drift.replaceChildren(
        h(
          'p',
          { 'data-ok': ok, 'data-drift': bad.length },
          `${ok} ${t('driftOk')} · ${bad.length} ${t('driftBad')} · ${d.items.length - ok - bad.length} ${t('driftOther')}`,
        ),
        bad.length
          ? dataTable(bad.slice(0, 50), [
              { head: t('device'), cell: (i) => h('a', { href: `#/device/${encodeURIComponent(i.deviceId)}` }, i.deviceId) },
              { head: t('expected'), class: 'num', cell: (i) => `${i.expectedLevel ?? '—'}%` },
              { head: t('reported'), class: 'num', cell: (i) => `${i.reportedLevel ?? '—'}%` },
            ])
          : '',
      );
    } catch (err) {
      if (alive()) kpis.replaceChildren(h('p', { class: 'error' }, errorText(err)));
    }
  };
  days.addEventListener('change', () => void load());
  return { el, load };
}
