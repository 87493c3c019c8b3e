/**
 * What the map colours a device by, beyond connectivity (issue 14: a lamp with a failed bulb or lost supply showed
 * green): `fault` while an alarm of a fault, metric or deviation rule is open on it, `maintenance` while a planned
 * maintenance window covers it now. Offline/online is the status the dashboard already follows live; a device in
 * maintenance shows as such even when it is also faulty or offline (the crew is on it).
 */
import { DEVICE_KINDS } from '../../devices/index.ts';
import type { AlarmRepository } from './alarms/alarm.repository.ts';
import type { PlannedMaintenanceRepository } from './uptime/planned-maintenance.repository.ts';
import type { UptimeService } from './uptime/uptime.service.ts';

export type DeviceHealth = 'fault' | 'maintenance';

export interface DeviceHealthItem {
  deviceId: string;
  health: DeviceHealth;
  /** Highest severity among the device's open fault alarms (null in maintenance without one). */
  severity: 'info' | 'warning' | 'critical' | null;
  /** Open fault alarms: rule names. */
  rules: string[];
  /** Titles of the maintenance windows covering it now. */
  maintenance: string[];
}

const RANK = { info: 1, warning: 2, critical: 3 } as const;

/** Rules whose trigger is connectivity (offline) are not faults: the status already says the device is offline. */
function connectivityRules(): Set<string> {
  const out = new Set<string>();
  for (const k of DEVICE_KINDS) for (const [name, r] of Object.entries(k.alarms ?? {})) if (r.trigger.type === 'offline') out.add(`${k.name}/${name}`);
  return out;
}

export class DeviceHealthService {
  private readonly o: { alarms: AlarmRepository; maintenance: PlannedMaintenanceRepository; uptime: UptimeService; clock: () => number };
  private readonly offlineRules = connectivityRules();

  constructor(o: { alarms: AlarmRepository; maintenance: PlannedMaintenanceRepository; uptime: UptimeService; clock: () => number }) {
    this.o = o;
  }

  async items(): Promise<{ at: string; items: DeviceHealthItem[] }> {
    const now = this.o.clock();
    const [open, windows] = await Promise.all([this.o.alarms.openSummary(), this.o.maintenance.list(now, now + 1)]);
    const byDevice = new Map<string, DeviceHealthItem>();
    const item = (id: string): DeviceHealthItem => {
      let x = byDevice.get(id);
      if (!x) byDevice.set(id, (x = { deviceId: id, health: 'fault', severity: null, rules: [], maintenance: [] }));
      return x;
    };
    for (const a of open) {
      // Flapping (kind '*') is connectivity too.
      if (a.kind === '*' || this.offlineRules.has(`${a.kind}/${a.rule}`)) continue;
      const x = item(a.deviceId);
      x.rules.push(a.rule);
      if (!x.severity || RANK[a.severity] > RANK[x.severity]) x.severity = a.severity;
    }
    for (const w of windows.filter((x) => x.from <= now && now < x.to)) {
      for (const d of await this.o.uptime.devicesInScope({ type: w.scopeType, id: w.scopeId })) {
        const x = item(d.id);
        x.health = 'maintenance';
        x.maintenance.push(w.title);
      }
    }
    return { at: new Date(now).toISOString(), items: [...byDevice.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId)) };
  }
}
