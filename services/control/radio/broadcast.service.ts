/**
 * Broadcasts to loudspeaker clusters (Circular 39/2020/TT-BTTTT): one-off or recurring, from an uploaded file or a
 * relayed live stream, to zones and/or clusters, with a priority. Scheduling reports clashes (equal priority on a
 * shared cluster at an overlapping time) as conflicts for the operator; an emergency is dispatched at once, and what
 * it interrupts is logged. Files are pushed ahead of air time (play with startAt) so a 4G outage at air time does not
 * stop the bulletin; each cluster fetches the file from a signed URL and checks its sha256.
 */
import { randomBytes } from 'node:crypto';
import type { ModuleEvents } from '../../modules/events.ts';
import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { BroadcastCapability } from '../../../devices/index.ts';
import { badRequest, conflict, notFound } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { CommandService } from '../commands/command.service.ts';
import type { Origin } from '../commands/command.types.ts';
import { occurrencesBetween } from '../scheduler/rrule.ts';
import type { JobRun, Scheduler } from '../scheduler/scheduler.service.ts';
import { findClashes, interruptions, type ClashReport, type PlannedItem, type Priority, type Window } from './priority.ts';
import type { BroadcastRecord, ConflictRecord, RadioRepository } from './radio.repository.ts';
import type { NetGuard } from '../../common/net-guard.ts';
import type { UrlSigner } from './url-signer.ts';

export const BROADCAST_JOB = 'broadcast.air';
/** The stream_url of a broadcast whose source is the operator's microphone (no outside address to fetch). */
export const micSource = (broadcastId: string): string => `mic:${broadcastId}`;
export const isMicSource = (url: string | null): boolean => url?.startsWith('mic:') ?? false;
/** Where the dashboard pushes the microphone (a WebSocket, behind a signed link handed to the broadcast's creator). */
export const microphonePath = (broadcastId: string): string => `/api/v1/radio/live/${broadcastId}/microphone`;
/** Files are sent this long before air time, so clusters can fetch and check them first. */
const FILE_LEAD_S = 300;
/** A bulletin whose dispatch comes later than this after its time is skipped (catch-up rule). */
const CATCH_UP_S = 600;
/** Conflicts are looked for this far ahead (recurring items), at most MAX_WINDOWS airings each. */
const HORIZON_MS = 31 * 86_400_000;
const MAX_WINDOWS = 300;
/** A signed file URL stays good this long after the airing ends (retries, replays on the cluster). */
const URL_GRACE_S = 86_400;
/** An emergency may still reach a cluster that reconnects this long after its planned end. */
const EMERGENCY_REACH_MS = 600_000;
/** A finished airing that not every cluster reported (no play log) is closed this long after its planned end. */
const DONE_GRACE_MS = 300_000;
/** A play log counts for an occurrence when it starts at most this long before it (clock skew of the cluster). */
const PLAY_LOG_SKEW_MS = 60_000;
const UNAIRED = new Set(['failed', 'expired', 'cancelled']);

/** Published on the event bus (and to dashboards) whenever a broadcast changes: created, dispatched, cancelled, done. */
/** Declared once, with the other bus events (services/modules/events.ts). */
export type { BroadcastUpdate } from '../../modules/events.ts';
import type { BroadcastUpdate } from '../../modules/events.ts';

export interface BroadcastInput {
  id?: string;
  title: string;
  priority: Priority;
  audioId?: string;
  streamUrl?: string;
  /** The operator's microphone, pushed from the dashboard to microphonePath(id); airs now (an emergency or a live call). */
  microphone?: boolean;
  zoneIds?: string[];
  clusterIds?: string[];
  volume?: number;
  startAt?: string;
  rrule?: string;
  durationS?: number;
}

export interface Clashes {
  conflicts: ClashReport[];
  willPreempt: ClashReport[];
  blockedBy: ClashReport[];
}

export const broadcastKinds = (): { kind: string; cap: BroadcastCapability }[] =>
  DEVICE_KINDS.flatMap((k) => (k.capabilities?.broadcast ? [{ kind: k.name, cap: k.capabilities.broadcast }] : []));

