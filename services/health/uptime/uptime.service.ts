import type { Logger } from '../../common/logger.ts';
import type { Queryable } from '../../db/db.ts';
import { addDaysIso as addDays, ceilDay, dayStart, daysBetween, floorDay, localDay } from '../../common/zoned-time.ts';
import {
  addTotals,
  availability,
  endStates,
  serviceGaps,
  tally,
  tallySlices,
  unknownSpans,
  zeroTotals,
  type DeviceTimeline,
  type Span,
  type UptimeTotals,
} from './uptime-math.ts';
import type { ServiceRunRepository } from './service-runs.ts';
import type { DayRow, MaintenanceWindow, Scope, UptimeDevice, UptimeRepository } from './uptime.repository.ts';

export interface UptimeServiceOptions {
  repo: UptimeRepository;
  timezone: string;
  log: Logger;
  clock?: () => number;
  /** Devices recomputed per transaction. */
  batchDevices?: number;
  /** A day is rolled up this long after it ends, so its real-time status events are all in (late ones mark it dirty). */
  graceMs?: number;
  /** When the service ran (issue 10): outside its runs device time is unknown, not down. Absent = not applied. */
  runs?: ServiceRunRepository;
  /** A run whose heartbeat is this recent is running now. */
  runLiveMs?: number;
  /** After a restart, a device's time stays unknown until its first status change, at most this long. */
  reconnectGraceMs?: number;
}

export const RECONNECT_GRACE_MS = 5 * 60_000;

export interface UptimeResult extends UptimeTotals {
  availability: number | null;
}

/** Does a planned window apply to a device? (scope: the whole ward, a kind, a zone/residential group, one device) */
export function windowApplies(w: Pick<MaintenanceWindow, 'scopeType' | 'scopeId'>, d: UptimeDevice): boolean {
  switch (w.scopeType) {
    case 'ward':
      return d.wardCode === w.scopeId;
    case 'kind':
      return d.kind === w.scopeId;
    case 'zone':
      return d.groupId === w.scopeId || d.zoneIds.includes(w.scopeId);
    case 'device':
      return d.id === w.scopeId;
  }
}

export const withAvailability = (t: UptimeTotals): UptimeResult => ({ ...t, availability: availability(t) });

/**
 * Uptime from the daily rollup where it can (whole local days before the watermark) and from raw status events
 * elsewhere (window edges, today, days not rolled up yet), so any window is exact and a ward over half a year only
 * sums rollup rows. Keeps the rollup itself: advances the watermark day by day and recomputes dirty devices.
 */
