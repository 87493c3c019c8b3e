/**
 * Public WiFi access point (OpenWISP-style health metrics). Associated clients follow a day/night demand curve in
 * Asia/Ho_Chi_Minh local time — quiet before dawn, busy in the evening when people are out — and the WAN byte and
 * session counters integrate that demand. Counters restart from zero when the AP reboots, as real interface counters do.
 */
import type { Static } from 'typebox';
import type { wifiAp } from '../../../devices/wifi-ap/index.ts';
import { HOUR_MS, dailyCurve, localHour } from '../local-time.ts';
import { clamp, noise, round, unit } from '../noise.ts';
import { rejected, timeSteps } from './model.ts';
import type { BaseState, DeviceModel, Metrics, ModelStep } from './model.ts';

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
}

/** Share of peak clients by local hour: [hour, share]. */
export const DEMAND: readonly (readonly [number, number])[] = [
  [0, 0.18], [4, 0.03], [6, 0.12], [8, 0.3], [11, 0.45], [13, 0.4], [16, 0.5], [19, 1], [21, 0.95], [23, 0.4],
];
/** Average WAN throughput per associated client (bytes/s): browsing and video, mostly downstream. */
const RX_PER_CLIENT = 20_000;
const TX_PER_CLIENT = 3_500;
const SESSION_MINUTES = 20;
const STEP_MS = 60_000;
const SALT = { capacity: 1, mobile: 2, clients: 3, split: 4, rtt: 5, loss: 6, cpu: 7, signal: 8, signalBase: 9, disk: 10, util: 11 } as const;

export const demandAt = (t: number): number => dailyCurve(DEMAND, localHour(t));

const serving = (s: WifiApState): boolean => s.ssids[s.publicSsid] === true;

/** Clients expected at t, before measurement noise; what the counters integrate. */
function expectedClients(s: WifiApState, t: number): number {
  return serving(s) ? s.capacity * demandAt(t) : 0;
}

function integrate(s: WifiApState, a: number, b: number): WifiApState {
  // While the WAN is down clients stay associated but no traffic crosses the uplink.
  if (s.faults.wanDown) return s;
  const clients = expectedClients(s, (a + b) / 2);
  const seconds = (b - a) / 1000;
  return {
    ...s,
    rxBytes: s.rxBytes + clients * RX_PER_CLIENT * seconds,
    txBytes: s.txBytes + clients * TX_PER_CLIENT * seconds,
    sessions: s.sessions + (clients * seconds) / (SESSION_MINUTES * 60),
  };
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

const zeroCounters = (s: WifiApState, now: number): WifiApState => ({ ...s, rxBytes: 0, txBytes: 0, sessions: 0, bootAt: now });

export const wifiApModel: DeviceModel<WifiApState> = {
  kind: 'wifi-ap',
  faults: ['wanDown'],
  // An AP has no lamp; its supply is not monitored separately (a power cut is simply silence or a last-will).
  injectable: {},

  init: ({ seed, now, firmware }) => ({
    seed, t: now, firmware, faults: {},
    capacity: 15 + Math.round(45 * unit(seed, SALT.capacity)),
    mobile: unit(seed, SALT.mobile) < 0.5,
    publicSsid: 'WiFi-Phuong-Mien-Phi',
    ssids: { 'WiFi-Phuong-Mien-Phi': true },
    bootAt: now, rxBytes: 0, txBytes: 0, sessions: 0,
  }),

  advance(s, now): ModelStep<WifiApState> {
    let next = s;
    for (const [a, b] of timeSteps(s.t, now, STEP_MS)) next = integrate(next, a, b);
    return { state: now > s.t ? { ...next, t: now } : s, events: [] };
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
