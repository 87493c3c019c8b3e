/**
 * A load client process (bench/ingest.ts forks one or more): its slice of the simulated fleet, connected once, then
 * driven in phases. Closed loop = every device publishes its next QoS1 telemetry as soon as the previous one is
 * acknowledged (the broker's maximum rate); open loop = every device publishes on a fixed period (a given rate).
 * Only what completes inside the measurement window counts; the warm-up before it does not.
 *
 * Devices speak raw MQTT (mqtt-wire.ts) so the load generator stays cheaper than the broker it loads; payloads come
 * from the simulator's own device models (readings refreshed once a second per device) with a strictly increasing
 * timestamp per device, exactly what SimulatedDevice would send.
 */
import { settleWithLimit } from '../../simulators/mqtt/concurrency.ts';
import type { FleetDeviceSpec } from '../../simulators/mqtt/fleet.ts';
import { LatencyHistogram } from '../../simulators/mqtt/latency.ts';
import { modelFor } from '../../simulators/mqtt/models/registry.ts';
import type { ModelRunner } from '../../simulators/mqtt/models/registry.ts';
import { hashString } from '../../simulators/mqtt/noise.ts';
import { serve } from './child.ts';
import { WireDevice } from './mqtt-wire.ts';

export interface PhaseResult {
  acked: number;
  failed: number;
  measureMs: number;
  latency: ReturnType<LatencyHistogram['toJSON']>;
  /** CPU this client used during the window, as a share of one core. */
  clientCpu: number;
}

interface Sim {
  wire: WireDevice | null;
  model: ModelRunner;
  metricsJson: string;
  refreshedAt: number;
  lastTs: number;
  acked: number;
}

let sims: Sim[] = [];
const window = new LatencyHistogram();
let recording = false;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function payload(s: Sim): Buffer {
  const now = Date.now();
  if (now - s.refreshedAt >= 1000) {
    s.model.advance(now);
    s.metricsJson = JSON.stringify(s.model.metrics());
    s.refreshedAt = now;
  }
  s.lastTs = now > s.lastTs ? now : s.lastTs + 1;
  return Buffer.from(`{"ts":${s.lastTs},"metrics":${s.metricsJson}}`);
}

async function connect(brokerUrl: string, specs: FleetDeviceSpec[]): Promise<{ connected: number; failed: string[] }> {
  const url = new URL(brokerUrl);
  const now = Date.now();
  sims = specs.map((spec) => {
    const factory = modelFor(spec.kind);
    if (!factory) throw new Error(`no model for ${spec.kind}`);
    return {
      wire: null,
      model: factory({ seed: hashString(spec.deviceId), now, firmware: '1.0.0-bench' }),
      metricsJson: '{}',
      refreshedAt: 0,
      lastTs: 0,
      acked: 0,
    };
  });
  const failed: string[] = [];
  await settleWithLimit(specs, 100, async (spec, i) => {
    try {
      const wire = await WireDevice.open({
        host: url.hostname,
        port: Number(url.port),
        deviceId: spec.deviceId,
        secret: spec.secret,
        keepaliveS: 300,
        timeoutMs: 30_000,
      });
      (sims[i] as Sim).wire = wire;
    } catch (err) {
      failed.push(`${spec.deviceId}: ${(err as Error).message}`);
    }
  });
  return { connected: sims.filter((s) => s.wire).length, failed: failed.slice(0, 5) };
}

async function phase(mode: 'closed' | 'open', ratePerS: number, warmupMs: number, measureMs: number): Promise<PhaseResult> {
  window.reset();
  let acked = 0;
  let failed = 0;
  let active = true;
  const from = Date.now() + warmupMs;
  const to = from + measureMs;
  const inWindow = (): boolean => {
    const now = Date.now();
    return now >= from && now < to;
  };
  const pending = new Set<Promise<boolean>>();
  const once = (s: Sim): Promise<boolean> => {
    const started = performance.now();
    const p = (s.wire as WireDevice).publishTelemetry(payload(s)).then(
      () => {
        s.acked++;
        if (recording) window.record(performance.now() - started);
        if (inWindow()) acked++;
        return true;
      },
      () => {
        if (inWindow()) failed++;
        return false;
      },
    );
    pending.add(p);
    return p.finally(() => pending.delete(p));
  };
  const live = sims.filter((s) => s.wire);
  const timers: NodeJS.Timeout[] = [];
  if (mode === 'closed') {
    for (const s of live) {
      void (async () => {
        // A failed publish (connection lost) must not turn into a busy loop.
        while (active) if (!(await once(s))) await sleep(100);
      })();
    }
  } else {
    const periodMs = (live.length / ratePerS) * 1000;
    for (const s of live) {
      timers.push(
        setTimeout(() => {
          void once(s);
          timers.push(setInterval(() => void once(s), periodMs));
        }, Math.random() * periodMs),
      );
    }
  }
  await sleep(warmupMs);
  recording = true;
  const cpu0 = process.cpuUsage();
  await sleep(measureMs);
  const cpu = process.cpuUsage(cpu0);
  recording = false;
  active = false;
  for (const t of timers) clearInterval(t);
  await Promise.allSettled([...pending]);
  return { acked, failed, measureMs, latency: window.toJSON(), clientCpu: (cpu.user + cpu.system) / 1000 / measureMs };
}

const totals = (): { ackedByChannel: Record<string, number> } => ({ ackedByChannel: { telemetry: sims.reduce((a, s) => a + s.acked, 0) } });

serve(
  {
    connect: (m) => connect(m.brokerUrl as string, m.specs as FleetDeviceSpec[]),
    phase: (m) => phase(m.mode as 'closed' | 'open', Number(m.ratePerS ?? 0), Number(m.warmupMs), Number(m.measureMs)),
    totals: async () => totals(),
    async disconnect() {
      for (const s of sims) s.wire?.close();
      await sleep(500);
      return totals();
    },
  },
  async () => {
    for (const s of sims) s.wire?.socket.destroy();
  },
);
