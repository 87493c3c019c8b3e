import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, getKind } from '../../devices/index.ts';
import type { DeviceKind } from '../../devices/index.ts';
import { decodeMessage } from '../../services/ingest/decoder.ts';
import { modelFor, simulatedKinds } from '../../simulators/mqtt/models/registry.ts';
import type { BaseState, DeviceModel, Metrics } from '../../simulators/mqtt/models/model.ts';
import { speakerModel, EMERGENCY_VOLUME_FLOOR } from '../../simulators/mqtt/models/speaker.model.ts';
import type { SpeakerState } from '../../simulators/mqtt/models/speaker.model.ts';
import { streetlightModel } from '../../simulators/mqtt/models/streetlight.model.ts';
import { wifiApModel } from '../../simulators/mqtt/models/wifi-ap.model.ts';
import type { WifiApState } from '../../simulators/mqtt/models/wifi-ap.model.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Local midnight (Asia/Ho_Chi_Minh, UTC+7) starting 10 March 2026. */
const MIDNIGHT = Date.parse('2026-03-10T00:00:00+07:00');
const at = (localHour: number): number => MIDNIGHT + localHour * HOUR;
const init = <S extends BaseState>(m: DeviceModel<S>, seed = 42, now = MIDNIGHT): S => m.init({ seed, now, firmware: 'test-1' });

function command<S extends BaseState>(m: DeviceModel<S>, s: S, name: string, params: Record<string, unknown>, now: number): S {
  const r = m.command(m.advance(s, now).state, name, params, now);
  if (!r.ok) throw new Error(`${name} refused: ${r.error}`);
  return r.state;
}

/** Advances and returns the readings at t. */
function readAt<S extends BaseState>(m: DeviceModel<S>, s: S, t: number): { state: S; metrics: Metrics } {
  const state = m.advance(s, t).state;
  return { state, metrics: m.metrics(state) };
}

const num = (m: Metrics, k: string): number => {
  const v = m[k];
  if (typeof v !== 'number') throw new Error(`metric ${k} is not a number: ${String(v)}`);
  return v;
};

