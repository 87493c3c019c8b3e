import { defaultWard } from '../auth/ward-scope.ts';
import { NetGuard } from '../common/net-guard.ts';
import type { HealthRouteDeps } from './health-route-deps.ts';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../common/logger.ts';
import type { Batch } from '../ingest/batch.ts';
import { IngestRepository } from '../ingest/ingest.repository.ts';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { AlarmEvaluator, type Decision } from './alarms/alarm-evaluator.ts';
import { ANY_KIND, effectiveRules, FLAPPING_RULE, flappingRule, type EffectiveRule, type FlappingRule } from './alarms/alarm-rules.ts';
import { AlarmRepository } from './alarms/alarm.repository.ts';
import { AlarmService } from './alarms/alarm.service.ts';
import { WebhookDispatcher } from './alarms/webhook.dispatcher.ts';
import { WebhookRepository } from './alarms/webhook.repository.ts';
import { WebhookService } from './alarms/webhook.service.ts';
import { HealthMetrics } from './health-metrics.ts';
import { healthRoutes } from './health.routes.ts';
import { alarmRoutes } from './alarms/alarms.routes.ts';
import { StatusMonitor } from './status/status.monitor.ts';
import { StatusRepository, type DeviceFacts } from './status/status.repository.ts';
import { PlannedMaintenanceRepository } from './uptime/planned-maintenance.repository.ts';
import { DeviceHealthService } from './device-health.service.ts';
import { UptimeRepository } from './uptime/uptime.repository.ts';
import { UptimeService, windowApplies } from './uptime/uptime.service.ts';
import { ServiceRunRecorder, ServiceRunRepository } from './uptime/service-runs.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    'health.uptime': UptimeService;
    'health.alarms': AlarmService;
    health: HealthModule;
  }
}

/** Tunables with defaults (config keys proposed in docs/health.md). */
export interface HealthModuleOptions {
  /** Longest pause between missed-report sweeps (shorter when a kind's threshold is short). */
  sweepMaxMs: number;
  /** Flapping: more than this many status changes … */
  flapMaxChanges: number;
  /** … within this many seconds; quiet for as long and it settles. */
  flapWindowS: number;
  flapSeverity: 'info' | 'warning' | 'critical';
  /** How often the uptime rollup is advanced and dirty devices recomputed. */
  rollupIntervalMs: number;
  /** A day is rolled up this long after it ends. */
  rollupGraceMs: number;
  webhookRetryDelaysMs: number[];
  webhookTimeoutMs: number;
  /** How often the device facts used by alarm rules (kind, asset) are reloaded. */
  factsRefreshMs: number;
  /** Service-run heartbeat (issue 10): outside the recorded runs, device time is unknown rather than down. */
  serviceHeartbeatMs: number;
  /** After a restart, a device's time stays unknown until its first status change, at most this long. */
  reconnectGraceMs: number;
  clock?: () => number;
}

export const HEALTH_DEFAULTS: HealthModuleOptions = {
  sweepMaxMs: 30_000,
  flapMaxChanges: 6,
  flapWindowS: 1800,
  flapSeverity: 'warning',
  rollupIntervalMs: 5 * 60_000,
  rollupGraceMs: 15 * 60_000,
  webhookRetryDelaysMs: [1000, 5000, 30_000, 120_000, 600_000],
  webhookTimeoutMs: 5000,
  factsRefreshMs: 5 * 60_000,
  serviceHeartbeatMs: 30_000,
  reconnectGraceMs: 5 * 60_000,
};

/** Shared under these names in ctx.shared (the indicators module and tests reach them there). */
export const SHARED = { uptime: 'health.uptime', alarms: 'health.alarms', module: 'health' } as const;

/**
 * Device health: status beyond MQTT (missed reports, flapping), uptime with planned maintenance and a daily rollup,
 * alarms with rules per kind, lifecycle and webhooks, and operator metrics.
 */
