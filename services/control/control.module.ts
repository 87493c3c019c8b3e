/**
 * The control feature: command lifecycle (any kind), the scheduler, scheduled commands, and streetlight lighting.
 * Shares 'commands', 'dispatcher', 'scheduler' and 'lighting' through ctx.shared for other modules (radio).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { CommandRepository } from './commands/command.repository.ts';
import { commandRoutes } from './commands/command.routes.ts';
import { CommandService } from './commands/command.service.ts';
import { Dispatcher } from './commands/dispatcher.ts';
import { LightingReports } from './lighting/lighting-report.service.ts';
import { LightingRepository } from './lighting/lighting.repository.ts';
import { lightingRoutes } from './lighting/lighting.routes.ts';
import { LightingService } from './lighting/lighting.service.ts';
import { registerScheduledCommands, scheduleRoutes } from './scheduler/scheduled-commands.ts';
import { SchedulerRepository } from './scheduler/scheduler.repository.ts';
import { Scheduler } from './scheduler/scheduler.service.ts';
import { dateKey, fromWall, toWall } from '../common/zoned-time.ts';
import { lightingDay } from './lighting/calendar.ts';

declare module '../modules/shared-registry.ts' {
  interface SharedServices {
    commands: CommandService;
    dispatcher: Dispatcher;
    scheduler: Scheduler;
    lighting: LightingService;
    reports: LightingReports;
  }
}

/** Phước Long (Nha Trang), DOMAIN.md §1: where sun times are computed until an admin sets the ward's site. */
const DEFAULT_SITE = { lat: 12.22, lon: 109.19 };
export const LIGHTING_PUSH_JOB = 'lighting.push';

export interface ControlServices {
  commands: CommandService;
  dispatcher: Dispatcher;
  scheduler: Scheduler;
  lighting: LightingService;
  reports: LightingReports;
}

export class ControlModule implements FeatureModule {
  readonly name = 'control';
  private s: ControlServices | undefined;
  private wardCode = '';
  private tz = 'UTC';

  private get services(): ControlServices {
    if (!this.s) throw new Error('control module used before init');
    return this.s;
  }

  async init(ctx: ModuleContext): Promise<void> {
    const tz = ctx.config.ward.timezone;
    this.tz = tz;
    this.wardCode = ctx.config.ward.code;
    const repo = new CommandRepository(ctx.db);
    const dispatcher = new Dispatcher({ repo, broker: ctx.broker, acks: ctx.ingest, events: ctx.events, log: ctx.log, metrics: ctx.metrics });
    const commands = new CommandService({ repo, dispatcher, audit: ctx.audit });
    const scheduler = new Scheduler({ repo: new SchedulerRepository(ctx.db), log: ctx.log, metrics: ctx.metrics, tz, owns: () => ctx.jobs.owns('schedules') });
    const lrepo = new LightingRepository(ctx.db, tz);
    const lighting = new LightingService({
      repo: lrepo,
      commands,
      log: ctx.log.child({ module: 'lighting' }),
      tz,
      defaultSite: DEFAULT_SITE,
      wardCode: ctx.config.ward.code,
      wardExists: (code) => ctx.wards.exists(code),
    });
    const reports = new LightingReports({ repo: lrepo, lighting });
    registerScheduledCommands(scheduler, commands);
    // Lighting days start at noon (calendar.ts): the day's program is pushed then, before the evening's first step.
    scheduler.register(LIGHTING_PUSH_JOB, async (run) => {
      const day = dateKey(lightingDay(run.occurrenceAt.getTime() + 1000, tz));
      const r = await lighting.push({ idPrefix: `lpd-${day}` }, { actor: `scheduler:${run.scheduleId}`, role: null, origin: 'scheduler' });
      return { commands: r.commands.map((c) => c.id), lights: r.lights, unassigned: r.unassigned };
    });
    this.s = { commands, dispatcher, scheduler, lighting, reports };
    ctx.shared.set('commands', commands);
    ctx.shared.set('dispatcher', dispatcher);
    ctx.shared.set('scheduler', scheduler);
    ctx.shared.set('lighting', lighting);
    ctx.shared.set('reports', reports);
  }

  routes(): FastifyPluginAsync {
    const s = this.services;
    return async (app) => {
      await app.register(commandRoutes(s.commands));
      await app.register(scheduleRoutes(s.scheduler, s.commands));
      await app.register(lightingRoutes(s.lighting, s.reports, this.wardCode));
    };
  }

  async start(): Promise<void> {
    const s = this.services;
    s.dispatcher.start();
    s.scheduler.start();
    const tz = this.tz;
    const w = toWall(Date.now(), tz);
    await s.scheduler.ensure({
      id: 'lighting-daily-push',
      job: LIGHTING_PUSH_JOB,
      dtstart: new Date(fromWall({ y: w.y, m: w.m, d: w.d, h: 12 }, tz)),
      rrule: 'FREQ=DAILY;BYHOUR=12;BYMINUTE=0',
      catchUpS: 12 * 3600,
    });
  }

  async stop(): Promise<void> {
    const s = this.services;
    await s.scheduler.stop();
    await s.dispatcher.stop();
  }
}

export const controlModule = (): FeatureModule => new ControlModule();
