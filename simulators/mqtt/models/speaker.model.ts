/**
 * IP loudspeaker cluster (Circular 39/2020/TT-BTTTT). Plays pushed files (for the length the server read from the file,
 * else one derived from the file hash, so it is reproducible) or live streams, with three priorities: a higher one
 * preempts, an equal or lower one is refused while something airs, except that an emergency preempts anything.
 * Emergency forces unmute and a volume floor, restored afterwards. Every airing ends in a playLog event.
 */
import type { Static } from 'typebox';
import type { speaker } from '../../../devices/speaker/index.ts';
import { localHour } from '../local-time.ts';
import { noise, round, unit } from '../noise.ts';
import { isoTime, rejected } from './model.ts';
import type { BaseState, CommandOutcome, DeviceModel, Metrics, ModelEvent, ModelStep } from './model.ts';

type Play = Static<typeof speaker.commands.play.params>;
type Live = Static<typeof speaker.commands.live.params>;
type Stop = Static<typeof speaker.commands.stop.params>;
type Priority = Play['priority'];
type PlayResult = 'ok' | 'preempted' | 'failed';

interface Airing {
  broadcastId: string;
  source: string;
  priority: Priority;
  mode: 'file' | 'live';
  start: number;
  /** null for live streams: they air until stopped or preempted. */
  end: number | null;
}

export interface SpeakerState extends BaseState {
  readonly volume: number;
  readonly muted: boolean;
  readonly airing: Airing | null;
  readonly scheduled: readonly { play: Play; startAt: number }[];
  /** Volume and mute as the operator left them before an emergency overrode them. */
  readonly beforeEmergency: { volume: number; muted: boolean } | null;
  readonly networkType: '4g' | 'ethernet';
}

type Outcome = CommandOutcome<SpeakerState>;
type Change = { state: SpeakerState; events: ModelEvent[] };

const RANK: Record<Priority, number> = { normal: 0, priority: 1, emergency: 2 };
export const EMERGENCY_VOLUME_FLOOR = 80;
const SALT = { network: 1, signal: 2, signalBase: 3, temp: 4, supply: 5 } as const;

/** A bulletin's length is not in the command; derive a stable 30–600 s from its hash. */
export const fileDurationMs = (sha256: string): number => (30 + (Number.parseInt(sha256.slice(0, 8), 16) % 571)) * 1000;

function endAiring(s: SpeakerState, at: number, result: PlayResult, extra: Record<string, unknown> = {}): Change {
  const a = s.airing;
  if (!a) return { state: s, events: [] };
  const restored = a.priority === 'emergency' && s.beforeEmergency ? s.beforeEmergency : { volume: s.volume, muted: s.muted };
  const data = { broadcastId: a.broadcastId, start: isoTime(a.start), end: isoTime(at), result, ...extra };
  return { state: { ...s, ...restored, airing: null, beforeEmergency: null }, events: [{ event: 'playLog', data, at }] };
}

/** Why this priority cannot air now, or null when it may (preempting anything lower). */
function refusal(s: SpeakerState, priority: Priority): string | null {
  const a = s.airing;
  // Circular 39/2020: an emergency airs at once, whatever airs, including an older emergency.
  if (a && priority !== 'emergency' && RANK[a.priority] >= RANK[priority]) return `busy: '${a.broadcastId}' is airing at ${a.priority} priority`;
  return null;
}

function startAiring(s: SpeakerState, airing: Airing, volume: number | undefined): Change {
  const cut = endAiring(s, airing.start, 'preempted', { preemptedBy: airing.broadcastId });
  let next: SpeakerState = { ...cut.state, airing, volume: volume ?? cut.state.volume };
  if (airing.priority === 'emergency') {
    next = {
      ...next,
      beforeEmergency: { volume: cut.state.volume, muted: cut.state.muted },
      muted: false,
      volume: Math.max(EMERGENCY_VOLUME_FLOOR, volume ?? cut.state.volume),
    };
  }
  return { state: next, events: cut.events };
}

