import type { DbCapabilities } from '../db/db.ts';
import type { Logger } from '../common/logger.ts';
import type { MaintenanceRepository } from './maintenance.repository.ts';

export interface MaintenanceOptions {
  repo: MaintenanceRepository;
  capabilities: DbCapabilities;
  log: Logger;
  intervalMs: number;
  retentionDays: number;
  compressAfterDays: number;
  /** Cluster: whether this process runs the named job now (services/cluster); absent = always. */
  owns?: (job: 'rollups' | 'retention') => boolean;
}

/** Keeps rollups fresh and applies retention where the database cannot do it by itself. */
export class MaintenanceService {
  private readonly o: MaintenanceOptions;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(o: MaintenanceOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'maintenance' });
  }

  async start(): Promise<void> {
    await this.o.repo.syncPolicies(this.o.retentionDays, this.o.compressAfterDays);
    if (this.o.capabilities.backgroundJobs) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One pass of the policies; never throws (a failed pass is logged and retried next interval). */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const owns = this.o.owns ?? (() => true);
    try {
      if (this.o.capabilities.timescale) {
        if (owns('rollups')) await this.o.repo.runTimescaleJobs();
      } else {
        if (owns('rollups')) await this.o.repo.refreshPlainRollup(new Date(Date.now() - 3 * 86400_000));
        if (!owns('retention')) return;
        const dropped = await this.o.repo.dropPlainRaw(new Date(Date.now() - this.o.retentionDays * 86400_000));
        if (dropped) this.log.info({ dropped }, 'retention: old telemetry dropped');
      }
    } catch (err) {
      this.log.warn({ err }, 'maintenance pass failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
