/**
 * Uptime arithmetic, pure (no clock, no database): how long a device was up, down, in planned maintenance or of
 * unknown state inside a window. Definitions (docs/health.md "Uptime"):
 * - the state changes only at status events (online/offline); between two events it is the earlier one's;
 * - unknown: before the first status event, before `installedAt`, and after `now` (the future is not known);
 * - maintenance: inside a planned window, whatever the device did (unknown wins over maintenance);
 * - unknown too: while no service process ran (service_runs), and after a restart until the device's first status
 *   change, at most a reconnect grace (the device had no chance to report);
 * - availability = up / (up + down); unknown and maintenance are left out, so they neither help nor hurt.
 * Times are epoch ms; results are seconds.
 */
export interface Span {
  from: number;
  to: number;
}

export interface StatusChange {
  at: number;
  online: boolean;
}

export interface DeviceTimeline {
  /** State in force at the window's start (the last change before it); null = no data before it. */
  initial: boolean | null;
  /** Changes inside the window, any order (sorted here). */
  changes: readonly StatusChange[];
  /** Before this instant the device was not installed: unknown. */
  installedAt: number | null;
  /** Planned maintenance windows that apply to the device (may overlap each other or the window's edges). */
  maintenance: readonly Span[];
  /** Times the service was not watching (service gaps and the reconnect grace after them): unknown, never down. */
  unknown?: readonly Span[];
}

export interface UptimeTotals {
  upS: number;
  downS: number;
  unknownS: number;
  maintenanceS: number;
  /** Status changes inside the window. */
  changes: number;
}

export type SegmentState = 'up' | 'down' | 'unknown' | 'maintenance';

export interface Segment extends Span {
  state: SegmentState;
}

export const zeroTotals = (): UptimeTotals => ({ upS: 0, downS: 0, unknownS: 0, maintenanceS: 0, changes: 0 });

export function addTotals(a: UptimeTotals, b: UptimeTotals): UptimeTotals {
  return {
    upS: a.upS + b.upS,
    downS: a.downS + b.downS,
    unknownS: a.unknownS + b.unknownS,
    maintenanceS: a.maintenanceS + b.maintenanceS,
    changes: a.changes + b.changes,
  };
}

/** up / (up + down), or null when nothing is known (a figure of "no data" must not read as 0 % or 100 %). */
export function availability(t: Pick<UptimeTotals, 'upS' | 'downS'>): number | null {
  const known = t.upS + t.downS;
  return known > 0 ? t.upS / known : null;
}

/** Sorted, non-overlapping spans covering the same time. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.to > s.from).sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

/** The status timeline inside the window as up/down/unknown pieces (before maintenance is applied). */
function statusSegments(window: Span, now: number, t: DeviceTimeline): Segment[] {
  const end = Math.min(window.to, Math.max(window.from, now));
  const knownFrom = t.installedAt ?? Number.NEGATIVE_INFINITY;
  const changes = t.changes.filter((c) => c.at >= window.from && c.at < end).sort((a, b) => a.at - b.at);
  const out: Segment[] = [];
  let cursor = window.from;
  let state: boolean | null = t.initial;
  const push = (to: number): void => {
    if (to <= cursor) return;
    // Split at the installation date: before it, whatever the history says, the state is unknown.
    const cut = Math.min(Math.max(knownFrom, cursor), to);
    if (cut > cursor) out.push({ from: cursor, to: cut, state: 'unknown' });
    if (to > cut) out.push({ from: cut, to, state: state === null ? 'unknown' : state ? 'up' : 'down' });
  };
  for (const c of changes) {
    push(c.at);
    cursor = Math.max(cursor, c.at);
    state = c.online;
  }
  push(end);
  cursor = Math.max(cursor, end);
  if (window.to > cursor) out.push({ from: cursor, to: window.to, state: 'unknown' });
  return out;
}

/** Cuts maintenance out of known (up/down) segments. */
function applyMaintenance(segments: Segment[], maintenance: readonly Span[]): Segment[] {
  const windows = mergeSpans(maintenance);
  if (!windows.length) return segments;
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.state === 'unknown') {
      out.push(s);
      continue;
    }
    let cursor = s.from;
    for (const w of windows) {
      if (w.to <= cursor || w.from >= s.to) continue;
      if (w.from > cursor) out.push({ from: cursor, to: w.from, state: s.state });
      const mEnd = Math.min(w.to, s.to);
      out.push({ from: Math.max(w.from, cursor), to: mEnd, state: 'maintenance' });
      cursor = mEnd;
    }
    if (cursor < s.to) out.push({ from: cursor, to: s.to, state: s.state });
  }
  return out;
}

/** The window as labelled pieces, in time order, covering it exactly. */
export function segments(window: Span, now: number, t: DeviceTimeline): Segment[] {
  if (window.to <= window.from) return [];
  return applyUnknown(applyMaintenance(statusSegments(window, now, t), t.maintenance), t.unknown ?? []);
}

function countChanges(window: Span, now: number, t: DeviceTimeline): number {
  const end = Math.min(window.to, now);
  return t.changes.filter((c) => c.at >= window.from && c.at < end).length;
}

function sumSegments(segs: readonly Segment[], from: number, to: number, into: UptimeTotals): void {
  for (const s of segs) {
    const a = Math.max(s.from, from);
    const b = Math.min(s.to, to);
    if (b <= a) continue;
    const secs = (b - a) / 1000;
    if (s.state === 'up') into.upS += secs;
    else if (s.state === 'down') into.downS += secs;
    else if (s.state === 'maintenance') into.maintenanceS += secs;
    else into.unknownS += secs;
  }
}

