/**
 * Public WiFi access point (OpenWISP-style health metrics). Associated clients follow a day/night demand curve in
 * Asia/Ho_Chi_Minh local time — quiet before dawn, busy in the evening when people are out — and the WAN byte and
 * session counters integrate that demand. Counters restart from zero when the AP reboots, as real interface counters do.
 *
 * Each started session is also reported as a record (RADIUS-accounting style): sessionStart with the client MAC,
 * portalLogin with consent (and a phone number for SMS logins), sessionStop with its bytes and duration. Clients
 * come from a fixed pool of residents per AP, so people come back and unique users stay below sessions.
 */
import type { Static } from 'typebox';
import type { wifiAp } from '../../../devices/wifi-ap/index.ts';
import { HOUR_MS, dailyCurve, localHour } from '../local-time.ts';
import { clamp, hashNumbers, noise, round, unit } from '../noise.ts';
import { rejected, timeSteps } from './model.ts';
import type { BaseState, DeviceModel, Metrics, ModelEvent, ModelStep } from './model.ts';

type SetSsid = Static<typeof wifiAp.commands.setSsid.params>;

export interface WifiApState extends BaseState {
  /** Clients at the busiest hour for this site. */
  readonly capacity: number;
  /** Sites with a 4G backhaul report its signal; wired ones do not. */
  readonly mobile: boolean;
  readonly publicSsid: string;
  readonly ssids: Readonly<Record<string, boolean>>;
  readonly bootAt: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  /** Fractional so short steps still add up; reported rounded down. */
  readonly sessions: number;
  /** Client sessions in progress (their records end with a sessionStop). */
  readonly open: readonly OpenSession[];
  /** Sessions started since the model began (never reset): numbers the session ids. */
  readonly started: number;
}

