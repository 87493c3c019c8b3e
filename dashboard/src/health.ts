import { api } from './api.ts';
import type { DeviceHealth as Item } from './contract.ts';
import { fleet, type FleetDevice } from './fleet.ts';

/** What the map and lists colour a device by (issue 14): not only whether it talks, but whether it works. */
export type Health = 'fault' | 'offline' | 'maintenance' | 'ok' | 'unknown';
export const HEALTHS: readonly Health[] = ['fault', 'offline', 'maintenance', 'ok', 'unknown'];
export const HEALTH_COLOURS: Record<Health, string> = { fault: '#d73027', offline: '#4d4d4d', maintenance: '#2c7fb8', ok: '#1a9850', unknown: '#bdbdbd' };

/**
 * Faults and maintenance from `GET /health/devices`, refreshed after alarm changes (live) and every minute (windows
 * start and end on their own); connectivity from the fleet's live status.
 */
class DeviceHealthStore {
  private byId = new Map<string, Item>();
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private interval: ReturnType<typeof setInterval> | undefined;
  private users = 0;
  private off: (() => void) | undefined;

  async load(): Promise<void> {
    try {
      const r = await api.get<{ items: Item[] }>('/api/v1/health/devices');
      this.byId = new Map(r.items.map((i) => [i.deviceId, i]));
    } catch {
      /* older server or no health module: connectivity only */
    }
    for (const fn of this.listeners) fn();
  }

  /** A page uses the store while it is shown: live refresh starts with the first user and stops with the last. */
  use(fn: () => void): () => void {
    this.listeners.add(fn);
    if (this.users++ === 0) {
      this.off = fleet.on('alarm.update', () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.load(), 400);
      });
      this.interval = setInterval(() => void this.load(), 60_000);
    }
    return () => {
      this.listeners.delete(fn);
      if (--this.users === 0) {
        this.off?.();
        clearTimeout(this.timer);
        clearInterval(this.interval);
      }
    };
  }

  /** Maintenance beats fault (the crew is on it), fault beats offline, offline beats unknown. */
  of(d: FleetDevice): Health {
    const x = this.byId.get(d.id);
    if (x?.health === 'maintenance') return 'maintenance';
    if (x?.health === 'fault') return 'fault';
    if (d.online === false) return 'offline';
    if (d.online === null) return 'unknown';
    return 'ok';
  }

  detail(id: string): Item | undefined {
    return this.byId.get(id);
  }
}

export const deviceHealth = new DeviceHealthStore();
