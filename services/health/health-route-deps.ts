/**
 * What the health and alarm routes need from the health module: its services, narrowly. The module implements this;
 * the routes import it instead of the module, so the module ↔ routes import cycle is gone (issue 16).
 */
import type { EffectiveRule, FlappingRule } from './alarms/alarm-rules.ts';
import type { AlarmRepository } from './alarms/alarm.repository.ts';
import type { AlarmService } from './alarms/alarm.service.ts';
import type { WebhookService } from './alarms/webhook.service.ts';
import type { DeviceHealthService } from './device-health.service.ts';
import type { StatusMonitor } from './status/status.monitor.ts';
import type { StatusRepository } from './status/status.repository.ts';
import type { PlannedMaintenanceRepository } from './uptime/planned-maintenance.repository.ts';
import type { UptimeService } from './uptime/uptime.service.ts';

export interface HealthRouteDeps {
  readonly status: StatusMonitor;
  readonly uptime: UptimeService;
  readonly alarms: AlarmService;
  readonly alarmRepo: AlarmRepository;
  /** Alarm webhooks: URL rules, the network allow-list, the sealed secret. */
  readonly webhookAdmin: WebhookService;
  readonly maintenance: PlannedMaintenanceRepository;
  readonly deviceHealth: DeviceHealthService;
  readonly statusRepo: StatusRepository;
  readonly wardCode: string;
  readonly effectiveRules: { rules: EffectiveRule[]; flapping: FlappingRule };
  clockNow(): number;
  zoneExists(id: string): Promise<boolean>;
  reloadRules(): Promise<void>;
}