const capOf = (kind: string): BroadcastCapability => {
  const c = broadcastKinds().find((k) => k.kind === kind)?.cap;
  if (!c) throw new Error(`kind '${kind}' has no broadcast capability`);
  return c;
};

export class BroadcastService {
  private readonly repo: RadioRepository;
  private readonly commands: CommandService;
  private readonly scheduler: Scheduler;
  private readonly signer: UrlSigner;
  private readonly log: Logger;
  private readonly tz: string;
  private readonly clock: () => number;
  private readonly events: ModuleEvents | undefined;

  private readonly sourceGuard: NetGuard | undefined;
  constructor(o: {
    repo: RadioRepository;
    commands: CommandService;
    scheduler: Scheduler;
    signer: UrlSigner;
    log: Logger;
    tz: string;
    clock?: () => number;
    events?: ModuleEvents;
    sourceGuard?: NetGuard;
  }) {
    this.sourceGuard = o.sourceGuard;
    this.repo = o.repo;
    this.commands = o.commands;
    this.scheduler = o.scheduler;
    this.signer = o.signer;
    this.log = o.log;
    this.tz = o.tz;
    this.clock = o.clock ?? Date.now;
    this.events = o.events;
    o.scheduler.register(BROADCAST_JOB, (run) => this.onOccurrence(run));
  }

  /** Clusters named directly or through zones (with sub-zones); unknown zones and non-clusters are refused. */
  async clustersOf(zoneIds: string[], clusterIds: string[]): Promise<{ id: string; kind: string }[]> {
    const kinds = new Set(broadcastKinds().map((k) => k.kind));
    const found = new Map<string, string>();
    for (const z of zoneIds) for (const d of await this.commands.resolve({ target: { type: 'zone', id: z } })) if (kinds.has(d.kind)) found.set(d.id, d.kind);
    if (clusterIds.length) {
      const ds = await this.commands.resolve({ target: { type: 'devices', ids: clusterIds } });
      const wrong = ds.filter((d) => !kinds.has(d.kind));
      if (wrong.length)
        throw badRequest(
          'NOT_A_CLUSTER',
          `device(s) ${wrong
            .map((d) => d.id)
            .slice(0, 10)
            .join(', ')} are not loudspeaker clusters`,
        );
      for (const d of ds) found.set(d.id, d.kind);
    }
    return [...found.entries()].map(([id, kind]) => ({ id, kind })).sort((a, b) => a.id.localeCompare(b.id));
  }

  private windows(startsAt: number, rrule: string | null, durationS: number | null, from: number, to: number): Window[] {
    const dur = (durationS ?? 3600) * 1000;
    if (!rrule) return startsAt + dur > from && startsAt < to ? [{ start: startsAt, end: startsAt + dur }] : [];
    const rule = this.scheduler.parseRule(rrule);
    if (!rule) return [];
    return occurrencesBetween(rule, startsAt, this.tz, from - dur, to, MAX_WINDOWS).map((t) => ({ start: t, end: t + dur }));
  }

  private async planned(except: string | null, from: number, to: number): Promise<PlannedItem[]> {
    const out: PlannedItem[] = [];
    for (const b of await this.repo.broadcasts({ status: 'scheduled', limit: 5000, offset: 0 })) {
      if (b.id === except || b.priority === 'emergency') continue;
      const windows = this.windows(Date.parse(b.startsAt), b.rrule, b.durationS, from, to);
      if (!windows.length) continue;
      const clusters = await this.clustersOf(b.zoneIds, b.clusterIds).catch(() => []);
      out.push({ id: b.id, priority: b.priority, clusters: new Set(clusters.map((c) => c.id)), windows });
    }
    return out;
  }