describe('streetlight model', () => {
  it('power follows the level: ~0 W when off, ~rated W at 100 %', () => {
    let s = init(streetlightModel);
    s = command(streetlightModel, s, 'setLevel', { level: 0 }, at(20));
    const off = readAt(streetlightModel, s, at(20) + 1000).metrics;
    expect(off.level).toBe(0);
    expect(num(off, 'power')).toBeLessThan(1);

    s = command(streetlightModel, s, 'setLevel', { level: 100 }, at(20) + 2000);
    const full = readAt(streetlightModel, s, at(20) + 3000).metrics;
    expect(full.level).toBe(100);
    expect(num(full, 'power')).toBeGreaterThanOrEqual(s.ratedW * 0.98 - 0.1);
    expect(num(full, 'power')).toBeLessThanOrEqual(s.ratedW * 1.02 + 0.1);

    s = command(streetlightModel, s, 'setLevel', { level: 50 }, at(20) + 4000);
    const half = num(readAt(streetlightModel, s, at(20) + 5000).metrics, 'power');
    expect(half).toBeGreaterThan(num(off, 'power'));
    expect(half).toBeLessThan(num(full, 'power'));
  });

  it('current is P / (V × pf) and voltage stays within 220 V ± 10 % all day', () => {
    let s = command(streetlightModel, init(streetlightModel), 'setLevel', { level: 100 }, at(0));
    for (let h = 0; h < 24; h += 0.5) {
      const r = readAt(streetlightModel, s, at(h));
      s = r.state;
      const { metrics: m } = r;
      expect(num(m, 'voltage')).toBeGreaterThanOrEqual(198);
      expect(num(m, 'voltage')).toBeLessThanOrEqual(242);
      expect(num(m, 'current')).toBeCloseTo(num(m, 'power') / (num(m, 'voltage') * num(m, 'powerFactor')), 2);
    }
  });

  it('energy and operating hours integrate monotonically and restart at zero after replace()', () => {
    let s = command(streetlightModel, init(streetlightModel), 'setLevel', { level: 100 }, at(0));
    let last = { energy: 0, hours: 0 };
    for (let t = at(0); t <= at(48); t += 15 * MIN) {
      const { state, metrics } = readAt(streetlightModel, s, t);
      s = state;
      expect(num(metrics, 'energy')).toBeGreaterThanOrEqual(last.energy);
      expect(num(metrics, 'operatingHours')).toBeGreaterThanOrEqual(last.hours);
      last = { energy: num(metrics, 'energy'), hours: num(metrics, 'operatingHours') };
    }
    // 48 h at full power: rated W × 48 h, exactly (no noise in the integral).
    expect(last.energy).toBeCloseTo((s.ratedW * 48) / 1000, 2);
    expect(last.hours).toBeCloseTo(48, 2);

    s = streetlightModel.replace(s, at(48));
    const after = streetlightModel.metrics(s);
    expect(after.energy).toBe(0);
    expect(after.operatingHours).toBe(0);
    expect(after.switchCount).toBe(0);
    const later = readAt(streetlightModel, s, at(49)).metrics;
    expect(num(later, 'energy')).toBeCloseTo(s.ratedW / 1000, 2);
  });

  it('counts a switch-on each time the lamp goes from off to on', () => {
    let s = init(streetlightModel);
    const start = s.switchCount;
    s = command(streetlightModel, s, 'setLevel', { level: 0 }, at(1));
    s = command(streetlightModel, s, 'setLevel', { level: 80 }, at(1.1));
    s = command(streetlightModel, s, 'setLevel', { level: 40 }, at(1.2)); // dimming, not a switch-on
    s = command(streetlightModel, s, 'setLevel', { level: 0 }, at(1.3));
    s = command(streetlightModel, s, 'setLevel', { level: 100 }, at(1.4));
    expect(s.switchCount - start).toBe(2);
  });

  it('ramps the applied level towards the target and reports both', () => {
    let s = command(streetlightModel, init(streetlightModel), 'setLevel', { level: 0 }, at(20));
    s = command(streetlightModel, s, 'setLevel', { level: 100, rampS: 60 }, at(20) + 1000);
    const mid = readAt(streetlightModel, s, at(20) + 31_000).metrics;
    expect(mid.targetLevel).toBe(100);
    expect(mid.level).toBe(50);
    expect(readAt(streetlightModel, s, at(20) + 61_000).metrics.level).toBe(100);
  });

  it('an override holds until expiresAt, then the stored program resumes', () => {
    let s = init(streetlightModel, 7, at(23)); // factory program: 70 % between 22:00 and 00:00
    expect(streetlightModel.metrics(s).level).toBe(70);
    const expiresAt = new Date(at(23.5)).toISOString();
    s = command(streetlightModel, s, 'setLevel', { level: 20, reason: 'override', expiresAt }, at(23));
    const during = readAt(streetlightModel, s, at(23.4)).metrics;
    expect(during).toMatchObject({ level: 20, reason: 'override' });
    const after = readAt(streetlightModel, s, at(23.6)).metrics;
    expect(after).toMatchObject({ level: 70, reason: 'program' });
  });

  it('refuses an override whose expiresAt has already passed', () => {
    const s = init(streetlightModel);
    const r = streetlightModel.command(s, 'setLevel', { level: 10, expiresAt: new Date(MIDNIGHT - 1000).toISOString() }, MIDNIGHT);
    expect(r.ok).toBe(false);
  });

  it('runs its stored program: on at night, off by day', () => {
    const s = init(streetlightModel, 3, at(12));
    const noon = readAt(streetlightModel, s, at(12));
    const night = readAt(streetlightModel, noon.state, at(20));
    expect(noon.metrics.level).toBe(0);
    expect(night.metrics.level).toBe(100);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const run = (seed: number): Metrics => readAt(streetlightModel, init(streetlightModel, seed, at(19)), at(21)).metrics;
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});

describe('wifi-ap model', () => {
  const clients = (m: Metrics): number => num(m, 'clients24') + num(m, 'clients5');

  it('has more clients in the evening than at 4 am local time, for every seed', () => {
    for (const seed of [1, 2, 3, 4, 5, 99, 1234]) {
      const s = init(wifiApModel, seed);
      const four = readAt(wifiApModel, s, at(4)).metrics;
      const evening = readAt(wifiApModel, s, at(20)).metrics;
      expect(clients(evening)).toBeGreaterThan(clients(four) + 5);
    }
  });

  it('integrates rx/tx byte counters monotonically, faster in the evening, and zeroes them on reboot', () => {
    let s: WifiApState = init(wifiApModel);
    const bytesBetween = (from: number, to: number): number => {
      const a = num(readAt(wifiApModel, s, from).metrics, 'rxBytes');
      const r = readAt(wifiApModel, s, to);
      return num(r.metrics, 'rxBytes') - a;
    };
    let lastRx = 0;
    let lastTx = 0;
    for (let t = at(0); t <= at(24); t += 10 * MIN) {
      const r = readAt(wifiApModel, s, t);
      s = r.state;
      expect(num(r.metrics, 'rxBytes')).toBeGreaterThanOrEqual(lastRx);
      expect(num(r.metrics, 'txBytes')).toBeGreaterThanOrEqual(lastTx);
      lastRx = num(r.metrics, 'rxBytes');
      lastTx = num(r.metrics, 'txBytes');
    }
    expect(lastRx).toBeGreaterThan(lastTx);
    s = init(wifiApModel);
    expect(bytesBetween(at(19), at(20))).toBeGreaterThan(bytesBetween(at(3), at(4)) * 5);

    const r = wifiApModel.command(wifiApModel.advance(s, at(21)).state, 'reboot', {}, at(21));
    if (!r.ok) throw new Error(r.error);
    expect(r.events.map((e) => e.event)).toEqual(['rebooted']);
    expect(wifiApModel.metrics(r.state)).toMatchObject({ rxBytes: 0, txBytes: 0, sessions: 0 });
  });

  it('drops its clients when the public SSID is disabled', () => {
    const s = init(wifiApModel, 8, at(20));
    const off = command(wifiApModel, s, 'setSsid', { ssid: s.publicSsid, enabled: false }, at(20));
    const m = readAt(wifiApModel, off, at(20.5)).metrics;
    expect(m.ssidEnabled).toBe(false);
    expect(clients(m)).toBe(0);
  });
});

describe('speaker model', () => {
  const SHA = 'a'.repeat(64);
  const play = (id: string, priority: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    broadcastId: id,
    url: `https://files.example/${id}.mp3`,
    sha256: SHA,
    priority,
    ...extra,
  });

  it('plays a file, then logs it as aired and returns to idle', () => {
    let s: SpeakerState = command(speakerModel, init(speakerModel), 'play', play('b1', 'normal'), at(7));
    expect(speakerModel.metrics(s)).toMatchObject({ state: 'playing', broadcastId: 'b1', amplifierOn: true });
    const step = speakerModel.advance(s, at(8));
    s = step.state;
    expect(step.events).toHaveLength(1);
    expect(step.events[0]).toMatchObject({ event: 'playLog', data: { broadcastId: 'b1', result: 'ok' } });
    expect(speakerModel.metrics(s)).toMatchObject({ state: 'idle', broadcastId: '', amplifierOn: false });
  });

  it('emergency preempts a normal bulletin, forces unmute and a volume floor, and restores them afterwards', () => {
    let s = command(speakerModel, init(speakerModel), 'volume', { volume: 30 }, at(7));
    s = command(speakerModel, s, 'mute', { muted: true }, at(7));
    s = command(speakerModel, s, 'play', play('b1', 'normal'), at(7));
    const r = speakerModel.command(s, 'play', play('e1', 'emergency'), at(7) + 5000);
    if (!r.ok) throw new Error(r.error);
    expect(r.events[0]).toMatchObject({ event: 'playLog', data: { broadcastId: 'b1', result: 'preempted' } });
    expect(speakerModel.metrics(r.state)).toMatchObject({ state: 'emergency', muted: false, volume: EMERGENCY_VOLUME_FLOOR });
    expect(speakerModel.command(r.state, 'mute', { muted: true }, at(7) + 6000).ok).toBe(false);
    const done = speakerModel.advance(r.state, at(8)).state;
    expect(speakerModel.metrics(done)).toMatchObject({ volume: 30, muted: true });
  });

  it('refuses a bulletin of equal or lower priority while one airs', () => {
    const s = command(speakerModel, init(speakerModel), 'play', play('p1', 'priority'), at(9));
    expect(speakerModel.command(s, 'play', play('n1', 'normal'), at(9) + 1000)).toMatchObject({ ok: false, status: 'rejected' });
    expect(speakerModel.command(s, 'play', play('p2', 'priority'), at(9) + 1000)).toMatchObject({ ok: false, status: 'rejected' });
  });
});

describe('model registry and telemetry validity', () => {
  it('has a model for every MQTT kind and none for cameras (ONVIF)', () => {
    const mqttKinds = DEVICE_KINDS.filter((k) => k.transport === 'mqtt').map((k) => k.name);
    expect(simulatedKinds().sort()).toEqual([...mqttKinds].sort());
    expect(modelFor('camera')).toBeUndefined();
  });

  it('every model reports telemetry its kind declaration accepts, around the clock', () => {
    const limits = { maxPayloadBytes: 16_384, maxFutureSkewMs: 60_000, maxAgeMs: 1e12 };
    for (const name of simulatedKinds()) {
      const kind = getKind(name) as DeviceKind;
      const runner = modelFor(name)?.({ seed: 11, now: at(0), firmware: 'test-1' });
      if (!runner) throw new Error(`no model for ${name}`);
      for (let t = at(0); t <= at(48); t += 37 * MIN) {
        runner.advance(t);
        const payload = Buffer.from(JSON.stringify({ ts: t, metrics: runner.metrics() }));
        const r = decodeMessage(kind, 'telemetry', payload, new Date(t), limits);
        expect(r, `${name} at ${new Date(t).toISOString()}`).toMatchObject({ ok: true });
      }
    }
  });
});
