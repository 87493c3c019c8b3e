/**
 * Counters, gauges and histograms on a prom-client registry, rendered in the Prometheus text format at /metrics.
 * Names follow Prometheus conventions (`sw_…_total` for counters, `_seconds`/`_bytes` units); a series is created on first
 * use with the label names of that first call, so every call site of one name must pass the same label keys.
 * Each Metrics is its own registry: tests start many services in one process without their series mixing.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;
type AnyMetric = Counter | Gauge | Histogram;

/** Latency buckets (seconds) for acks and commits: from 1 ms to 60 s, dense where a healthy service sits (5–250 ms). */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, AnyMetric>();
  private readonly collectors: (() => void)[] = [];
  private readonly errors: Counter = new Counter({
    name: 'sw_metrics_errors_total',
    help: 'Metric updates refused (label names differ from the series) — a bug to fix, counted rather than thrown',
    labelNames: ['metric'],
    registers: [this.registry],
  });

  /** `process`: also export the process metrics (CPU, memory, open files, GC, event-loop lag) under their standard names. */
  constructor(opts: { process?: boolean } = {}) {
    if (opts.process) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  private make<T extends AnyMetric>(name: string, kind: 'counter' | 'gauge' | 'histogram', help: string, labels: Labels, buckets?: number[]): T {
    const existing = this.series.get(name);
    if (existing) return existing as T;
    const cfg = { name, help, labelNames: Object.keys(labels), registers: [this.registry] };
    const m = kind === 'counter' ? new Counter(cfg) : kind === 'gauge' ? new Gauge(cfg) : new Histogram({ ...cfg, buckets: buckets ?? LATENCY_BUCKETS_S });
    this.series.set(name, m);
    return m as T;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    this.guard(name, () => this.make<Counter>(name, 'counter', help, labels).inc(labels, by));
  }

  set(name: string, help: string, value: number, labels: Labels = {}): void {
    this.guard(name, () => this.make<Gauge>(name, 'gauge', help, labels).set(labels, value));
  }

  /** Records one observation in a histogram (seconds for durations, by convention). */
  observe(name: string, help: string, value: number, labels: Labels = {}, buckets?: number[]): void {
    this.guard(name, () => this.make<Histogram>(name, 'histogram', help, labels, buckets).observe(labels, value));
  }

  /** Several observations of one histogram series (a batch's per-message delays): one series lookup for all of them. */
  observeEach(name: string, help: string, values: readonly number[], labels: Labels = {}, buckets?: number[]): void {
    this.guard(name, () => {
      const h = this.make<Histogram>(name, 'histogram', help, labels, buckets);
      for (const v of values) h.observe(labels, v);
    });
  }

  /**
   * A metric call runs inside request handlers and event listeners: a wrong label set (a programming error) must not
   * turn into a 500 or an uncaught exception. It is counted instead, and tests assert that count stays 0.
   */
  private guard(name: string, fn: () => void): void {
    try {
      fn();
    } catch {
      this.errors.inc({ metric: name });
    }
  }

  /** Reads one counter or gauge value (tests and the API's own status); 0 when the series or label set is absent. */
  async value(name: string, labels: Labels = {}): Promise<number> {
    const m: AnyMetric | undefined = name === 'sw_metrics_errors_total' ? this.errors : this.series.get(name);
    if (!m || m instanceof Histogram) return 0;
    const keys = Object.keys(labels);
    const hit = (await m.get()).values.find((v) => {
      const l = v.labels as Record<string, unknown>;
      return Object.keys(l).length === keys.length && keys.every((k) => String(l[k]) === labels[k]);
    });
    return hit?.value ?? 0;
  }

  /** Sum over every label combination of a counter or gauge. */
  async total(name: string): Promise<number> {
    const m: AnyMetric | undefined = name === 'sw_metrics_errors_total' ? this.errors : this.series.get(name);
    if (!m || m instanceof Histogram) return 0;
    return (await m.get()).values.reduce((s, v) => s + v.value, 0);
  }

  /** Observations and sum of a histogram (tests, drills). */
  async histogram(name: string, labels: Labels = {}): Promise<{ count: number; sum: number }> {
    const m = this.series.get(name);
    if (!(m instanceof Histogram)) return { count: 0, sum: 0 };
    const keys = Object.keys(labels);
    const match = (l: Record<string, unknown>): boolean => keys.every((k) => String(l[k]) === labels[k]);
    let count = 0;
    let sum = 0;
    for (const v of (await m.get()).values) {
      if (!match(v.labels)) continue;
      if (v.metricName === `${name}_count`) count += v.value;
      else if (v.metricName === `${name}_sum`) sum += v.value;
    }
    return { count, sum };
  }

  /** A gauge computed on scrape (connections, spool size). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    for (const c of this.collectors) c();
    return this.registry.metrics();
  }
}
