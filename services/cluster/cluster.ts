import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import { ClusterRepository } from './cluster.repository.ts';
import { JobLeases, type JobOwnership } from './job-leases.ts';
import { LiveBridge } from './live-bridge.ts';
import { NodeRegistry, type FullSink } from './node-registry.ts';
import { createRedisBus, createRedisPersistence, type Bus } from './redis-bus.ts';

export interface ClusterBrokerParts {
  /** aedes' broker id: unique per process start (aedes-persistence-redis keys packets by broker id and counter). */
  id: string;
  mq: Bus;
  persistence: unknown;
}

/**
 * Several service processes as one (issue 12, docs/scale.md). Built only when SW_CLUSTER_REDIS_URL is set; the
 * single-process service never creates it. Start order: `start()` before the broker (leases and the node row
 * exist before the first device connects), `startLive()` once the modules' bus exists, `stop()` after the broker.
 */
export class Cluster {
  readonly nodeId: string;
  readonly jobs: JobLeases;
  readonly registry: NodeRegistry;
  readonly broker: ClusterBrokerParts;
  private readonly repo: ClusterRepository;
  private readonly liveBus: Bus;
  private live: LiveBridge | undefined;
  private readonly log: Logger;
  private readonly metrics: Metrics;

  constructor(config: Config, db: Db, log: Logger, metrics: Metrics) {
    const c = config.cluster;
    this.nodeId = c.nodeId || `${hostname()}-${process.pid}`;
    this.log = log.child({ module: 'cluster', nodeId: this.nodeId });
    this.metrics = metrics;
    this.repo = new ClusterRepository(db);
    this.jobs = new JobLeases({ repo: this.repo, nodeId: this.nodeId, leaseMs: c.leaseMs, log, metrics });
    this.registry = new NodeRegistry({ repo: this.repo, nodeId: this.nodeId, leaseMs: c.leaseMs, jobs: this.jobs, log, metrics });
    this.broker = {
      id: `${this.nodeId}.${randomBytes(4).toString('hex')}`,
      mq: createRedisBus(c.redisUrl, log, 'mqtt'),
      persistence: createRedisPersistence(c.redisUrl),
    };
    this.liveBus = createRedisBus(c.redisUrl, log, 'live');
  }

  async start(): Promise<void> {
    await this.jobs.start();
    await this.registry.start();
    // Another node announced a connection for a client id this node still serves: aedes closes ours (and publishes
    // its will); the registry must not take that will for the device going offline.
    this.broker.mq.on('$SYS/+/new/clients', (packet, done) => {
      const serverId = packet.topic.split('/')[1];
      const clientId = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
      if (serverId !== this.broker.id && this.isLocal?.(clientId)) this.registry.takenOver(clientId);
      done();
    });
    this.log.info({ brokerId: this.broker.id, jobs: this.jobs.held() }, 'cluster node started');
  }

  /** Set by the app once the broker exists: is this device connected to this node? */
  isLocal: ((deviceId: string) => boolean) | undefined;

  wrapSink(inner: FullSink): FullSink {
    return this.registry.wrap(inner);
  }

  /** The events the dashboard's live stream listens on: this node's and every other node's. */
  async startLive(local: EventEmitter, names: readonly string[]): Promise<EventEmitter> {
    this.live = new LiveBridge({ local, bus: this.liveBus, nodeId: this.nodeId, names, log: this.log, metrics: this.metrics });
    await this.live.start();
    return this.live.events;
  }

  get ownership(): JobOwnership {
    return this.jobs;
  }

  /** After the broker stopped (aedes closed its bus): releases devices, leases and the node row, then Redis. */
  async stop(): Promise<void> {
    this.live?.stop();
    await this.registry.stop();
    await this.jobs.stop();
    await new Promise<void>((r) => this.liveBus.close(() => r()));
    const p = this.broker.persistence as { destroy?: () => Promise<void> };
    await p.destroy?.().catch((err: Error) => this.log.warn({ err }, 'Redis session store not closed cleanly'));
  }
}
