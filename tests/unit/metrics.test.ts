import { describe, expect, it } from 'vitest';
import { Metrics } from '../../services/common/metrics.ts';

describe('Metrics (prom-client registry)', () => {
  it('keeps counters, gauges and histograms under their names and renders the Prometheus text format', async () => {
    const m = new Metrics();
    m.inc('sw_test_total', 'Things', { reason: 'a' });
    m.inc('sw_test_total', 'Things', { reason: 'a' }, 2);
    m.inc('sw_test_total', 'Things', { reason: 'b' });
    m.set('sw_depth', 'Depth', 7);
    m.observe('sw_latency_seconds', 'Latency', 0.003);
    m.observe('sw_latency_seconds', 'Latency', 0.2);
    expect(await m.value('sw_test_total', { reason: 'a' })).toBe(3);
    expect(await m.total('sw_test_total')).toBe(4);
    expect(await m.value('sw_depth')).toBe(7);
    expect(await m.histogram('sw_latency_seconds')).toEqual({ count: 2, sum: 0.203 });
    const text = await m.render();
    expect(text).toContain('# TYPE sw_test_total counter');
    expect(text).toContain('sw_test_total{reason="a"} 3');
    expect(text).toContain('# TYPE sw_latency_seconds histogram');
    expect(text).toContain('sw_latency_seconds_bucket{le="0.005"} 1');
    expect(text).toContain('sw_latency_seconds_count 2');
  });

  it('observes a list of values into one histogram series as observe() would one by one', async () => {
    const m = new Metrics();
    m.observeEach('sw_ack_seconds', 'Ack', [0.001, 0.02, 3], { target: 'db' });
    m.observe('sw_ack_seconds', 'Ack', 0.5, { target: 'db' });
    m.observeEach('sw_ack_seconds', 'Ack', [], { target: 'spool' });
    expect(await m.histogram('sw_ack_seconds', { target: 'db' })).toEqual({ count: 4, sum: 3.521 });
    expect(await m.value('sw_metrics_errors_total', { metric: 'sw_ack_seconds' })).toBe(0);
    expect(await m.render()).toContain('sw_ack_seconds_bucket{le="0.025",target="db"} 2');
  });

  it('runs collectors at scrape time and exports process metrics only when asked', async () => {
    let depth = 0;
    const m = new Metrics({ process: true });
    m.onCollect(() => m.set('sw_spool', 'Spool', depth));
    depth = 5;
    const text = await m.render();
    expect(text).toContain('sw_spool 5');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(await new Metrics().render()).not.toContain('process_cpu_user_seconds_total');
  });
});

describe('Metrics misuse', () => {
  it('counts a call with the wrong label names instead of throwing into the caller', async () => {
    const m = new Metrics();
    m.inc('sw_x_total', 'X', { state: 'a' });
    expect(() => m.inc('sw_x_total', 'X', { status: 'a' })).not.toThrow();
    expect(await m.total('sw_metrics_errors_total')).toBe(1);
    expect(await m.value('sw_x_total', { state: 'a' })).toBe(1);
  });
});
