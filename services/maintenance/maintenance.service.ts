import { DEVICE_KINDS } from '../../devices/index.ts';
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

/** Every counter metric any kind declares, with the kinds that declare it. */
export function counterMetrics(): { metric: string; kinds: string[] }[] {
  const by = new Map<string, string[]>();
  for (const k of DEVICE_KINDS) {
    for (const [name, spec] of Object.entries(k.telemetry)) {
      if ((spec.type === 'number' || spec.type === 'integer') && spec.meaning === 'counter') by.set(name, [...(by.get(name) ?? []), k.name]);
    }
  }
  return [...by].map(([metric, kinds]) => ({ metric, kinds }));
}

/**
 * Each pass recomputes the counter rollup's last two hours; once an hour it goes 3 days back, which folds in late data
 * (a spool replay, a device that buffered while offline) like the TimescaleDB aggregate's start_offset does. Recomputing
 * 3 days every minute would re-read every raw counter reading of those days each time.
 */
const COUNTER_RECENT_MS = 2 * 3600_000;
const COUNTER_LATE_MS = 3 * 86400_000;
const COUNTER_LATE_EVERY_MS = 3600_000;

/** Keeps rollups fresh and applies retention where the database cannot do it by itself. */
export class MaintenanceService {
  private readonly o: MaintenanceOptions;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lateSweepAt = 0;

  constructor(o: MaintenanceOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'maintenance' });
  }

  async start(): Promise<void> {
    await this.o.repo.syncPolicies(this.o.retentionDays, this.o.compressAfterDays);
    // Even where TimescaleDB runs its own policies, the counter rollup is ours (services/telemetry/counter-steps.ts).
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
      if (!this.o.capabilities.backgroundJobs) await this.policies(owns);
    } catch (err) {
      this.log.warn({ err }, 'maintenance pass failed');
    }
    try {
      if (owns('rollups')) await this.refreshCounters();
    } catch (err) {
      this.log.warn({ err }, 'counter rollup refresh failed');
    }
  }

  private async policies(owns: (job: 'rollups' | 'retention') => boolean): Promise<void> {
    if (this.o.capabilities.timescale) {
      if (owns('rollups')) await this.o.repo.runTimescaleJobs();
    } else {
      if (owns('rollups')) await this.o.repo.refreshPlainRollup(new Date(Date.now() - 3 * 86400_000));
      if (!owns('retention')) return;
      const dropped = await this.o.repo.dropPlainRaw(new Date(Date.now() - this.o.retentionDays * 86400_000));
      if (dropped) this.log.info({ dropped }, 'retention: old telemetry dropped');
    }
  }

  /** The counter rollup: recent hours on every pass, 3 days once an hour, the whole raw history on the first pass. */
  private async refreshCounters(): Promise<void> {
    const now = Date.now();
    const late = now - this.lateSweepAt >= COUNTER_LATE_EVERY_MS;
    const since = (await this.o.repo.counterRollupEmpty()) ? null : new Date(now - (late ? COUNTER_LATE_MS : COUNTER_RECENT_MS));
    let rows = 0;
    for (const c of counterMetrics()) rows += await this.o.repo.refreshCounterRollup(c.metric, c.kinds, since);
    if (late) this.lateSweepAt = now;
    if (!since && rows) this.log.info({ rows }, 'counter rollup built from the raw history');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
