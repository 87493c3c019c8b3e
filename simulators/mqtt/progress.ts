/**
 * What a fleet run shows while it runs (one progress line) and when it stops (a summary). Pure formatting of counter
 * snapshots, so it is unit-tested without a broker.
 */
import type { FleetSummary } from './fleet.ts';

export interface RunSnapshot {
  /** ms since the run started. */
  elapsedMs: number;
  summary: FleetSummary;
  /** Over the last progress interval. */
  publishedPerS: number;
  ackedPerS: number;
  latency: { p50: number; p99: number; max: number; samples: number };
  /** Devices that have each fault now. */
  faults: Record<string, number>;
  /** Devices each fault was ever given during the run (cleared ones included). */
  injected: Record<string, number>;
  flaps: FlapStats;
}

export interface FlapStats {
  /** Abrupt drops so far. */
  drops: number;
  /** Devices offline right now because of flapping. */
  offline: number;
  /** Reconnects after which a light's stored program had moved to another step while it was away. */
  programStepsWhileOffline: number;
}

/** A rate between two counter readings; 0 when no time has passed. */
export function rate(before: number, after: number, ms: number): number {
  return ms > 0 ? ((after - before) * 1000) / ms : 0;
}

const fmtMs = (ms: number): string => (ms >= 100 ? `${Math.round(ms)}` : ms.toFixed(1));

function fmtFaults(faults: Record<string, number>, flaps: FlapStats): string {
  const parts = Object.entries(faults)
    .filter(([, n]) => n > 0)
    .map(([f, n]) => (f === 'flapping' ? `${f} ${n} (offline ${flaps.offline})` : `${f} ${n}`));
  return parts.length ? ` | faults: ${parts.join(', ')}` : '';
}

export function progressLine(s: RunSnapshot): string {
  const m = s.summary;
  const t = `${Math.round(s.elapsedMs / 1000)}s`.padStart(6);
  return (
    `[${t}] connected ${m.connected}/${m.devices} | published ${m.published} acked ${m.acknowledged} failed ${m.failed}` +
    ` | ${Math.round(s.publishedPerS)} msg/s (acked ${Math.round(s.ackedPerS)}/s)` +
    ` | PUBACK p50 ${fmtMs(s.latency.p50)} ms p99 ${fmtMs(s.latency.p99)} ms` +
    fmtFaults(s.faults, s.flaps)
  );
}

export function summaryLines(s: RunSnapshot): string[] {
  const m = s.summary;
  const secs = s.elapsedMs / 1000;
  const channels = Object.entries(m.ackedByChannel)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const lines = [
    `Summary after ${secs.toFixed(0)} s: ${m.devices} devices, ${m.connected} connected at the end, ${m.connectFailures} failed to connect`,
    `  published ${m.published}, acknowledged ${m.acknowledged} (${channels || 'none'}), failed ${m.failed}`,
    `  average ${secs > 0 ? Math.round(m.acknowledged / secs) : 0} acked msg/s; PUBACK latency p50 ${fmtMs(s.latency.p50)} ms, p99 ${fmtMs(s.latency.p99)} ms, max ${fmtMs(s.latency.max)} ms over ${s.latency.samples} samples`,
    `  commands received ${m.commandsReceived}, acks sent ${m.acksSent}, reconnects ${m.reconnects}`,
  ];
  const faults = Object.entries(s.injected).filter(([, n]) => n > 0);
  if (faults.length) lines.push(`  faults injected: ${faults.map(([f, n]) => `${f} ${n}`).join(', ')}`);
  if (s.flaps.drops > 0) {
    const steps = s.flaps.programStepsWhileOffline;
    lines.push(
      `  flapping: ${s.flaps.drops} drops; ` +
        (steps > 0
          ? `${steps} times a light came back with its stored program on a later step: it kept running the program while disconnected`
          : 'no outage spanned a program step this time (lights with a stored program keep running it while disconnected)'),
    );
  }
  return lines;
}
