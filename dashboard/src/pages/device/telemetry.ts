import { api } from '../../api.ts';
import type { Series as SeriesResponse } from '../../contract.ts';
import { getLang, t } from '../../i18n.ts';
import { h } from '../../dom.ts';
import { metricLabel, type KindInfo } from '../../kinds.ts';
import { lineChart, type ChartBand, type ChartPoint } from '../../ui/chart.ts';
import './words.ts';

/** Window choices of the telemetry chart: hours and the bucket that gives ~100–170 points. */
const WINDOWS = [
  { hours: 24, bucket: '15m', bucketMs: 900_000, label: 'last24h' },
  { hours: 168, bucket: '1h', bucketMs: 3_600_000, label: 'last7d' },
  { hours: 720, bucket: '6h', bucketMs: 21_600_000, label: 'last30d' },
] as const;

/** Charts of one numeric field: gauges as the bucket average with a min–max band, counters as the increase per bucket. */
export function telemetryPanel(
  deviceId: string,
  kindName: string,
  kind: KindInfo | undefined,
  alive: () => boolean,
): { el: HTMLElement; load: () => Promise<void> } {
  const enc = encodeURIComponent(deviceId);
  // Booleans and text are state, not series (the series API answers NOT_NUMERIC for them).
  const numeric = Object.entries(kind?.telemetry ?? {}).filter(([, s]) => s.type === 'number' || s.type === 'integer');
  const metric = h(
    'select',
    { id: 'metric', 'aria-label': t('metric') },
    numeric.map(([n, s]) => h('option', { value: n, title: s.doc }, `${metricLabel(kindName, n)}${s.unit ? ` (${s.unit})` : ''}`)),
  );
  const win = h(
    'select',
    { id: 'window', 'aria-label': t('window') },
    WINDOWS.map((w, i) => h('option', { value: String(i) }, t(w.label))),
  );
  const box = h('div', { class: 'chart-box', id: 'chart', 'data-state': 'loading' });
  const note = h('p', { class: 'muted small', id: 'chart-note' });
  const el = h(
    'section',
    { class: 'panel', id: 'device-telemetry' },
    h('h2', {}, t('telemetry')),
    h('div', { class: 'filters' }, h('label', {}, t('metric'), metric), h('label', {}, t('window'), win)),
    box,
    note,
  );
  let seq = 0;
  const load = async (): Promise<void> => {
    const name = metric.value;
    if (!name) {
      box.dataset.state = 'empty';
      box.replaceChildren(h('p', { class: 'muted' }, t('noData')));
      return;
    }
    const mine = ++seq;
    const w = WINDOWS[Number(win.value)] ?? WINDOWS[0];
    const to = Date.now();
    const from = to - w.hours * 3_600_000;
    const q = (agg: string): string =>
      `/api/v1/devices/${enc}/series?metric=${encodeURIComponent(name)}&bucket=${w.bucket}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${agg ? `&agg=${agg}` : ''}`;
    const counter = kind?.telemetry[name]?.meaning === 'counter';
    box.dataset.state = 'loading';
    try {
      const [main, lo, hi] = await Promise.all([
        api.get<SeriesResponse>(q('')),
        counter ? undefined : api.get<SeriesResponse>(q('min')),
        counter ? undefined : api.get<SeriesResponse>(q('max')),
      ]);
      if (!alive() || mine !== seq) return;
      const points: ChartPoint[] = main.points.map((p) => ({ t: Date.parse(p.bucket), v: p.value }));
      const his = new Map((hi?.points ?? []).map((p) => [p.bucket, p.value]));
      const band: ChartBand[] = (lo?.points ?? []).map((p) => ({ t: Date.parse(p.bucket), lo: p.value, hi: his.get(p.bucket) ?? null }));
      box.dataset.state = points.length ? 'ready' : 'empty';
      box.dataset.points = String(points.length);
      box.replaceChildren(
        points.length
          ? lineChart(points, {
              width: Math.max(320, Math.min(1400, box.clientWidth || 640)),
              height: 240,
              unit: main.unit,
              label: `${metricLabel(kindName, name)} · ${t(w.label)}`,
              from,
              to,
              bucketMs: w.bucketMs,
              bars: counter,
              band,
              lang: getLang(),
            })
          : h('p', { class: 'muted' }, t('noData')),
      );
      note.textContent = points.length ? `${w.bucket} · ${counter ? t('dp_perBucket') : `${t('dp_average')}; ${t('dp_minMax')}`}` : '';
    } catch (e) {
      if (!alive() || mine !== seq) return;
      box.dataset.state = 'error';
      box.replaceChildren(h('p', { class: 'error' }, `${t('dp_loadFailed')}: ${(e as Error).message}`));
    }
  };
  metric.addEventListener('change', () => void load());
  win.addEventListener('change', () => void load());
  return { el, load };
}
