import { EventEmitter } from 'node:events';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { Bus } from './redis-bus.ts';

const TOPIC = 'sw-cluster/live';
const ACTIVITY_FOLD_MS = 250;

type Wire = { topic: string; node: string; name: string; data: string };
interface StateItem {
  deviceId: string;
  state: Record<string, unknown>;
  lastSeen: string;
}

/**
 * Live dashboard events from every node. The dashboard's SSE stream listens on `events` (services/api/routes/
 * live.routes.ts): this node's own events pass straight through; other nodes' arrive over Redis pub/sub. Remote
 * events go only to this emitter, never onto the modules' bus, so no module acts twice on one event. Device reports
 * (`ingest.batch`) are folded per node every 250 ms into their latest states, as the stream shows them anyway.
 */
export class LiveBridge {
  readonly events = new EventEmitter();
  private readonly local: EventEmitter;
  private readonly bus: Bus;
  private readonly nodeId: string;
  private readonly names: readonly string[];
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly forwarders: [string, (d: unknown) => void][] = [];
  private pending = new Map<string, StateItem>();
  private timer: NodeJS.Timeout | undefined;

  constructor(o: { local: EventEmitter; bus: Bus; nodeId: string; names: readonly string[]; log: Logger; metrics: Metrics }) {
    this.local = o.local;
    this.bus = o.bus;
    this.nodeId = o.nodeId;
    this.names = o.names;
    this.log = o.log.child({ module: 'cluster' });
    this.metrics = o.metrics;
    this.events.setMaxListeners(0);
  }

  async start(): Promise<void> {
    for (const name of [...this.names, 'ingest.batch']) {
      const fn = (d: unknown): void => {
        this.events.emit(name, d);
        if (name === 'ingest.batch') this.fold(d as { states?: StateItem[] });
        else this.send(name, d);
      };
      this.forwarders.push([name, fn]);
      this.local.on(name, fn);
    }
    this.timer = setInterval(() => this.flush(), ACTIVITY_FOLD_MS);
    this.timer.unref();
    await new Promise<void>((resolve) =>
      this.bus.on(
        TOPIC,
        (m, done) => {
          this.receive(m as unknown as Wire);
          done();
        },
        resolve,
      ),
    );
  }

  private fold(b: { states?: StateItem[] }): void {
    for (const s of b.states ?? []) {
      const prev = this.pending.get(s.deviceId);
      this.pending.set(s.deviceId, prev ? { deviceId: s.deviceId, state: { ...prev.state, ...s.state }, lastSeen: s.lastSeen } : s);
    }
  }

  private flush(): void {
    if (!this.pending.size) return;
    const states = [...this.pending.values()];
    this.pending = new Map();
    this.send('ingest.batch', { states });
  }

  private send(name: string, d: unknown): void {
    const msg: Wire = { topic: TOPIC, node: this.nodeId, name, data: JSON.stringify(d) };
    this.bus.emit(msg, (err) => {
      if (!err) return;
      this.metrics.inc('sw_cluster_live_events_lost_total', 'Live events not sent to the other nodes (Redis unreachable)');
      this.log.debug({ err, event: name }, 'live event not shared');
    });
  }

  private receive(m: Wire): void {
    if (m.node === this.nodeId || typeof m.name !== 'string' || typeof m.data !== 'string') return;
    if (m.name !== 'ingest.batch' && !this.names.includes(m.name)) return;
    try {
      this.events.emit(m.name, JSON.parse(m.data));
    } catch (err) {
      this.log.warn({ err, from: m.node }, 'unreadable live event from another node');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
    for (const [name, fn] of this.forwarders) this.local.off(name, fn);
    this.forwarders.length = 0;
  }
}