/** The server sends the length it read from the file's header; older servers do not, and then the hash decides. */
const playDurationMs = (p: Play): number => (p.durationS !== undefined ? Math.round(p.durationS * 1000) : fileDurationMs(p.sha256));

const fileAiring = (p: Play, at: number): Airing => ({
  broadcastId: p.broadcastId,
  source: p.url,
  priority: p.priority,
  mode: 'file',
  start: at,
  end: at + playDurationMs(p),
});

function play(s: SpeakerState, p: Play, now: number): Outcome {
  if (s.faults.amplifierFault) return { ok: false, status: 'error', error: 'amplifier fault: cannot play' };
  const startAt = p.startAt === undefined ? now : Date.parse(p.startAt);
  if (startAt > now + 1000) {
    const scheduled = [...s.scheduled, { play: p, startAt }];
    return { ok: true, state: { ...s, scheduled }, result: { broadcastId: p.broadcastId, scheduledFor: isoTime(startAt) }, events: [] };
  }
  const why = refusal(s, p.priority);
  if (why) return rejected(why);
  const airing = fileAiring(p, now);
  const r = startAiring(s, airing, p.volume);
  const result = { broadcastId: p.broadcastId, startedAt: isoTime(now), durationS: ((airing.end ?? now) - now) / 1000, volume: r.state.volume };
  return { ok: true, state: r.state, result, events: r.events };
}

function live(s: SpeakerState, p: Live, now: number): Outcome {
  if (s.faults.amplifierFault) return { ok: false, status: 'error', error: 'amplifier fault: cannot relay' };
  const why = refusal(s, p.priority);
  if (why) return rejected(why);
  const r = startAiring(s, { broadcastId: p.broadcastId, source: p.streamUrl, priority: p.priority, mode: 'live', start: now, end: null }, undefined);
  return { ok: true, state: r.state, result: { broadcastId: p.broadcastId, startedAt: isoTime(now) }, events: r.events };
}

function stop(s: SpeakerState, p: Stop, now: number): Outcome {
  const id = p.broadcastId;
  if (id !== undefined && s.scheduled.some((x) => x.play.broadcastId === id)) {
    const scheduled = s.scheduled.filter((x) => x.play.broadcastId !== id);
    return { ok: true, state: { ...s, scheduled }, result: { cancelled: id }, events: [] };
  }
  if (id !== undefined && s.airing?.broadcastId !== id) return rejected(`'${id}' is neither airing nor scheduled`);
  const stopped = s.airing?.broadcastId ?? null;
  const r = endAiring(s, now, 'preempted', { stoppedBy: 'command' });
  return { ok: true, state: r.state, result: { stopped }, events: r.events };
}

function nextScheduled(s: SpeakerState): { play: Play; startAt: number } | undefined {
  let first: { play: Play; startAt: number } | undefined;
  for (const x of s.scheduled) if (!first || x.startAt < first.startAt) first = x;
  return first;
}

/** Starts a scheduled bulletin at its time, or logs it as failed when something of equal or higher priority airs. */
function startScheduled(s: SpeakerState, item: { play: Play; startAt: number }): Change {
  const rest: SpeakerState = { ...s, scheduled: s.scheduled.filter((x) => x !== item) };
  const why = s.faults.amplifierFault ? 'amplifier fault' : refusal(rest, item.play.priority);
  if (!why) return startAiring(rest, fileAiring(item.play, item.startAt), item.play.volume);
  const at = isoTime(item.startAt);
  return {
    state: rest,
    events: [{ event: 'playLog', data: { broadcastId: item.play.broadcastId, start: at, end: at, result: 'failed', reason: why }, at: item.startAt }],
  };
}