export class HealthModule implements FeatureModule, HealthRouteDeps {
  readonly name = 'health';
  options: HealthModuleOptions;
  private readonly given: Partial<HealthModuleOptions>;
  private ctx!: ModuleContext;
  private log!: Logger;
  status!: StatusMonitor;
  uptime!: UptimeService;
  alarms!: AlarmService;
  alarmRepo!: AlarmRepository;
  webhooks!: WebhookRepository;
  /** Networks webhook URLs may point to (SW_NETWORKS_WEBHOOK). */
  webhookGuard!: NetGuard;
  webhookAdmin!: WebhookService;
  maintenance!: PlannedMaintenanceRepository;
  deviceHealth!: DeviceHealthService;
  statusRepo!: StatusRepository;
  private evaluator = new AlarmEvaluator();
  private dispatcher!: WebhookDispatcher;
  private healthMetrics!: HealthMetrics;
  private uptimeRepo!: UptimeRepository;
  private runs!: ServiceRunRecorder;
  private rules: EffectiveRule[] = [];
  private flapRule!: FlappingRule;
  private facts = new Map<string, DeviceFacts>();
  private timers: NodeJS.Timeout[] = [];
  private lastCounts = 0;
  private readonly onBatchFn = (b: Batch): void => void this.evaluateBatch(b);

  /** Options given here win over the configuration (SW_* keys), which wins over the defaults. */
  constructor(options: Partial<HealthModuleOptions> = {}) {
    this.given = options;
    this.options = { ...HEALTH_DEFAULTS, ...options };
  }

  private get now(): number {
    return (this.options.clock ?? Date.now)();
  }

  async init(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
    this.options = { ...HEALTH_DEFAULTS, ...(ctx.config as Partial<typeof ctx.config>).health, ...this.given };
    this.log = ctx.log.child({ module: 'health' });
    const clock = this.options.clock;
    this.statusRepo = new StatusRepository(ctx.db);
    this.uptimeRepo = new UptimeRepository(ctx.db);
    this.alarmRepo = new AlarmRepository(ctx.db);
    this.webhooks = new WebhookRepository(ctx.db);
    this.webhookGuard = new NetGuard('webhook', (ctx.config as Partial<typeof ctx.config>).security?.networks.webhook ?? ['0.0.0.0/0', '::/0']);
    this.webhookAdmin = new WebhookService({ repo: this.webhooks, guard: this.webhookGuard, serviceKey: ctx.serviceKey });
    this.maintenance = new PlannedMaintenanceRepository(ctx.db);
    this.healthMetrics = new HealthMetrics(ctx.metrics, ctx.events);
    const runRepo = new ServiceRunRepository(ctx.db);
    this.runs = new ServiceRunRecorder({ repo: runRepo, log: ctx.log, heartbeatMs: this.options.serviceHeartbeatMs, ...(clock ? { clock } : {}) });
    this.uptime = new UptimeService({
      repo: this.uptimeRepo,
      timezone: ctx.config.ward.timezone,
      log: ctx.log,
      graceMs: this.options.rollupGraceMs,
      ...(clock ? { clock } : {}),
      runs: runRepo,
      runLiveMs: 3 * this.options.serviceHeartbeatMs,
      reconnectGraceMs: this.options.reconnectGraceMs,
    });
    this.deviceHealth = new DeviceHealthService({ alarms: this.alarmRepo, maintenance: this.maintenance, uptime: this.uptime, clock: () => this.now });
    this.dispatcher = new WebhookDispatcher({
      repo: this.webhooks,
      serviceKey: ctx.serviceKey,
      log: this.log,
      metrics: ctx.metrics,
      guard: this.webhookGuard,
      retryDelaysMs: this.options.webhookRetryDelaysMs,
      timeoutMs: this.options.webhookTimeoutMs,
      ...(clock ? { clock } : {}),
      owns: () => ctx.jobs.owns('webhooks'),
    });
    this.alarms = new AlarmService({
      store: this.alarmRepo,
      evaluator: this.evaluator,
      log: this.log,
      ward: { code: ctx.config.ward.code, name: ctx.config.ward.name },
      ...(clock ? { clock } : {}),
      onChange: (event, alarm) => {
        this.healthMetrics.alarmEvent(event);
        this.dispatcher.poke();
        // Dashboards hear it through /api/v1/live (LIVE_EVENTS): one name, the change in `event`.
        ctx.events.emit('alarm.update', { event, alarm });
      },
    });
    this.status = new StatusMonitor({
      repo: this.statusRepo,
      writer: new IngestRepository(ctx.db),
      events: ctx.events,
      log: ctx.log,
      flap: { maxChanges: this.options.flapMaxChanges, windowMs: this.options.flapWindowS * 1000 },
      sweepMaxMs: this.options.sweepMaxMs,
      ...(clock ? { clock } : {}),
      owns: () => ctx.jobs.owns('health-sweep'),
      onSweep: (now) => this.afterSweep(now),
      onTransition: (deviceId, online, at) => void this.onTransition(deviceId, online, at),
      onFlapping: (deviceId, started, at) => void this.onFlapping(deviceId, started, at),
    });
    await this.reloadRules();
    ctx.shared.set(SHARED.uptime, this.uptime);
    ctx.shared.set(SHARED.alarms, this.alarms);
    ctx.shared.set(SHARED.module, this);
  }