  private async validate(input: BroadcastInput): Promise<{ durationS: number | null; clusters: { id: string; kind: string }[]; start: number }> {
    const now = this.clock();
    const sources = [input.audioId !== undefined, input.streamUrl !== undefined, input.microphone === true].filter(Boolean).length;
    if (sources !== 1) throw badRequest('SOURCE_REQUIRED', 'give one of audioId (a file), streamUrl (a live relay) or microphone: true');
    // A source outside SW_NETWORKS_LIVE_SOURCE is refused when stored; names are checked again when the relay connects.
    if (input.streamUrl !== undefined) this.sourceGuard?.checkUrl(input.streamUrl);
    if (input.microphone && (input.startAt !== undefined || input.rrule !== undefined))
      throw badRequest('MICROPHONE_AIRS_NOW', 'a microphone airs now: it takes no start time or recurrence');
    if (input.priority === 'emergency' && (input.startAt !== undefined || input.rrule !== undefined)) {
      throw badRequest('EMERGENCY_AIRS_NOW', 'an emergency airs at once: it takes no start time or recurrence');
    }
    let durationS: number | null = input.durationS ?? null;
    if (input.audioId !== undefined) {
      const a = await this.repo.audio(input.audioId);
      if (!a) throw badRequest('UNKNOWN_AUDIO', `audio '${input.audioId}' does not exist`);
      durationS = a.durationS;
    } else if (input.microphone) {
      // Planned length for clash checks; the operator ends it with Stop (or by closing the microphone).
      durationS = durationS ?? 3600;
    } else if (durationS === null && input.priority !== 'emergency') {
      throw badRequest('DURATION_REQUIRED', 'a scheduled live relay needs durationS (its planned length), so clashes can be found');
    }
    if ((input.zoneIds?.length ?? 0) + (input.clusterIds?.length ?? 0) === 0) throw badRequest('NO_TARGET', 'give zoneIds and/or clusterIds');
    const clusters = await this.clustersOf(input.zoneIds ?? [], input.clusterIds ?? []);
    if (!clusters.length) throw badRequest('NO_CLUSTERS', 'the zones hold no loudspeaker clusters');
    const start = input.startAt !== undefined ? Date.parse(input.startAt) : now;
    if (!input.rrule && start < now - 60_000) throw badRequest('START_IN_PAST', 'a one-off broadcast must start now or later');
    this.scheduler.parseRule(input.rrule);
    return { durationS, clusters, start };
  }

  /** Clashes a broadcast would have with what is scheduled, without storing anything. */
  async check(input: BroadcastInput): Promise<Clashes & { clusters: string[] }> {
    const v = await this.validate(input);
    return { ...(await this.clashes(input.id ?? null, input, v)), clusters: v.clusters.map((c) => c.id) };
  }

  private async clashes(
    id: string | null,
    input: BroadcastInput,
    v: { durationS: number | null; clusters: { id: string }[]; start: number },
  ): Promise<Clashes> {
    if (input.priority === 'emergency') return { conflicts: [], willPreempt: [], blockedBy: [] };
    const from = Math.max(this.clock(), v.start);
    const to = from + HORIZON_MS;
    const me: PlannedItem = {
      id: id ?? '(new)',
      priority: input.priority,
      clusters: new Set(v.clusters.map((c) => c.id)),
      windows: this.windows(v.start, input.rrule ?? null, v.durationS, from, to),
    };
    const all = findClashes(me, await this.planned(id, from, to));
    return {
      conflicts: all.filter((c) => c.kind === 'conflict'),
      willPreempt: all.filter((c) => c.kind === 'preempts'),
      blockedBy: all.filter((c) => c.kind === 'yields'),
    };
  }