/** Totals for one device over one window. */
export function tally(window: Span, now: number, t: DeviceTimeline): UptimeTotals {
  const totals = zeroTotals();
  sumSegments(segments(window, now, t), window.from, window.to, totals);
  totals.changes = countChanges(window, now, t);
  return totals;
}

/**
 * Totals per consecutive slice (local days for the rollup). `bounds` are the slice edges in order: n + 1 instants
 * for n slices; the timeline covers [bounds[0], bounds[n]).
 */
export function tallySlices(bounds: readonly number[], now: number, t: DeviceTimeline): UptimeTotals[] {
  const first = bounds[0];
  const last = bounds[bounds.length - 1];
  if (first === undefined || last === undefined || bounds.length < 2) return [];
  const window = { from: first, to: last };
  const segs = segments(window, now, t);
  const sortedChanges = t.changes
    .filter((c) => c.at >= first && c.at < Math.min(last, now))
    .map((c) => c.at)
    .sort((a, b) => a - b);
  const out: UptimeTotals[] = [];
  let si = 0;
  let ci = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const totals = zeroTotals();
    // Segments are in order and slices too: skip those that ended before this slice, sum the overlapping ones.
    while (si < segs.length && (segs[si] as Segment).to <= from) si++;
    let j = si;
    while (j < segs.length && (segs[j] as Segment).from < to) j++;
    sumSegments(segs.slice(si, j), from, to, totals);
    while (ci < sortedChanges.length && (sortedChanges[ci] as number) < to) {
      if ((sortedChanges[ci] as number) >= from) totals.changes++;
      ci++;
    }
    out.push(totals);
  }
  return out;
}

/**
 * The status in force at the end of each slice (null: no status event yet). Installation is not applied here: this is
 * the raw status a later window starts from (tally applies `installedAt` itself).
 */
export function endStates(bounds: readonly number[], t: DeviceTimeline): (boolean | null)[] {
  const changes = [...t.changes].sort((a, b) => a.at - b.at);
  const out: (boolean | null)[] = [];
  let state = t.initial;
  let ci = 0;
  for (let i = 1; i < bounds.length; i++) {
    const end = bounds[i] as number;
    while (ci < changes.length && (changes[ci] as StatusChange).at < end) state = (changes[ci++] as StatusChange).online;
    out.push(state);
  }
  return out;
}

// ---- service runs (issue 10) ----------------------------------------------------------------------------------

export interface ServiceRun {
  startedAt: number;
  /** The clean stop, or null: still running, or crashed (then the last heartbeat is the end). */
  stoppedAt: number | null;
  heartbeatAt: number;
}

/**
 * When no service process was running inside [from, to): the gaps between the union of the runs, from the first
 * recorded start on (before any run was recorded nothing is known about the service, and the old behaviour stays).
 * A run that has not stopped and whose heartbeat is recent (within `liveMs` of now) is running now.
 */
export function serviceGaps(runs: readonly ServiceRun[], window: Span, now: number, liveMs: number): Span[] {
  if (!runs.length) return [];
  const spans = runs.map((r) => ({ from: r.startedAt, to: r.stoppedAt ?? (now - r.heartbeatAt <= liveMs ? Math.max(now, r.heartbeatAt) : r.heartbeatAt) }));
  const first = Math.min(...spans.map((s) => s.from));
  const merged = mergeSpans(spans);
  const end = Math.min(window.to, now);
  const out: Span[] = [];
  let cursor = Math.max(window.from, first);
  for (const s of merged) {
    if (s.from > cursor) out.push({ from: cursor, to: Math.min(s.from, end) });
    cursor = Math.max(cursor, s.to);
  }
  if (cursor < end) out.push({ from: cursor, to: end });
  return out.filter((s) => s.to > s.from);
}

/**
 * A device's unknown time from the service gaps: each gap, plus the time after the service came back until the
 * device's first status change (it reconnects, or the sweep declares it offline), at most `graceMs`.
 */
export function unknownSpans(gaps: readonly Span[], changes: readonly StatusChange[], graceMs: number): Span[] {
  if (!gaps.length) return [];
  const at = changes.map((c) => c.at).sort((a, b) => a - b);
  return gaps.map((g) => {
    const next = at.find((t) => t >= g.to);
    return { from: g.from, to: Math.max(g.to, Math.min(g.to + graceMs, next ?? Number.POSITIVE_INFINITY)) };
  });
}

/** Turns the parts of up/down/maintenance segments inside `unknown` into unknown (unknown wins over everything). */
export function applyUnknown(segs: readonly Segment[], unknown: readonly Span[]): Segment[] {
  const windows = mergeSpans(unknown);
  if (!windows.length) return [...segs];
  const out: Segment[] = [];
  for (const s of segs) {
    if (s.state === 'unknown') {
      out.push(s);
      continue;
    }
    let cursor = s.from;
    for (const w of windows) {
      if (w.to <= cursor || w.from >= s.to) continue;
      if (w.from > cursor) out.push({ from: cursor, to: w.from, state: s.state });
      const uEnd = Math.min(w.to, s.to);
      out.push({ from: Math.max(w.from, cursor), to: uEnd, state: 'unknown' });
      cursor = uEnd;
    }
    if (cursor < s.to) out.push({ from: cursor, to: s.to, state: s.state });
  }
  return out;
}