function displayState(s: SpeakerState): string {
  if (s.faults.amplifierFault) return 'fault';
  const a = s.airing;
  if (a?.priority === 'emergency') return 'emergency';
  if (s.muted) return 'muted';
  if (!a) return 'idle';
  return a.mode === 'live' ? 'live' : 'playing';
}

function metrics(s: SpeakerState): Metrics {
  const { seed, t } = s;
  const amplifierOn = s.airing !== null && !s.faults.amplifierFault;
  const ambient = 28 + 4 * Math.cos((2 * Math.PI * (localHour(t) - 14)) / 24);
  const mainsOk = !s.faults.mainsLost;
  const m: Metrics = {
    state: displayState(s),
    source: s.airing?.source ?? '',
    broadcastId: s.airing?.broadcastId ?? '',
    volume: s.volume,
    muted: s.muted,
    amplifierOn,
    amplifierTemp: round(ambient + (amplifierOn ? 8 + (14 * s.volume) / 100 : 1.5) + 0.3 * noise(seed, t, SALT.temp), 1),
    mainsOk,
    // On mains the cluster reports the grid voltage; on battery, the battery's.
    supplyVoltage: mainsOk ? round(220 * (1 + 0.03 * noise(seed, t, SALT.supply)), 1) : round(12.4 + 0.2 * noise(seed, t, SALT.supply), 1),
    networkType: s.networkType,
    firmware: s.firmware,
  };
  if (s.networkType === '4g') m.signal = Math.round(-75 - 20 * unit(seed, SALT.signalBase) + 2 * noise(seed, t, SALT.signal));
  return m;
}

export const speakerModel: DeviceModel<SpeakerState> = {
  kind: 'speaker',
  faults: ['amplifierFault', 'mainsLost'],
  // Clusters run on battery after a mains cut and report it (Circular 39/2020: supply monitoring).
  injectable: { 'supply-loss': 'mainsLost' },

  init: ({ seed, now, firmware }) => ({
    seed,
    t: now,
    firmware,
    faults: {},
    volume: 70,
    muted: false,
    airing: null,
    scheduled: [],
    beforeEmergency: null,
    networkType: unit(seed, SALT.network) < 0.8 ? '4g' : 'ethernet',
  }),

  advance(s, now): ModelStep<SpeakerState> {
    let state = s;
    const events: ModelEvent[] = [];
    // Handle endings and scheduled starts in time order; each pass removes one airing or one scheduled item.
    for (;;) {
      const endAt = state.airing?.end ?? Number.POSITIVE_INFINITY;
      const item = nextScheduled(state);
      const startAt = item?.startAt ?? Number.POSITIVE_INFINITY;
      if (Math.min(endAt, startAt) > now) break;
      const r = endAt <= startAt || !item ? endAiring(state, endAt, 'ok') : startScheduled(state, item);
      state = r.state;
      events.push(...r.events);
    }
    return { state: now > state.t ? { ...state, t: now } : state, events };
  },

  metrics,

  command(s, name, params, now) {
    switch (name) {
      case 'play':
        return play(s, params as Play, now);
      case 'live':
        return live(s, params as Live, now);
      case 'stop':
        return stop(s, params as Stop, now);
      case 'volume': {
        const requested = (params as { volume: number }).volume;
        const volume = s.airing?.priority === 'emergency' ? Math.max(EMERGENCY_VOLUME_FLOOR, requested) : requested;
        return { ok: true, state: { ...s, volume }, result: { volume }, events: [] };
      }
      case 'mute': {
        const muted = (params as { muted: boolean }).muted;
        if (muted && s.airing?.priority === 'emergency') return rejected('an emergency broadcast cannot be muted');
        return { ok: true, state: { ...s, muted }, result: { muted }, events: [] };
      }
      default:
        return rejected(`command '${name}' is not simulated for loudspeakers`);
    }
  },

  // A speaker cluster has no counters: a replacement unit reports like the old one.
  replace: (s) => s,
};