  async create(
    input: BroadcastInput,
    origin: Origin,
    baseUrl: string | null,
  ): Promise<{ broadcast: BroadcastRecord; clusters: string[]; dispatched: string[] } & Clashes> {
    const v = await this.validate(input);
    const now = this.clock();
    const id = input.id ?? `bc-${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
    if (await this.repo.broadcast(id)) throw conflict('BROADCAST_EXISTS', `broadcast '${id}' exists already`);
    const c = await this.clashes(id, input, v);
    await this.repo.insertBroadcast({
      id,
      title: input.title,
      priority: input.priority,
      requestedAt: new Date(now).toISOString(),
      source: input.audioId ? 'file' : 'live',
      audioId: input.audioId ?? null,
      streamUrl: input.microphone ? micSource(id) : (input.streamUrl ?? null),
      zoneIds: input.zoneIds ?? [],
      clusterIds: input.clusterIds ?? [],
      volume: input.volume ?? null,
      startsAt: new Date(v.start).toISOString(),
      rrule: input.rrule ?? null,
      durationS: v.durationS,
      baseUrl,
      createdBy: origin.actor,
    });
    await this.repo.insertConflicts(
      c.conflicts.map((x) => ({ broadcastId: id, otherId: x.otherId, priority: input.priority, firstAt: new Date(x.firstAt), clusterIds: x.clusters })),
    );
    if (c.conflicts.length)
      this.log.warn({ broadcastId: id, conflicts: c.conflicts.map((x) => x.otherId) }, 'broadcast clashes with items of equal priority: shown to the operator');
    const b = (await this.repo.broadcast(id)) as BroadcastRecord;
    this.notify(b, 'created');
    let dispatched: string[] = [];
    if (input.priority === 'emergency') {
      // No scheduler step and no operator step between the request and the clusters (Circular 39/2020).
      dispatched = await this.dispatch(b, new Date(now), origin);
    } else if (input.microphone) {
      // A microphone is live now: no scheduler step, like an emergency (it may be of any priority).
      dispatched = await this.dispatch(b, new Date(now), origin);
    } else {
      const lead = b.source === 'file' ? FILE_LEAD_S : 0;
      await this.scheduler.schedule({
        id: `bc-${id}`,
        job: BROADCAST_JOB,
        ref: id,
        dtstart: new Date(v.start),
        rrule: input.rrule ?? null,
        leadS: lead,
        catchUpS: lead + CATCH_UP_S,
      });
    }
    return { broadcast: b, clusters: v.clusters.map((x) => x.id), dispatched, ...c };
  }

  private notify(b: BroadcastRecord, change: BroadcastUpdate['change'], extra: { commands?: string[] } = {}): void {
    const status: BroadcastRecord['status'] = change === 'cancelled' ? 'cancelled' : change === 'done' ? 'done' : b.status;
    const ev: BroadcastUpdate = { broadcastId: b.id, title: b.title, priority: b.priority, status, change, at: new Date(this.clock()).toISOString(), ...extra };
    this.events?.emit('broadcast.update', ev);
  }

  /**
   * Closes broadcasts with nothing left to air: no occurrence left to fire, and the last one over on every cluster
   * (each reported a play log for it, or its delivery failed, expired or was cancelled), or else its planned end plus
   * a grace period passed (a cluster that never reports). Returns the ids now 'done'.
   */
  async finishEnded(): Promise<string[]> {
    const now = this.clock();
    const done: string[] = [];
    const events = [...new Set(broadcastKinds().map((k) => k.cap.playLogEvent))];
    for (const b of await this.repo.withoutNextOccurrence(new Date(now), 500)) {
      const last = Date.parse(b.lastOccurrenceAt);
      const end = last + (b.durationS ?? 3600) * 1000 + (b.priority === 'emergency' ? EMERGENCY_REACH_MS : 0);
      let over = now >= end + DONE_GRACE_MS;
      if (!over) {
        const airings = (await this.repo.airings(b.id)).filter((a) => Date.parse(a.occurrenceAt) === last);
        if (airings.length) {
          const reported = new Set<string>();
          for (const event of events) {
            const logs = await this.repo.playLogs({
              event,
              broadcastId: b.id,
              from: new Date(last - PLAY_LOG_SKEW_MS),
              to: new Date('9999-12-31T00:00:00Z'),
              limit: 10_000,
            });
            for (const l of logs) if (Date.parse(l.start ?? l.time) >= last - PLAY_LOG_SKEW_MS) reported.add(l.clusterId);
          }
          over = airings.every((a) => reported.has(a.clusterId) || (a.state !== null && UNAIRED.has(a.state)));
        }
      }
      if (over && (await this.repo.markDone(b.id))) {
        done.push(b.id);
        this.notify(b, 'done');
      }
    }
    if (done.length) this.log.info({ broadcasts: done }, 'broadcasts finished airing');
    return done;
  }

  private async onOccurrence(run: JobRun): Promise<Record<string, unknown>> {
    const b = run.ref ? await this.repo.broadcast(run.ref) : null;
    if (!b || b.status !== 'scheduled') return { skipped: b ? `broadcast is ${b.status}` : 'broadcast deleted' };
    const ids = await this.dispatch(b, run.occurrenceAt, { actor: `scheduler:${run.scheduleId}`, role: null, origin: 'scheduler' });
    return { commands: ids };
  }

  private paramsFor(b: BroadcastRecord, occurrenceAt: Date, sha: string | null): Record<string, unknown> {
    const base = b.baseUrl ?? '';
    const endS = Math.ceil((occurrenceAt.getTime() + (b.durationS ?? 3600) * 1000) / 1000);
    if (b.source === 'live') {
      return { broadcastId: b.id, streamUrl: `${base}${this.signer.sign(`/api/v1/radio/live/${b.id}/stream`, endS + URL_GRACE_S)}`, priority: b.priority };
    }
    const url = `${base}${this.signer.sign(`/api/v1/radio/files/${b.audioId ?? ''}`, endS + URL_GRACE_S)}`;
    const p: Record<string, unknown> = { broadcastId: b.id, url, sha256: sha, priority: b.priority, durationS: b.durationS ?? 0 };
    if (b.volume !== null) p.volume = b.volume;
    if (b.priority !== 'emergency') p.startAt = occurrenceAt.toISOString();
    return p;
  }

  /** Sends one airing to the broadcast's clusters (idempotent per occurrence); logs what an interrupting item interrupts. */
  async dispatch(b: BroadcastRecord, occurrenceAt: Date, origin: Origin): Promise<string[]> {
    const now = this.clock();
    const clusters = await this.clustersOf(b.zoneIds, b.clusterIds);
    const audio = b.audioId ? await this.repo.audio(b.audioId) : null;
    const byKind = new Map<string, string[]>();
    for (const c of clusters) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c.id]);
    const ids: string[] = [];
    for (const [kind, clusterIds] of byKind) {
      const cap = capOf(kind);
      if (b.priority !== 'normal') {
        const cut = interruptions(
          b.priority,
          (await this.repo.airingNow(clusterIds, new Date(now), cap.playLogEvent)).filter((a) => a.broadcastId !== b.id),
        );
        await this.repo.insertPreemptions(
          cut.map((x) => ({ at: new Date(now), clusterId: x.clusterId, broadcastId: x.broadcastId, byBroadcastId: b.id, source: 'dispatch' as const })),
        );
        if (cut.length) this.log.warn({ broadcastId: b.id, priority: b.priority, interrupted: cut }, 'broadcast interrupts what airs on its clusters');
      }
      // Not worth starting once the airing would be over; an emergency gets ten more minutes to reach a cluster.
      const endMs = occurrenceAt.getTime() + (b.durationS ?? 3600) * 1000 + (b.priority === 'emergency' ? EMERGENCY_REACH_MS : 0);
      const expiresAt = new Date(Math.max(endMs, now + 120_000)).toISOString();
      const name = b.source === 'live' ? cap.liveCommand : cap.playCommand;
      const id = `bc:${b.id}:${Math.floor(occurrenceAt.getTime() / 1000)}:${kind}`;
      const r = await this.commands.send(
        {
          id,
          name,
          params: this.paramsFor(b, occurrenceAt, audio?.sha256 ?? null),
          target: { type: 'devices', ids: clusterIds },
          kind,
          expiresAt,
          maxAttempts: b.priority === 'emergency' ? 5 : 3,
        },
        origin,
      );
      await this.repo.insertAirings(b.id, occurrenceAt, clusterIds, r.command.id);
      ids.push(r.command.id);
    }
    this.notify(b, 'dispatched', { commands: ids });
    return ids;
  }

  list(f: { status?: string; priority?: string; limit: number; offset: number }): Promise<BroadcastRecord[]> {
    return this.repo.broadcasts(f);
  }

  async get(id: string): Promise<BroadcastRecord> {
    const b = await this.repo.broadcast(id);
    if (!b) throw notFound('Broadcast', id);
    return b;
  }

  /** Ends what airs now on the broadcast's clusters (a live relay's normal end); later occurrences stay scheduled. */
  async stop(id: string, origin: Origin): Promise<string[]> {
    const b = await this.get(id);
    const clusters = await this.clustersOf(b.zoneIds, b.clusterIds);
    const out: string[] = [];
    for (const kind of new Set(clusters.map((c) => c.kind))) {
      const ids = clusters.filter((c) => c.kind === kind).map((c) => c.id);
      const r = await this.commands.send(
        { name: capOf(kind).stopCommand, params: { broadcastId: b.id }, target: { type: 'devices', ids }, kind, ttlS: 600 },
        origin,
      );
      out.push(r.command.id);
    }
    return out;
  }

  /** Cancels every future occurrence, stops it where it is pending or airing, and closes its conflicts. */
  async cancel(id: string, origin: Origin): Promise<{ broadcast: BroadcastRecord; stopCommands: string[] }> {
    const b = await this.get(id);
    if (b.status === 'cancelled') throw conflict('BROADCAST_CANCELLED', `broadcast '${id}' is cancelled already`);
    await this.scheduler.cancel(`bc-${id}`);
    await this.repo.setStatus(id, 'cancelled', origin.actor);
    const open = (await this.repo.conflicts({ status: 'open', broadcastId: id })).map((c) => c.id);
    await this.repo.resolveConflicts(open, origin.actor, `broadcast ${id} cancelled`);
    const stopCommands = (await this.repo.airings(id)).length ? await this.stop(id, origin) : [];
    const after = await this.get(id);
    this.notify(after, 'cancelled', { commands: stopCommands });
    return { broadcast: after, stopCommands };
  }

  /** Conflicts with a sentence for the operator (Vietnamese first). */
  async conflicts(status?: 'open' | 'resolved'): Promise<(ConflictRecord & { message: { vi: string; en: string } })[]> {
    const local = (iso: string): string => new Date(Date.parse(iso)).toLocaleString('vi-VN', { timeZone: this.tz });
    return (await this.repo.conflicts({ status })).map((c) => ({
      ...c,
      message: {
        vi: `Bản tin '${c.broadcastId}' trùng giờ với '${c.otherBroadcastId}' (cùng mức ${c.priority === 'priority' ? 'ưu tiên' : 'thường'}) trên ${c.clusterIds.length} cụm loa, từ ${local(c.firstClashAt)}: cần quyết định phát bản tin nào.`,
        en: `'${c.broadcastId}' clashes with '${c.otherBroadcastId}' (both ${c.priority}) on ${c.clusterIds.length} cluster(s) from ${c.firstClashAt}: decide which one airs.`,
      },
    }));
  }

  /** The operator decides a clash: cancel one of the two, or accept both (the one that starts first holds the cluster). */
  async resolveConflict(id: number, decision: { cancel?: string; accept?: boolean }, origin: Origin): Promise<ConflictRecord> {
    const c = (await this.repo.conflicts({})).find((x) => x.id === id);
    if (!c) throw notFound('Conflict', String(id));
    if (c.status !== 'open') throw conflict('CONFLICT_RESOLVED', `conflict ${id} is resolved already`);
    if ((decision.cancel === undefined) === (decision.accept !== true))
      throw badRequest('ONE_DECISION', 'give either cancel (one of the two broadcast ids) or accept: true');
    if (decision.cancel !== undefined) {
      if (![c.broadcastId, c.otherBroadcastId].includes(decision.cancel))
        throw badRequest('NOT_IN_CONFLICT', `broadcast '${decision.cancel}' is not part of conflict ${id}`);
      await this.cancel(decision.cancel, origin);
    } else {
      await this.repo.resolveConflicts([id], origin.actor, 'accepted: both kept; the one that starts first holds the shared clusters');
    }
    return (await this.repo.conflicts({})).find((x) => x.id === id) as ConflictRecord;
  }
}
