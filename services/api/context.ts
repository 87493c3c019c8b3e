import type { EventEmitter } from 'node:events';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { AuthService } from '../auth/auth.service.ts';
import type { Principal, Role } from '../auth/roles.ts';
import type { ScopeHandle } from '../auth/ward-scope.ts';
import type { Metrics } from '../common/metrics.ts';
import type { Config } from '../config/config.ts';
import type { DeviceService } from '../registry/device.service.ts';
import type { WardService } from '../registry/ward.service.ts';
import type { ZoneRepository } from '../registry/zone.repository.ts';
import type { TelemetryRepository } from '../telemetry/telemetry.repository.ts';
import type { TelemetryService } from '../telemetry/telemetry.service.ts';

/** What routes may use: services and read repositories, never the database itself. */
export interface ApiDeps {
  config: Config;
  /** The port the broker actually listens on (it moves off a busy default port); the configured one when absent. */
  mqttPort?: () => number;
  metrics: Metrics;
  auth: AuthService;
  devices: DeviceService;
  zones: ZoneRepository;
  /** Province tenancy: the deployment's wards, the default ward of a new device or zone. */
  wards: WardService;
  telemetry: TelemetryService;
  reads: TelemetryRepository;
  audit: AuditRepository;
  /** Readiness: the database answers and the broker listens. */
  /** services/readiness.ts: `status` ok | degraded | down. */
  ready: () => Promise<{ ready: boolean; status?: string; checks: Record<string, string> }>;
  status: () => Record<string, unknown>;
  /** The shared event bus (services/modules/module.ts), for live updates. */
  /** The live stream's events (this node's bus, or the cluster's live bridge: payloads as JSON from other nodes). */
  events: EventEmitter;
  /** Feature modules' route plugins, mounted under /api/v1. */
  extraRoutes: FastifyPluginAsync[];
  /** Tests only: called on the root instance before any route is registered (the contract test adds hooks here). */
  instrument?: (app: FastifyInstance) => void;
}

export type Api = FastifyInstance & { withTypeProvider: () => unknown };
export type TypedApi = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The caller's ward scope, entered after authentication (services/auth/ward-scope.ts). */
    wardScope?: ScopeHandle;
    /** Set by a route to name what it changed, for the audit row. */
    auditTarget?: { type: string; id: string; details?: Record<string, unknown> };
  }
  interface FastifyContextConfig {
    /** Least role allowed; absent only on public routes (which must say `public: true`). */
    role?: Role;
    public?: boolean;
    /** Audit action name; defaults to "METHOD url". */
    action?: string;
    /** Also accepts the scrape credential (SW_METRICS_TOKEN) in place of a viewer token: /metrics only. */
    scrape?: boolean;
  }
}

export type { TypeBoxTypeProvider };
