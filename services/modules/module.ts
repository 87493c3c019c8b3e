import type { FastifyPluginAsync } from 'fastify';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { BrokerService } from '../broker/broker.service.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/db.ts';
import type { JobOwnership } from '../cluster/job-leases.ts';
import type { IngestService } from '../ingest/ingest.service.ts';
import type { DeviceRepository } from '../registry/device.repository.ts';
import type { DeviceService } from '../registry/device.service.ts';
import type { WardService } from '../registry/ward.service.ts';
import type { ZoneRepository } from '../registry/zone.repository.ts';
import type { TelemetryRepository } from '../telemetry/telemetry.repository.ts';

/** The shared event bus, typed by its event map (services/modules/events.ts: every name and its payload). */
export type { ModuleEvents } from './events.ts';
import type { ModuleEvents } from './events.ts';
import type { SharedRegistry } from './shared-registry.ts';

/** What the core gives every feature module. */
export interface ModuleContext {
  config: Config;
  log: Logger;
  db: Db;
  metrics: Metrics;
  /** The service key (32 bytes) for HMACs and AES-GCM secrets at rest (services/common/crypto.ts). */
  serviceKey: Buffer;
  broker: BrokerService;
  ingest: IngestService;
  auth: AuthService;
  devices: DeviceService;
  deviceRepo: DeviceRepository;
  zones: ZoneRepository;
  /** Province tenancy: the deployment's wards (services/registry/ward.service.ts). */
  wards: WardService;
  reads: TelemetryRepository;
  audit: AuditRepository;
  events: ModuleEvents;
  /** Services modules share, by name and typed (services/modules/shared-registry.ts). Set in init, read in start. */
  shared: SharedRegistry;
  /**
   * Cluster-wide jobs (schedules, camera probes, rollups, webhooks, ...): ask `owns(job)` at every tick and skip it
   * when false; another node runs it then. One process: always true (services/cluster/job-leases.ts).
   */
  jobs: JobOwnership;
}

/**
 * A feature (control, cameras, health, …): a constructor that only assigns, `init` that builds its services, explicit
 * `start`/`stop`, and optionally routes (registered under /api/v1, each declaring its role like every route).
 */
export interface FeatureModule {
  readonly name: string;
  init(ctx: ModuleContext): Promise<void>;
  routes?(): FastifyPluginAsync;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