export class UptimeService {
  private readonly o: UptimeServiceOptions;
  private readonly clock: () => number;
  private readonly log: Logger;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: UptimeServiceOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
    this.log = o.log.child({ module: 'uptime' });
  }

  get timezone(): string {
    return this.o.timezone;
  }

  devicesInScope(scope: Scope): Promise<UptimeDevice[]> {
    return this.o.repo.devicesInScope(scope);
  }

  /** Per-device totals over a window; `rollups: false` computes everything from raw events (benchmark, checks). */
  async perDevice(devices: readonly UptimeDevice[], window: Span, opts: { rollups?: boolean } = {}): Promise<Map<string, UptimeTotals>> {
    const out = new Map<string, UptimeTotals>(devices.map((d) => [d.id, zeroTotals()]));
    if (!devices.length || window.to <= window.from) return out;
    const tz = this.o.timezone;
    let a = window.to;
    let b = window.to;
    // The rollup is usable up to its watermark, if it was built for this time zone.
    let wm: number | null = null;
    if (opts.rollups ?? true) {
      await this.refreshDirty();
      const w = await this.o.repo.watermark();
      if (w.completeUntil !== null && w.timezone === tz) {
        wm = w.completeUntil;
        a = ceilDay(window.from, tz);
        b = Math.min(floorDay(window.to, tz), wm);
      }
    }
    const raw: Span[] = [];
    if (a < b) {
      const ids = devices.map((d) => d.id);
      const sums = await this.o.repo.sumDays(ids, localDay(a, tz), localDay(b, tz));
      const spanS = (b - a) / 1000;
      for (const d of devices) {
        const s = sums.get(d.id) ?? zeroTotals();
        // Days without a row are unknown; so is whatever a row left unaccounted.
        s.unknownS = spanS - s.upS - s.downS - s.maintenanceS;
        out.set(d.id, s);
      }
      if (window.from < a) raw.push({ from: window.from, to: a });
      if (b < window.to) raw.push({ from: b, to: window.to });
    } else {
      raw.push(window);
    }
    // Raw pieces start where the rollup can tell the state at their day's midnight: no search of the history needed.
    for (const span of raw) {
      const fromRollup = wm !== null && floorDay(span.from, tz) <= wm;
      const part = await this.rawTotals(devices, span, undefined, fromRollup);
      for (const [id, t] of part) out.set(id, addTotals(out.get(id) ?? zeroTotals(), t));
    }
    return out;
  }

  /** Totals straight from status events (no rollup). */
  async rawTotals(devices: readonly UptimeDevice[], span: Span, q?: Queryable, startFromRollup = false): Promise<Map<string, UptimeTotals>> {
    const now = this.clock();
    const timelines = startFromRollup ? await this.timelinesFromMidnight(devices, span) : await this.timelines(devices, span, q);
    const out = new Map<string, UptimeTotals>();
    for (const d of devices) out.set(d.id, tally(span, now, timelines.get(d.id) as DeviceTimeline));
    return out;
  }

  private async timelines(devices: readonly UptimeDevice[], span: Span, q?: Queryable): Promise<Map<string, DeviceTimeline>> {
    const ids = devices.map((d) => d.id);
    // One after another: inside a transaction they share one connection.
    const initial = await this.o.repo.statesAt(ids, span.from, q);
    const changes = await this.o.repo.changes(ids, span.from, span.to, q);
    const windows = await this.o.repo.maintenanceOverlapping(span.from, span.to, q);
    const gaps = await this.serviceGaps(span, q);
    const out = new Map<string, DeviceTimeline>();
    for (const d of devices) {
      const ch = changes.get(d.id) ?? [];
      out.set(d.id, {
        initial: initial.get(d.id) ?? null,
        changes: ch,
        installedAt: d.installedAt,
        maintenance: windows.filter((w) => windowApplies(w, d)),
        unknown: unknownSpans(gaps, ch, this.o.reconnectGraceMs ?? RECONNECT_GRACE_MS),
      });
    }
    return out;
  }

  /** Like timelines(), but the state at the span's start comes from the rollup row of the day before plus that day's events. */
  private async timelinesFromMidnight(devices: readonly UptimeDevice[], span: Span): Promise<Map<string, DeviceTimeline>> {
    const tz = this.o.timezone;
    const ids = devices.map((d) => d.id);
    const midnight = floorDay(span.from, tz);
    const base = await this.o.repo.endStates(ids, addDays(localDay(midnight, tz), -1));
    const changes = await this.o.repo.changes(ids, midnight, span.to);
    const windows = await this.o.repo.maintenanceOverlapping(span.from, span.to);
    const gaps = await this.serviceGaps(span);
    const out = new Map<string, DeviceTimeline>();
    for (const d of devices) {
      let initial = base.get(d.id) ?? null;
      const inSpan = [];
      for (const c of changes.get(d.id) ?? []) {
        if (c.at < span.from) initial = c.online;
        else inSpan.push(c);
      }
      const unknown = unknownSpans(gaps, inSpan, this.o.reconnectGraceMs ?? RECONNECT_GRACE_MS);
      out.set(d.id, { initial, changes: inSpan, installedAt: d.installedAt, maintenance: windows.filter((w) => windowApplies(w, d)), unknown });
    }
    return out;
  }

  /** When no service process ran inside the span (a gap that started before it is cut at its start). */
  private async serviceGaps(span: Span, q?: Queryable): Promise<Span[]> {
    if (!this.o.runs) return [];
    const runs = await this.o.runs.overlapping(span.from, span.to, q);
    return serviceGaps(runs, span, this.clock(), this.o.runLiveMs ?? 90_000);
  }

  // ---- rollup upkeep -------------------------------------------------------------------------------------------

  /** One upkeep pass: advance the watermark to the last complete day, then recompute dirty devices. Serialized. */
  refresh(): Promise<void> {
    return this.serialized(async () => {
      await this.advance();
      await this.processDirty();
    });
  }

  /** Recomputes dirty devices only (called before a rollup read so late events and new maintenance count at once). */
  refreshDirty(): Promise<void> {
    return this.serialized(() => this.processDirty());
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async advance(): Promise<void> {
    const tz = this.o.timezone;
    const target = floorDay(this.clock() - (this.o.graceMs ?? 15 * 60_000), tz);
    await this.o.repo.transaction(async (tx) => {
      const wm = await this.o.repo.watermark(tx);
      if (wm.completeUntil === null || wm.timezone !== tz) {
        // First build (or the ward's time zone changed): every device is recomputed from its first event.
        await this.o.repo.deleteDaily(tx);
        await this.o.repo.setWatermark(tx, target, tz);
        await this.o.repo.markAllDirty(tx);
        this.log.info({ completeUntil: new Date(target).toISOString() }, 'uptime rollup: first build scheduled');
        return;
      }
      if (wm.completeUntil >= target) return;
      const ids = await this.o.repo.devicesWithHistory(target, tx);
      const devices = await this.o.repo.devicesById(ids, tx);
      await this.recompute(tx, devices, wm.completeUntil, target, await this.o.repo.firstEvents(ids, tx));
      await this.o.repo.setWatermark(tx, target, tz);
      this.log.debug({ devices: devices.length, until: new Date(target).toISOString() }, 'uptime rollup advanced');
    });
  }

  private async processDirty(): Promise<void> {
    const tz = this.o.timezone;
    for (;;) {
      const more = await this.o.repo.transaction(async (tx) => {
        const wm = await this.o.repo.watermark(tx);
        if (wm.completeUntil === null || wm.timezone !== tz) return false;
        const dirty = await this.o.repo.takeDirty(tx, this.o.batchDevices ?? 500);
        if (!dirty.length) return false;
        const devices = await this.o.repo.devicesById(
          dirty.map((d) => d.deviceId),
          tx,
        );
        const first = await this.o.repo.firstEvents(
          devices.map((d) => d.id),
          tx,
        );
        // Clamp each mark to the device's first event; recompute the batch from the earliest local day it needs.
        let from = Number.POSITIVE_INFINITY;
        for (const d of dirty) from = Math.min(from, Math.max(d.since, first.get(d.deviceId) ?? Number.POSITIVE_INFINITY));
        if (Number.isFinite(from) && floorDay(from, tz) < wm.completeUntil) {
          await this.recompute(
            tx,
            devices.filter((d) => first.has(d.id)),
            floorDay(from, tz),
            wm.completeUntil,
            first,
          );
        }
        // Devices whose history is gone entirely lose their rows.
        const gone = devices.filter((d) => !first.has(d.id)).map((d) => d.id);
        await this.o.repo.deleteDaily(tx, gone);
        return true;
      });
      if (!more) return;
    }
  }

  /**
   * Rewrites the rows of `devices` for local days [from, to) (both local midnights): daily totals, running totals
   * continued from the row of the day before, and the state at each day's end. Rows start at the first event's day.
   */
  private async recompute(tx: Queryable, devices: UptimeDevice[], from: number, to: number, first: Map<string, number>): Promise<void> {
    if (!devices.length || to <= from) return;
    const tz = this.o.timezone;
    const fromDay = localDay(from, tz);
    const toDay = localDay(to, tz);
    const days = daysBetween(fromDay, toDay);
    const bounds = [...days.map((d) => dayStart(d, tz)), dayStart(toDay, tz)];
    const ids = devices.map((d) => d.id);
    const timelines = await this.timelines(devices, { from, to }, tx);
    const base = await this.o.repo.cumulativeAt(ids, addDays(fromDay, -1), tx);
    const rows: DayRow[] = [];
    const ranges: { deviceId: string; fromDay: string; toDay: string; firstDay: string }[] = [];
    for (const d of devices) {
      const firstAt = first.get(d.id);
      if (firstAt === undefined) continue;
      const firstDay = localDay(firstAt, tz);
      ranges.push({ deviceId: d.id, fromDay, toDay, firstDay });
      const t = timelines.get(d.id) as DeviceTimeline;
      const slices = tallySlices(bounds, to, t);
      const ends = endStates(bounds, t);
      let cum = base.get(d.id) ?? zeroTotals();
      slices.forEach((slice, i) => {
        const day = days[i] as string;
        if (day < firstDay) return;
        cum = addTotals(cum, slice);
        rows.push({ deviceId: d.id, day, ...slice, cum, endOnline: ends[i] ?? null });
      });
    }
    await this.o.repo.replaceDays(tx, ranges, rows);
  }

  /** The last local day that is complete in the rollup ('YYYY-MM-DD'), or null before the first build. */
  async rolledUpUntil(): Promise<string | null> {
    const wm = await this.o.repo.watermark();
    return wm.completeUntil === null ? null : addDays(localDay(wm.completeUntil, this.o.timezone), -1);
  }
}
