import type { InboundMessage, InboundSink } from '../broker/broker.service.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { ClusterRepository } from './cluster.repository.ts';
import type { JobOwnership } from './job-leases.ts';

/** The sink ingest offers (the callback form is the broker's per-message fast path). */
export type FullSink = InboundSink & Required<Pick<InboundSink, 'acceptWith'>>;

export interface NodeRegistryOptions {
  repo: ClusterRepository;
  nodeId: string;
  leaseMs: number;
  jobs: JobOwnership;
  log: Logger;
  metrics: Metrics;
}

const TAKEOVER_MEMORY_MS = 10_000;
const M = {
  moved: ['sw_cluster_disconnects_ignored_total', 'Disconnects not recorded as offline because the device already connected to another node'],
  wills: ['sw_cluster_takeover_wills_total', 'Last wills of a device that moved to another node (not recorded: the device is online there)'],
  released: ['sw_cluster_devices_released_total', 'Devices recorded offline because the node that held them died or restarted'],
} as const;

/**
 * A device's online status when it can be connected to any node: each node records which devices it holds (table
 * cluster_connections) and renews its own lease (cluster_nodes). Only the owner records a device offline, so when a
 * device reconnects to node B while node A drops its old connection, A's disconnect (and the last will aedes
 * publishes for the dropped session) do not mark it offline. When a node dies, a survivor holding the
 * 'cluster-reaper' lease records its devices offline ('node-lost'); those that reconnected elsewhere already
 * changed owner and are left alone.
 */
export class NodeRegistry {
  private readonly o: NodeRegistryOptions;
  private readonly log: Logger;
  private sink: FullSink | undefined;
  /** Per-device chain, so a connect and the disconnect right after it reach the database in order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Devices another node just took over from this one (their will must not count), with when. */
  private readonly displaced = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;

  constructor(o: NodeRegistryOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'cluster', nodeId: o.nodeId });
  }

  /** The sink the broker gets: ingest's, with connection changes checked against ownership. */
  wrap(inner: FullSink): FullSink {
    this.sink = inner;
    return {
      accept: (m) => (this.isTakeoverWill(m) ? Promise.resolve() : inner.accept(m)),
      acceptWith: (m, done) => (this.isTakeoverWill(m) ? done() : inner.acceptWith(m, done)),
      refused: (r) => inner.refused(r),
      connection: (deviceId, kind, connected, reason) => this.connection(deviceId, kind, connected, reason),
    };
  }

  /** Another node announced a new connection for `clientId` while this node still holds one (aedes will drop it). */
  takenOver(clientId: string): void {
    this.displaced.set(clientId, Date.now());
  }

  private isTakeoverWill(m: InboundMessage): boolean {
    if (m.channel !== 'status' || this.displaced.size === 0) return false;
    const at = this.displaced.get(m.deviceId);
    if (at === undefined) return false;
    if (Date.now() - at > TAKEOVER_MEMORY_MS) {
      this.displaced.delete(m.deviceId);
      return false;
    }
    this.o.metrics.inc(M.wills[0], M.wills[1]);
    this.log.info({ deviceId: m.deviceId }, 'device moved to another node: its last will here is not recorded');
    return true;
  }

  private connection(deviceId: string, kind: string, connected: boolean, reason: string): void {
    const sink = this.sink;
    if (!sink) return;
    if (connected) this.displaced.delete(deviceId);
    const prev = this.chains.get(deviceId) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (connected) {
        let at: Date | undefined;
        try {
          at = await this.o.repo.own(deviceId, this.o.nodeId);
        } catch (err) {
          this.log.warn({ err, deviceId }, 'connection owner not recorded (the status is still recorded)');
        }
        sink.connection(deviceId, kind, true, reason, at);
        return;
      }
      let owned: Date | null | undefined;
      try {
        owned = await this.o.repo.disown(deviceId, this.o.nodeId);
      } catch (err) {
        // Unknown: record it offline; if the device is online elsewhere its next report or birth says so.
        this.log.warn({ err, deviceId }, 'connection owner not checked; recording the disconnect');
      }
      if (owned !== null) sink.connection(deviceId, kind, false, reason, owned);
      else this.o.metrics.inc(M.moved[0], M.moved[1]);
    });
    this.chains.set(deviceId, next);
    void next.finally(() => {
      if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
    });
  }

  /** Releases what an earlier life of this node left (it holds no connection yet), then joins. */
  async start(): Promise<void> {
    await this.releaseDevices(this.o.nodeId, 'node-restart');
    await this.o.repo.renewNode(this.o.nodeId, this.o.leaseMs);
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  /** Renews this node's lease; the reaper (one node) releases the devices of nodes whose lease expired. */
  tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        await this.o.repo.renewNode(this.o.nodeId, this.o.leaseMs);
        if (!this.o.jobs.owns('cluster-reaper')) return;
        for (const dead of await this.o.repo.takeDeadNodes()) {
          if (dead === this.o.nodeId) continue;
          const n = await this.releaseDevices(dead, 'node-lost');
          this.log.warn({ deadNode: dead, devices: n }, 'node lease expired: its devices recorded offline');
        }
      } catch (err) {
        this.log.warn({ err }, 'cluster node lease not renewed');
      }
    })().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async releaseDevices(nodeId: string, reason: string): Promise<number> {
    const ids = await this.o.repo.releaseNode(nodeId);
    for (const r of ids) this.sink?.connection(r.deviceId, '', false, reason, r.at);
    if (ids.length) this.o.metrics.inc(M.released[0], M.released[1], { reason }, ids.length);
    return ids.length;
  }

  /** Leaves cleanly: waits for pending ownership writes, then removes the node row (its devices disconnected already). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.chains.values()]);
    try {
      await this.releaseDevices(this.o.nodeId, 'node-stop');
      await this.o.repo.removeNode(this.o.nodeId);
    } catch (err) {
      this.log.warn({ err }, 'node not removed from the cluster table; its lease expires by itself');
    }
  }
}
