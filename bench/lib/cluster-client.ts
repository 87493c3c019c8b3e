/**
 * A load client process for `npm run bench:cluster`: its slice of a streetlight fleet as mqtt.js clients that behave
 * like devices (QoS 1 telemetry with a strictly increasing timestamp per device, an ack for every command, and a
 * reconnect after a lost connection — through HAProxy, so to whichever node is alive). Every acknowledged telemetry
 * timestamp is kept so the coordinator can check each one reached the database.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { settleWithLimit } from '../../simulators/mqtt/concurrency.ts';
import { serve } from './child.ts';

interface Dev {
  id: string;
  c: MqttClient;
  lastTs: number;
  acked: number[];
  commands: number;
  connectedAt: number;
  connects: number;
}

let devs: Dev[] = [];
let active = false;
let inWindow = false;
let windowAcked = 0;
const pending = new Set<Promise<unknown>>();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function open(url: string, spec: { deviceId: string; secret: string }): Promise<Dev> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      clientId: spec.deviceId,
      username: spec.deviceId,
      password: spec.secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 300 + Math.floor(Math.random() * 300),
      connectTimeout: 10_000,
      will: { topic: `sw/v1/${spec.deviceId}/status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const d: Dev = { id: spec.deviceId, c, lastTs: 0, acked: [], commands: 0, connectedAt: 0, connects: 0 };
    const cmdTopic = `sw/v1/${spec.deviceId}/cmd`;
    c.on('connect', () => {
      d.connectedAt = Date.now();
      d.connects++;
      c.subscribe(cmdTopic, { qos: 1 }, () => {
        c.publish(`sw/v1/${spec.deviceId}/status`, '{"online":true,"firmware":"1.0.0-bench"}', { qos: 1, retain: true });
        resolve(d);
      });
    });
    c.on('message', (_t, p) => {
      try {
        const cmd = JSON.parse(p.toString()) as { id: string; params?: { level?: number } };
        d.commands++;
        c.publish(
          `sw/v1/${spec.deviceId}/ack`,
          JSON.stringify({ id: cmd.id, status: 'ok', ts: Date.now(), result: { targetLevel: cmd.params?.level ?? null } }),
          { qos: 1 },
        );
      } catch {
        // not a command: ignore
      }
    });
    c.on('error', () => undefined);
    setTimeout(() => reject(new Error(`${spec.deviceId}: not connected within 30 s`)), 30_000).unref();
  });
}

function publish(d: Dev): Promise<boolean> {
  if (!d.c.connected) return Promise.resolve(false);
  const now = Date.now();
  d.lastTs = now > d.lastTs ? now : d.lastTs + 1;
  const ts = d.lastTs;
  const body = `{"ts":${ts},"metrics":{"level":${ts % 100},"power":${(ts % 1000) / 10},"energy":${ts % 100000}}}`;
  const p = new Promise<boolean>((resolve) => {
    d.c.publish(`sw/v1/${d.id}/telemetry`, body, { qos: 1 }, (err) => {
      if (err) return resolve(false);
      d.acked.push(ts);
      if (inWindow) windowAcked++;
      resolve(true);
    });
  });
  pending.add(p);
  void p.finally(() => pending.delete(p));
  return p;
}

serve(
  {
    async connect(m) {
      const specs = m.specs as { deviceId: string; secret: string }[];
      const failed: string[] = [];
      const out: Dev[] = [];
      await settleWithLimit(specs, 50, async (s) => {
        try {
          out.push(await open(m.url as string, s));
        } catch (err) {
          failed.push((err as Error).message);
        }
      });
      devs = devs.concat(out);
      return { connected: out.length, failed: failed.slice(0, 3) };
    },
    /** closed: each device publishes again as soon as the last one was acked; open: one message per device per periodMs. */
    async run(m) {
      const mode = m.mode as 'closed' | 'open';
      const warmupMs = Number(m.warmupMs ?? 0);
      const measureMs = Number(m.measureMs);
      const periodMs = Number(m.periodMs ?? 1000);
      active = true;
      windowAcked = 0;
      const timers: NodeJS.Timeout[] = [];
      if (mode === 'closed') {
        for (const d of devs)
          void (async () => {
            while (active) if (!(await publish(d))) await sleep(100);
          })();
      } else {
        for (const d of devs) {
          timers.push(
            setTimeout(() => {
              void publish(d);
              timers.push(setInterval(() => void publish(d), periodMs));
            }, Math.random() * periodMs),
          );
        }
      }
      await sleep(warmupMs);
      inWindow = true;
      const cpu0 = process.cpuUsage();
      await sleep(measureMs);
      const cpu = process.cpuUsage(cpu0);
      inWindow = false;
      active = false;
      for (const t of timers) clearInterval(t);
      await Promise.race([Promise.allSettled([...pending]), sleep(5000)]);
      return { acked: windowAcked, clientCpu: (cpu.user + cpu.system) / 1000 / measureMs };
    },
    /** How many devices are connected now, and the latest (re)connect time among them. */
    async status() {
      return {
        connected: devs.filter((d) => d.c.connected).length,
        total: devs.length,
        lastConnectAt: Math.max(0, ...devs.map((d) => d.connectedAt)),
        commands: devs.reduce((a, d) => a + d.commands, 0),
        connects: Object.fromEntries(devs.map((d) => [d.id, d.connects])),
      };
    },
    /** Every acknowledged telemetry timestamp, per device. */
    async acked() {
      return devs.map((d) => ({ id: d.id, ts: d.acked }));
    },
    async close() {
      await Promise.all(devs.map((d) => new Promise<void>((r) => d.c.end(false, {}, () => r()))));
      devs = [];
      return {};
    },
  },
  async () => {
    for (const d of devs) d.c.end(true);
  },
);