export interface OpenSession {
  readonly id: string;
  readonly mac: string;
  readonly start: number;
  readonly end: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Share of peak clients by local hour: [hour, share]. */
export const DEMAND: readonly (readonly [number, number])[] = [
  [0, 0.18],
  [4, 0.03],
  [6, 0.12],
  [8, 0.3],
  [11, 0.45],
  [13, 0.4],
  [16, 0.5],
  [19, 1],
  [21, 0.95],
  [23, 0.4],
];
/** Average WAN throughput per associated client (bytes/s): browsing and video, mostly downstream. */
const RX_PER_CLIENT = 20_000;
const TX_PER_CLIENT = 3_500;
const SESSION_MINUTES = 20;
const STEP_MS = 60_000;
const SALT = {
  capacity: 1,
  mobile: 2,
  clients: 3,
  split: 4,
  rtt: 5,
  loss: 6,
  cpu: 7,
  signal: 8,
  signalBase: 9,
  disk: 10,
  util: 11,
  user: 12,
  length: 13,
  login: 14,
} as const;
/** Residents who use one AP: returning visitors make unique users a fraction of sessions. */
const POOL_PER_CAPACITY = 4;
/** At most this many session records per advance: a long gap (a device offline for hours) is not replayed in full. */
const MAX_RECORDS_PER_ADVANCE = 200;
export const CONSENT_VERSION = '2026-01';

/** A locally administered unicast MAC for client n of this AP's pool (02:… so it can never be a real vendor's). */
export function clientMac(seed: number, n: number): string {
  const h = hashNumbers(seed, n, 0x6d6163);
  const h2 = hashNumbers(seed, n, 0x6d6164);
  const b = [0x02, (h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, h2 & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A Vietnamese mobile number (09x xxx xxxx) for client n, used by SMS logins. */
export function clientPhone(seed: number, n: number): string {
  return `09${String(hashNumbers(seed, n, 0x70686f) % 100_000_000).padStart(8, '0')}`;
}

export const demandAt = (t: number): number => dailyCurve(DEMAND, localHour(t));

const serving = (s: WifiApState): boolean => s.ssids[s.publicSsid] === true;

/** Clients expected at t, before measurement noise; what the counters integrate. */
function expectedClients(s: WifiApState, t: number): number {
  return serving(s) ? s.capacity * demandAt(t) : 0;
}

function integrate(s: WifiApState, a: number, b: number, events: ModelEvent[]): WifiApState {
  // While the WAN is down clients stay associated but no traffic crosses the uplink.
  if (s.faults.wanDown) return s;
  const clients = expectedClients(s, (a + b) / 2);
  const seconds = (b - a) / 1000;
  const sessions = s.sessions + (clients * seconds) / (SESSION_MINUTES * 60);
  let next: WifiApState = { ...s, rxBytes: s.rxBytes + clients * RX_PER_CLIENT * seconds, txBytes: s.txBytes + clients * TX_PER_CLIENT * seconds, sessions };
  const newSessions = Math.floor(sessions) - Math.floor(s.sessions);
  for (let i = 0; i < newSessions; i++) next = startSession(next, a + Math.round(((i + 1) * (b - a)) / (newSessions + 1)), events);
  return endSessions(next, b, events);
}

function startSession(s: WifiApState, at: number, events: ModelEvent[]): WifiApState {
  const n = s.started + 1;
  const pool = Math.max(1, s.capacity * POOL_PER_CAPACITY);
  const user = hashNumbers(s.seed, n, SALT.user) % pool;
  const mac = clientMac(s.seed, user);
  const id = `${s.seed.toString(36)}-${n.toString(36)}`;
  // Session length: 5–45 min around SESSION_MINUTES.
  const lengthMs = Math.round((5 + 40 * (hashNumbers(s.seed, n, SALT.length) / 0x1_0000_0000)) * 60_000);
  const sms = hashNumbers(s.seed, n, SALT.login) % 10 < 4;
  if (events.length < MAX_RECORDS_PER_ADVANCE) {
    events.push({ event: 'sessionStart', data: { sessionId: id, mac, ssid: s.publicSsid }, at });
    events.push({
      event: 'portalLogin',
      data: {
        sessionId: id,
        mac,
        ...(sms ? { phone: clientPhone(s.seed, user) } : {}),
        method: sms ? 'sms' : 'click',
        consentVersion: CONSENT_VERSION,
        consentPurposes: sms ? ['terms', 'marketing'] : ['terms'],
        language: 'vi',
      },
      at: at + 1,
    });
  }
  const open: OpenSession = { id, mac, start: at, end: at + lengthMs, bytesIn: 0, bytesOut: 0 };
  return { ...s, started: n, open: [...s.open, open] };
}

/** Sessions whose time is up by `now` end with a stop record (bytes at the per-client rates over their length). */
function endSessions(s: WifiApState, now: number, events: ModelEvent[]): WifiApState {
  const done = s.open.filter((o) => o.end <= now);
  if (!done.length) return s;
  for (const o of done) {
    const secs = (o.end - o.start) / 1000;
    if (events.length < MAX_RECORDS_PER_ADVANCE) {
      events.push({
        event: 'sessionStop',
        data: {
          sessionId: o.id,
          bytesIn: Math.round(secs * RX_PER_CLIENT),
          bytesOut: Math.round(secs * TX_PER_CLIENT),
          durationS: Math.round(secs),
          cause: 'idle-timeout',
        },
        at: o.end,
      });
    }
  }
  return { ...s, open: s.open.filter((o) => o.end > now) };
}

function metrics(s: WifiApState): Metrics {
  const { seed, t } = s;
  const clients = Math.max(0, Math.round(expectedClients(s, t) * (1 + 0.1 * noise(seed, t, SALT.clients))));
  const clients24 = Math.round(clients * (0.35 + 0.1 * unit(seed, SALT.split)));
  const clients5 = clients - clients24;
  const m: Metrics = {
    packetLoss: s.faults.wanDown ? 100 : round(clamp(0.3 + 0.3 * noise(seed, t, SALT.loss), 0, 100), 2),
    clients24,
    clients5,
    rxBytes: Math.floor(s.rxBytes),
    txBytes: Math.floor(s.txBytes),
    cpuLoad: round(0.05 + clients * 0.012 + 0.03 * Math.abs(noise(seed, t, SALT.cpu)), 2),
    memUsed: round(28 + clients * 0.4, 1),
    diskUsed: round(35 + 10 * unit(seed, SALT.disk), 1),
    channelUtil24: round(clamp(8 + clients24 * 1.6 + 2 * noise(seed, t, SALT.util), 0, 100), 1),
    channelUtil5: round(clamp(4 + clients5 * 0.8 + noise(seed, t, SALT.util + 1), 0, 100), 1),
    sessions: Math.floor(s.sessions),
    ssidEnabled: serving(s),
    firmware: s.firmware,
  };
  // No gateway round trip to measure while the WAN is down: the reading is left out rather than invented.
  if (!s.faults.wanDown) m.rttMs = round(12 + clients * 0.3 + 4 * Math.abs(noise(seed, t, SALT.rtt)), 1);
  if (s.mobile) m.signal = Math.round(-70 - 20 * unit(seed, SALT.signalBase) + 2 * noise(seed, t, SALT.signal));
  return m;
}

// A reboot drops every client: open sessions are gone without a stop record (as on real APs, which lose them).
const zeroCounters = (s: WifiApState, now: number): WifiApState => ({ ...s, rxBytes: 0, txBytes: 0, sessions: 0, bootAt: now, open: [] });

export const wifiApModel: DeviceModel<WifiApState> = {
  kind: 'wifi-ap',
  faults: ['wanDown'],
  // An AP has no lamp; its supply is not monitored separately (a power cut is simply silence or a last-will).
  injectable: {},

  init: ({ seed, now, firmware }) => ({
    seed,
    t: now,
    firmware,
    faults: {},
    capacity: 15 + Math.round(45 * unit(seed, SALT.capacity)),
    mobile: unit(seed, SALT.mobile) < 0.5,
    publicSsid: 'WiFi-Phuong-Mien-Phi',
    ssids: { 'WiFi-Phuong-Mien-Phi': true },
    bootAt: now,
    rxBytes: 0,
    txBytes: 0,
    sessions: 0,
    open: [],
    started: 0,
  }),

  advance(s, now): ModelStep<WifiApState> {
    let next = s;
    const events: ModelEvent[] = [];
    for (const [a, b] of timeSteps(s.t, now, STEP_MS)) next = integrate(next, a, b, events);
    return { state: now > s.t ? { ...next, t: now } : s, events };
  },

  metrics,

  command(s, name, params, now) {
    switch (name) {
      case 'reboot': {
        const uptimeH = round((now - s.bootAt) / HOUR_MS, 2);
        return {
          ok: true,
          state: zeroCounters(s, now),
          result: { rebooted: true },
          events: [{ event: 'rebooted', data: { reason: 'command', uptimeHBefore: uptimeH }, at: now }],
        };
      }
      case 'setSsid': {
        const p = params as SetSsid;
        return { ok: true, state: { ...s, ssids: { ...s.ssids, [p.ssid]: p.enabled } }, result: { ssid: p.ssid, enabled: p.enabled }, events: [] };
      }
      default:
        return rejected(`command '${name}' is not simulated for WiFi access points`);
    }
  },

  // A replaced AP is a new box: its counters start at zero, like after a reboot.
  replace: zeroCounters,
};
