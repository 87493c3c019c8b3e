import { api } from './api.ts';

/** Every device with its latest state, kept current by the live stream. Pages subscribe to changes. */
export interface FleetDevice {
  id: string;
  kind: string;
  name: string;
  groupId: string | null;
  zoneIds: string[];
  lat: number | null;
  lon: number | null;
  online: boolean | null;
  lastSeen: string | null;
  statusReason: string | null;
  state: Record<string, unknown>;
}

/** `GET /api/v1/fleet`: one compact snapshot of the ward (rows are arrays in `fields` order, ~4× smaller than objects). */
interface Snapshot {
  fields: string[];
  items: unknown[][];
}

class Fleet {
  readonly devices = new Map<string, FleetDevice>();
  private listeners = new Set<() => void>();
  private eventListeners = new Map<string, Set<(data: unknown) => void>>();

  /** Subscribes a page to one named live event (`command.outcome`, `alarm.update`, `broadcast.update`…); returns the unsubscribe. */
  on(name: string, fn: (data: unknown) => void): () => void {
    let set = this.eventListeners.get(name);
    if (!set) this.eventListeners.set(name, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }
  private scheduled = false;
  loaded = false;

  async load(): Promise<void> {
    const snap = await api.get<Snapshot>('/api/v1/fleet');
    performance.mark('fleet:received');
    const col = (name: keyof FleetDevice): number => snap.fields.indexOf(name);
    const at = {
      id: col('id'),
      kind: col('kind'),
      name: col('name'),
      groupId: col('groupId'),
      zoneIds: col('zoneIds'),
      lat: col('lat'),
      lon: col('lon'),
      online: col('online'),
      lastSeen: col('lastSeen'),
      statusReason: col('statusReason'),
      state: col('state'),
    };
    this.devices.clear();
    for (const r of snap.items) {
      const d: FleetDevice = {
        id: r[at.id] as string,
        kind: r[at.kind] as string,
        name: r[at.name] as string,
        groupId: (r[at.groupId] as string | null) ?? null,
        zoneIds: (r[at.zoneIds] as string[] | null) ?? [],
        lat: (r[at.lat] as number | null) ?? null,
        lon: (r[at.lon] as number | null) ?? null,
        online: (r[at.online] as boolean | null) ?? null,
        lastSeen: (r[at.lastSeen] as string | null) ?? null,
        statusReason: (r[at.statusReason] as string | null) ?? null,
        state: (r[at.state] as Record<string, unknown> | null) ?? {},
      };
      this.devices.set(d.id, d);
    }
    this.loaded = true;
    performance.mark('fleet:loaded');
    this.changed();
  }

  /** Applies a live event; returns true when it changed something. */
  apply(name: string, data: unknown): void {
    for (const fn of this.eventListeners.get(name) ?? []) fn(data);
    if (name === 'device.status') {
      const e = data as { deviceId: string; online: boolean; reason: string; at: string };
      const d = this.devices.get(e.deviceId);
      if (d) {
        d.online = e.online;
        d.statusReason = e.reason;
        this.changed();
      }
    } else if (name === 'activity') {
      for (const it of (data as { items: { deviceId: string; state: Record<string, unknown> }[] }).items) {
        const d = this.devices.get(it.deviceId);
        if (!d) continue;
        const { lastSeen, ...state } = it.state;
        Object.assign(d.state, state);
        if (typeof lastSeen === 'string') d.lastSeen = lastSeen;
      }
      this.changed();
    }
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Coalesces bursts of updates into one repaint per animation frame. */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }

  counts(): Record<string, { total: number; online: number; offline: number; unknown: number }> {
    const out: Record<string, { total: number; online: number; offline: number; unknown: number }> = {};
    for (const d of this.devices.values()) {
      const c = (out[d.kind] ??= { total: 0, online: 0, offline: 0, unknown: 0 });
      c.total++;
      if (d.online === true) c.online++;
      else if (d.online === false) c.offline++;
      else c.unknown++;
    }
    return out;
  }
}

export const fleet = new Fleet();

export const statusOf = (d: FleetDevice): 'online' | 'offline' | 'unknown' => (d.online === true ? 'online' : d.online === false ? 'offline' : 'unknown');
