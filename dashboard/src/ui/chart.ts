/**
 * A small SVG time chart (no chart library). One series of bucketed (time, value) points drawn as a line (gauges) or
 * as bars (counters: increase per bucket), with an optional min–max band, gaps where buckets hold no data, a few
 * labelled grid lines, and a tooltip (<title>) on every point. Times are shown in the ward's zone.
 */
const NS = 'http://www.w3.org/2000/svg';

export interface ChartPoint {
  t: number;
  v: number | null;
}
export interface ChartBand {
  t: number;
  lo: number | null;
  hi: number | null;
}

export interface ChartOptions {
  width?: number;
  height?: number;
  unit?: string;
  label?: string;
  /** The window shown (defaults to the data's extent). */
  from?: number;
  to?: number;
  /** Bucket length: consecutive points further apart than 1.5 buckets are not joined (the device sent nothing). */
  bucketMs?: number;
  /** Draw bars from zero (per-bucket increases of a counter) instead of a line. */
  bars?: boolean;
  /** Min–max of each bucket, drawn as a shaded band behind the line. */
  band?: ChartBand[];
  lang?: string;
}

const TZ = 'Asia/Ho_Chi_Minh';

/** Rounds a step to 1, 2 or 5 × 10^n so the grid labels read well. */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

export function lineChart(points: ChartPoint[], opts: ChartOptions = {}): SVGSVGElement {
  const w = opts.width ?? 640;
  const hgt = opts.height ?? 220;
  const pad = { l: 56, r: 12, t: 12, b: 28 };
  const locale = opts.lang === 'en' ? 'en-GB' : 'vi-VN';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  if (opts.label) svg.setAttribute('aria-label', opts.label);
  const el = (name: string, attrs: Record<string, string | number>, text?: string, parent: Element = svg): SVGElement => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    parent.append(e);
    return e;
  };
  const pts = points.filter((p): p is { t: number; v: number } => p.v !== null && Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const band = (opts.band ?? [])
    .filter((b): b is { t: number; lo: number; hi: number } => b.lo !== null && b.hi !== null && Number.isFinite(b.lo) && Number.isFinite(b.hi))
    .sort((a, b) => a.t - b.t);
  svg.dataset.points = String(pts.length);
  el('rect', { x: pad.l, y: pad.t, width: w - pad.l - pad.r, height: hgt - pad.t - pad.b, class: 'plot' });
  if (pts.length === 0) {
    el('text', { x: w / 2, y: hgt / 2, 'text-anchor': 'middle', class: 'empty' }, '—');
    return svg;
  }

  // Domains: time from the window (or data), values from data and band, bars always include zero.
  const t0 = opts.from ?? pts[0]!.t;
  const t1 = Math.max(opts.to ?? pts[pts.length - 1]!.t, t0 + 1);
  const values = [...pts.map((p) => p.v), ...band.flatMap((b) => [b.lo, b.hi])];
  let v0 = Math.min(...values);
  let v1 = Math.max(...values);
  if (opts.bars) [v0, v1] = [Math.min(0, v0), Math.max(0, v1)];
  if (v0 === v1) [v0, v1] = [v0 - 1, v1 + 1];
  const step = niceStep(v1 - v0, 4);
  v0 = Math.floor(v0 / step) * step;
  v1 = Math.ceil(v1 / step) * step;
  const x = (t: number): number => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (v: number): number => hgt - pad.b - ((v - v0) / (v1 - v0)) * (hgt - pad.t - pad.b);
  const unit = opts.unit ? ` ${opts.unit}` : '';
  // Grid labels carry as many decimals as the step needs; tooltips up to two.
  const stepDigits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step))));
  const num = (v: number, digits = 2): string => v.toLocaleString(locale, { maximumFractionDigits: digits });

  // Horizontal grid with value labels.
  for (let v = v0; v <= v1 + step / 2; v += step) {
    el('line', { x1: pad.l, x2: w - pad.r, y1: y(v), y2: y(v), class: 'grid' });
    el('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, `${num(+v.toFixed(10), stepDigits)}${unit}`);
  }
  // Time labels: day and month over windows longer than two days, otherwise hour and minute.
  const long = t1 - t0 > 2 * 86_400_000;
  const fmt = (t: number): string =>
    new Date(t).toLocaleString(
      locale,
      long ? { timeZone: TZ, day: '2-digit', month: '2-digit' } : { timeZone: TZ, hour: '2-digit', minute: '2-digit', hour12: false },
    );
  const full = (t: number): string =>
    new Date(t).toLocaleString(locale, { timeZone: TZ, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    el('text', { x: x(t), y: hgt - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle', class: 'axis' }, fmt(t));
  }

  const gap = (a: number, b: number): boolean => opts.bucketMs !== undefined && b - a > opts.bucketMs * 1.5;
  if (band.length) {
    // One closed shape per run of adjacent buckets.
    let run: typeof band = [];
    const flush = (): void => {
      if (run.length > 1)
        el('path', {
          class: 'band',
          d: `${run.map((b, i) => `${i ? 'L' : 'M'}${x(b.t).toFixed(1)},${y(b.hi).toFixed(1)}`).join('')}${[...run]
            .reverse()
            .map((b) => `L${x(b.t).toFixed(1)},${y(b.lo).toFixed(1)}`)
            .join('')}Z`,
        });
      run = [];
    };
    for (const b of band) {
      if (run.length && gap(run[run.length - 1]!.t, b.t)) flush();
      run.push(b);
    }
    flush();
  }
  if (opts.bars) {
    const bw = Math.max(1, ((opts.bucketMs ?? (t1 - t0) / Math.max(1, pts.length)) / (t1 - t0)) * (w - pad.l - pad.r) * 0.8);
    for (const p of pts) {
      const r = el('rect', {
        class: 'bar',
        x: (x(p.t) - bw / 2).toFixed(1),
        y: Math.min(y(p.v), y(0)).toFixed(1),
        width: bw.toFixed(1),
        height: Math.abs(y(p.v) - y(0)).toFixed(1),
      });
      el('title', {}, `${full(p.t)}: ${num(p.v)}${unit}`, r);
    }
    return svg;
  }
  let d = '';
  pts.forEach((p, i) => {
    d += `${i === 0 || gap(pts[i - 1]!.t, p.t) ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
  });
  el('path', { d, class: 'line' });
  for (const p of pts) {
    const c = el('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: pts.length > 200 ? 1.5 : 2.5, class: 'pt' });
    el('title', {}, `${full(p.t)}: ${num(p.v)}${unit}`, c);
  }
  return svg;
}
