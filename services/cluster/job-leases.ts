import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { ClusterRepository } from './cluster.repository.ts';

/**
 * Whether this process runs a cluster-wide job now. Jobs ask at every tick and skip the tick when the answer is no,
 * so a job moves with its lease without being stopped or restarted.
 */
export interface JobOwnership {
  owns(job: string): boolean;
}

/** One process: it runs every job. */
export const SOLO_JOBS: JobOwnership = { owns: () => true };

/** The jobs that must run once across the cluster (their lease names). */
export const CLUSTER_JOBS = [
  'schedules', // lighting and radio schedules (control/scheduler)
  'camera-probes', // ONVIF health probes and scheduled snapshots
  'rollups', // telemetry and uptime rollups
  'retention', // dropping old telemetry where the database cannot
  'webhooks', // alarm webhook deliveries
  'health-sweep', // devices that missed their reports
  'broadcast-finish', // radio broadcasts that ran their course
  'cluster-reaper', // releasing the devices of dead nodes
] as const;

export interface JobLeasesOptions {
  repo: ClusterRepository;
  nodeId: string;
  leaseMs: number;
  log: Logger;
  metrics: Metrics;
  jobs?: readonly string[];
  /** Monotonic clock (ms); tests pass a fake one. */
  now?: () => number;
}

/**
 * Leases in PostgreSQL (table cluster_leases), renewed every lease/3. A lease counts as held locally for 2/3 of its
 * lifetime after the renewal was *sent*, so a node cut off from the database stops running a job before the lease
 * expires in the database and a survivor may take it: two owners never overlap, at the price of a gap of up to a
 * third of the lease. A dead owner's jobs move after at most one lease plus one renewal interval.
 */
export class JobLeases implements JobOwnership {
  private readonly o: JobLeasesOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly names: Set<string>;
  /** Job → local time until which it counts as held. */
  private readonly heldUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(o: JobLeasesOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'cluster', nodeId: o.nodeId });
    this.now = o.now ?? (() => performance.now());
    this.names = new Set(o.jobs ?? CLUSTER_JOBS);
  }

  owns(job: string): boolean {
    if (!this.names.has(job)) {
      // A job nobody listed: take part in its lease from the next round on (and not run it until then).
      this.names.add(job);
      return false;
    }
    return (this.heldUntil.get(job) ?? 0) > this.now();
  }

  held(): string[] {
    return [...this.names].filter((j) => this.owns(j));
  }

  /** Takes what is free before the modules start (so a single node runs its jobs from the first tick). */
  async start(): Promise<void> {
    this.o.metrics.onCollect(() => {
      for (const j of this.names)
        this.o.metrics.set('sw_cluster_job_lease_held', 'Cluster job leases this node holds (1) or not (0), by job', this.owns(j) ? 1 : 0, { job: j });
    });
    await this.renew();
    this.timer = setInterval(() => void this.renew(), Math.max(200, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  /** One renewal round; never throws (a failed round lets the local holds run out). */
  renew(): Promise<void> {
    this.round ??= (async () => {
      for (const job of this.names) {
        if (this.stopped) break;
        const sent = this.now();
        const had = this.owns(job);
        try {
          const ok = await this.o.repo.acquire(job, this.o.nodeId, this.o.leaseMs);
          if (ok) this.heldUntil.set(job, sent + (this.o.leaseMs * 2) / 3);
          else this.heldUntil.delete(job);
          if (ok !== had) this.log.info({ job, held: ok }, ok ? 'job lease taken' : 'job lease lost');
        } catch (err) {
          if (had) this.log.warn({ err, job }, 'job lease not renewed; the job pauses here until it is');
        }
      }
    })().finally(() => (this.round = null));
    return this.round;
  }

  /** Gives the leases back so a survivor takes them at once instead of after their expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.round;
    const mine = this.held();
    this.heldUntil.clear();
    try {
      await this.o.repo.release(mine, this.o.nodeId);
    } catch (err) {
      this.log.warn({ err }, 'job leases not released; they expire by themselves');
    }
  }
}