  /** Re-reads operators' overrides of alarm rules (after the rules API changed one). */
  async reloadRules(): Promise<void> {
    const overrides = await this.alarmRepo.overrides();
    this.rules = effectiveRules(overrides);
    this.flapRule = flappingRule(overrides, {
      severity: this.options.flapSeverity,
      enabled: true,
      maxChanges: this.options.flapMaxChanges,
      windowS: this.options.flapWindowS,
    });
    this.evaluator.setRules(this.rules);
    // Offline alarms are judged by the sweep: it must run often enough for the shortest afterS.
    const afterS = this.rules.filter((r) => r.enabled && r.trigger.type === 'offline').map((r) => (r.trigger.type === 'offline' ? r.trigger.afterS : 0));
    this.status.setExtraThresholds(afterS);
    this.status.configureFlapping({ maxChanges: this.flapRule.maxChanges, windowMs: this.flapRule.windowS * 1000 });
  }

  get effectiveRules(): { rules: EffectiveRule[]; flapping: FlappingRule } {
    return { rules: this.rules, flapping: this.flapRule };
  }

  async start(): Promise<void> {
    // Days already rolled up that the gap since the previous run touches are recomputed with it as unknown.
    const gapFrom = await this.runs.start();
    if (gapFrom !== null) await this.uptimeRepo.markScopeDirty(this.ctx.db, { type: 'ward', id: this.ctx.config.ward.code }, gapFrom);
    for (const k of await this.alarmRepo.openKeys()) this.evaluator.markOpen(k.deviceId, k.rule, true);
    this.facts = await this.statusRepo.facts();
    this.healthMetrics.start();
    this.ctx.events.on('ingest.batch', this.onBatchFn);
    await this.status.start();
    this.dispatcher.start();
    const every = (ms: number, fn: () => Promise<void>): void => {
      const t = setInterval(() => void fn().catch((err: Error) => this.log.warn({ err }, 'health job failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.options.rollupIntervalMs, () => (this.ctx.jobs.owns('rollups') ? this.uptime.refresh() : Promise.resolve()));
    every(this.options.factsRefreshMs, async () => {
      this.facts = await this.statusRepo.facts();
    });
    void this.uptime.refresh().catch((err: Error) => this.log.warn({ err }, 'uptime rollup failed'));
  }

  private async factsOf(ids: string[]): Promise<Map<string, DeviceFacts>> {
    const missing = ids.filter((id) => !this.facts.has(id));
    if (missing.length) for (const [id, f] of await this.statusRepo.facts(missing)) this.facts.set(id, f);
    return this.facts;
  }

  private async evaluateBatch(b: Batch): Promise<void> {
    if (!b.events.length && !b.telemetry.length) return;
    try {
      const facts = await this.factsOf([...new Set([...b.events.map((e) => e.deviceId), ...b.telemetry.map((t) => t.deviceId)])]);
      const decisions: Decision[] = [];
      for (const e of b.events) {
        const f = facts.get(e.deviceId);
        if (f) decisions.push(...this.evaluator.onEvent(e.deviceId, f, { event: e.event, active: e.active, at: Date.parse(e.time), data: e.data }));
      }
      for (const t of b.telemetry) {
        const f = facts.get(t.deviceId);
        if (f) decisions.push(...this.evaluator.onTelemetry(t.deviceId, f, Date.parse(t.time), t.data));
      }
      await this.alarms.apply(decisions);
    } catch (err) {
      this.log.warn({ err }, 'alarm evaluation failed');
    }
  }

  /** Never rejects: it runs detached from the status event (a database outage must not become an unhandled rejection). */
  private async onTransition(deviceId: string, online: boolean, at: number): Promise<void> {
    // A device coming online with nothing open (every fresh connect) needs no lookup at all.
    if (!online || !this.evaluator.hasOpen(deviceId)) return;
    try {
      const kind = (await this.factsOf([deviceId])).get(deviceId)?.kind;
      if (kind) await this.alarms.apply(this.evaluator.onOnline(deviceId, kind, at));
    } catch (err) {
      this.log.warn({ err, deviceId }, 'clearing offline alarms failed');
    }
  }

  /** Never rejects, like onTransition. */
  private async onFlapping(deviceId: string, started: boolean, at: number): Promise<void> {
    if (!this.flapRule.enabled) return;
    try {
      const kind = (await this.factsOf([deviceId])).get(deviceId)?.kind ?? ANY_KIND;
      if (started) {
        await this.alarms.raise({
          deviceId,
          kind,
          rule: FLAPPING_RULE,
          severity: this.flapRule.severity,
          at,
          label: { vi: 'Thiết bị chập chờn (mất kết nối liên tục)', en: 'Device flapping' },
          details: { maxChanges: this.flapRule.maxChanges, windowS: this.flapRule.windowS },
        });
      } else {
        await this.alarms.clearByCondition(deviceId, FLAPPING_RULE, `no status change for ${this.flapRule.windowS} s`, at);
      }
    } catch (err) {
      this.log.warn({ err, deviceId }, 'flapping alarm failed');
    }
  }

  /** After each sweep: offline alarms (not for flapping devices or those in planned maintenance), gauges. */
  private async afterSweep(now: number): Promise<void> {
    const offline = await this.statusRepo.offline();
    if (offline.length) {
      const windows = (await this.uptimeRepo.maintenanceOverlapping(now, now + 1)).filter((w) => w.from <= now);
      const inMaintenance = new Set<string>();
      if (windows.length) {
        for (const d of await this.uptimeRepo.devicesById(offline.map((o) => o.deviceId)))
          if (windows.some((w) => windowApplies(w, d))) inMaintenance.add(d.id);
      }
      const decisions = this.evaluator.onOffline(offline, now, (id) => this.status.isFlapping(id) || inMaintenance.has(id));
      await this.alarms.apply(decisions);
    }
    if (now - this.lastCounts >= 10_000) {
      this.lastCounts = now;
      this.healthMetrics.setDeviceCounts(await this.statusRepo.countsByKind());
      this.healthMetrics.setOpenAlarms(await this.alarmRepo.counts());
    }
  }

  routes(): FastifyPluginAsync {
    return async (app) => {
      await app.register(healthRoutes(this));
      await app.register(alarmRoutes(this));
    };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.ctx.events.off('ingest.batch', this.onBatchFn);
    this.healthMetrics.stop();
    await this.status.stop();
    await this.dispatcher.stop();
    await this.alarms.idle();
    await this.runs.stop();
  }

  /** Runs every periodic job once now (tests and the CLI): sweep with alarms, rollup upkeep, webhook outbox. */
  async runJobsOnce(): Promise<void> {
    await this.status.sweep();
    await this.uptime.refresh();
    this.dispatcher.poke();
  }

  async zoneExists(id: string): Promise<boolean> {
    return (await this.ctx.zones.get(id)) !== null;
  }

  /** The ward a request means when it names none: the configured one, or the caller's only ward (province tenancy). */
  get wardCode(): string {
    return defaultWard(this.ctx.config.ward.code);
  }

  get serviceKey(): Buffer {
    return this.ctx.serviceKey;
  }

  get timezone(): string {
    return this.ctx.config.ward.timezone;
  }

  /** Current time as the module sees it (injected clock in tests). */
  clockNow(): number {
    return this.now;
  }
}
