import type { Batch } from '../ingest/batch.ts';
import type { Metrics } from '../common/metrics.ts';
import { onEvent, type ModuleEventName, type ModuleEventPayload, type ModuleEvents } from '../modules/events.ts';

const M = {
  lag: ['sw_ingest_lag_seconds', 'Age of the oldest message in the last durable ingest batch (broker receipt to commit or spool)'],
  lagMax: ['sw_ingest_lag_max_seconds', 'Largest ingest lag over the last minute'],
  outcomes: ['sw_command_outcomes_total', 'Commands that reached a final state, by status'],
  probes: ['sw_camera_probes_total', 'Camera health probes, by probe kind and result'],
  probeSeconds: ['sw_camera_probe_seconds_total', 'Time spent in camera probes, by probe kind'],
  devices: ['sw_devices', 'Registered devices, by kind'],
  online: ['sw_devices_online', 'Devices online now, by kind'],
  offline: ['sw_devices_offline', 'Devices offline now, by kind'],
  alarms: ['sw_alarms_open', 'Open alarms (active or acknowledged), by severity'],
  alarmEvents: ['sw_alarm_events_total', 'Alarm lifecycle changes, by event'],
} as const;

/**
 * Operator-tool metrics the health module adds to /metrics: ingest lag, command outcomes, camera polls, devices online
 * by kind, open alarms. Counts come from module events; gauges from the latest sweep (collected values are cached so a
 * scrape never waits on the database).
 */
export class HealthMetrics {
  private readonly metrics: Metrics;
  private readonly events: ModuleEvents;
  private lagWindow: { at: number; lag: number }[] = [];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(metrics: Metrics, events: ModuleEvents) {
    this.metrics = metrics;
    this.events = events;
  }

  start(): void {
    this.on('ingest.batch', (b: Batch) => this.onBatch(b));
    this.on('command.outcome', (o) => this.metrics.inc(M.outcomes[0], M.outcomes[1], { status: String(o.status ?? 'unknown') }));
    this.on('camera.probe', (p) => {
      const kind = String(p.kind ?? 'probe');
      this.metrics.inc(M.probes[0], M.probes[1], { kind, result: p.ok ? 'ok' : 'error' });
      if (typeof p.durationMs === 'number') this.metrics.inc(M.probeSeconds[0], M.probeSeconds[1], { kind }, p.durationMs / 1000);
    });
    // Zero series exist from the start, so dashboards see 0 rather than "no data".
    this.metrics.inc(M.outcomes[0], M.outcomes[1], { status: 'acknowledged' }, 0);
    this.metrics.inc(M.probes[0], M.probes[1], { kind: 'probe', result: 'ok' }, 0);
  }

  private on<K extends ModuleEventName>(name: K, fn: (x: ModuleEventPayload<K>) => void): void {
    this.unsubscribe.push(onEvent(this.events, name, fn));
  }

  private onBatch(b: Batch): void {
    const now = Date.now();
    let oldest = now;
    // Receipt times are ISO-8601 UTC of one length (isoTime), so the oldest is the smallest string: one parse per batch.
    let oldestSeen: string | undefined;
    for (const s of b.states) if (oldestSeen === undefined || s.lastSeen < oldestSeen) oldestSeen = s.lastSeen;
    if (oldestSeen !== undefined) oldest = Math.min(oldest, Date.parse(oldestSeen));
    for (const d of b.deadLetters) oldest = Math.min(oldest, Date.parse(d.receivedAt));
    const lag = Math.max(0, (now - oldest) / 1000);
    this.metrics.set(M.lag[0], M.lag[1], lag);
    this.lagWindow = this.lagWindow.filter((x) => x.at > now - 60_000);
    this.lagWindow.push({ at: now, lag });
    this.metrics.set(M.lagMax[0], M.lagMax[1], Math.max(...this.lagWindow.map((x) => x.lag)));
  }

  setDeviceCounts(rows: { kind: string; devices: number; online: number; offline: number }[]): void {
    for (const r of rows) {
      this.metrics.set(M.devices[0], M.devices[1], r.devices, { kind: r.kind });
      this.metrics.set(M.online[0], M.online[1], r.online, { kind: r.kind });
      this.metrics.set(M.offline[0], M.offline[1], r.offline, { kind: r.kind });
    }
  }

  setOpenAlarms(rows: { severity: string; n: number }[]): void {
    const by: Record<string, number> = { info: 0, warning: 0, critical: 0 };
    for (const r of rows) by[r.severity] = (by[r.severity] ?? 0) + r.n;
    for (const [severity, n] of Object.entries(by)) this.metrics.set(M.alarms[0], M.alarms[1], n, { severity });
  }

  alarmEvent(event: string): void {
    this.metrics.inc(M.alarmEvents[0], M.alarmEvents[1], { event });
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
