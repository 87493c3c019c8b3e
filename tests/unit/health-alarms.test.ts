import { describe, expect, it } from 'vitest';
import type { AppError } from '../../services/common/errors.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { AlarmEvaluator } from '../../services/health/alarms/alarm-evaluator.ts';
import { acknowledge, clear, raise, type Alarm, type NewAlarm } from '../../services/health/alarms/alarm-lifecycle.ts';
import { effectiveRules, validateOverride } from '../../services/health/alarms/alarm-rules.ts';
import type { AlarmStore, AlarmTx } from '../../services/health/alarms/alarm.repository.ts';
import { AlarmService } from '../../services/health/alarms/alarm.service.ts';
import { FlapDetector } from '../../services/health/status/flapping.ts';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const sec = (s: number): number => T0 + s * 1000;

/** An in-memory store with the same contract as the SQL one (one open alarm per device and rule). */
class MemoryStore implements AlarmStore {
  alarms: Alarm[] = [];
  notifications: { alarmId: number; event: string }[] = [];
  atomically<T>(fn: (s: AlarmTx) => Promise<T>): Promise<T> {
    const tx: AlarmTx = {
      findOpen: async (d, r) => this.alarms.find((a) => a.deviceId === d && a.rule === r && a.state !== 'cleared') ?? null,
      get: async (id) => this.alarms.find((a) => a.id === id) ?? null,
      insert: async (a: NewAlarm) => {
        const row = { ...a, id: this.alarms.length + 1 };
        this.alarms.push(row);
        return row;
      },
      update: async (a) => {
        this.alarms[this.alarms.findIndex((x) => x.id === a.id)] = a;
      },
      enqueue: async (a, event) => {
        this.notifications.push({ alarmId: a.id, event });
        return 1;
      },
    };
    return fn(tx);
  }
}

function setup(): { store: MemoryStore; evaluator: AlarmEvaluator; service: AlarmService; clock: { now: number } } {
  const clock = { now: T0 };
  const store = new MemoryStore();
  const evaluator = new AlarmEvaluator();
  evaluator.setRules(effectiveRules([]));
  const service = new AlarmService({ store, evaluator, log: silentLogger(), ward: { code: '22330', name: 'Phường Phước Long' }, clock: () => clock.now });
  return { store, evaluator, service, clock };
}

const lampFailure = {
  deviceId: 'sl-1',
  kind: 'streetlight',
  rule: 'lampFailure',
  severity: 'critical' as const,
  message: { vi: 'x', en: 'x' },
  details: {},
  at: sec(0),
};

describe('alarm lifecycle (pure)', () => {
  it('goes active → acknowledged → cleared, and refuses to go back', () => {
    const r = raise(null, lampFailure);
    expect(r.created).toBe(true);
    const a: Alarm = { ...r.alarm, id: 1 };
    expect(a.state).toBe('active');
    const acked = acknowledge(a, 'op-1', 'crew sent', sec(60));
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'op-1', ackNote: 'crew sent', acknowledgedAt: new Date(sec(60)).toISOString() });
    expect(() => acknowledge(acked, 'op-2', null, sec(61))).toThrow(/already acknowledged/);
    const cleared = clear(acked, 'system', 'lamp replaced', sec(3600));
    expect(cleared).toMatchObject({ state: 'cleared', clearedBy: 'system', clearReason: 'lamp replaced' });
    for (const f of [() => acknowledge(cleared, 'op', null, sec(4000)), () => clear(cleared, 'op', 'again', sec(4000))]) {
      try {
        f();
        expect.unreachable();
      } catch (err) {
        expect((err as AppError).statusCode).toBe(409);
        expect((err as AppError).code).toBe('ALARM_CLEARED');
      }
    }
  });

  it('de-duplicates: a repeat while open counts an occurrence and keeps the state; severity only escalates', () => {
    const first: Alarm = { ...raise(null, { ...lampFailure, severity: 'warning' }).alarm, id: 7 };
    const acked = acknowledge(first, 'op', null, sec(10));
    const again = raise(acked, { ...lampFailure, severity: 'critical', at: sec(20) });
    expect(again.created).toBe(false);
    expect(again.alarm).toMatchObject({ id: 7, state: 'acknowledged', occurrences: 2, severity: 'critical', lastRaisedAt: new Date(sec(20)).toISOString() });
    const lower = raise(again.alarm as Alarm, { ...lampFailure, severity: 'info', at: sec(30) });
    expect(lower.alarm.severity).toBe('critical');
    // After clearing, the next occurrence is a new alarm.
    const next = raise(clear(again.alarm as Alarm, 'op', 'done', sec(40)), { ...lampFailure, at: sec(50) });
    expect(next.created).toBe(true);
  });
});

describe('alarm service and evaluator (fake time)', () => {
  it('opens one alarm per device and rule for a fault, clears it when the device says so, and notifies each change', async () => {
    const { store, evaluator, service } = setup();
    const facts = { kind: 'streetlight', asset: {} };
    await service.apply(evaluator.onEvent('sl-1', facts, { event: 'lampFailure', active: true, at: sec(0), data: {} }));
    await service.apply(evaluator.onEvent('sl-1', facts, { event: 'lampFailure', active: true, at: sec(5), data: {} }));
    expect(store.alarms).toHaveLength(1);
    expect(store.alarms[0]).toMatchObject({ rule: 'lampFailure', severity: 'critical', state: 'active', occurrences: 2 });
    await service.apply(evaluator.onEvent('sl-1', facts, { event: 'lampFailure', active: false, at: sec(90), data: {} }));
    expect(store.alarms[0]).toMatchObject({ state: 'cleared', clearedBy: 'system', clearedAt: new Date(sec(90)).toISOString() });
    expect(store.notifications.map((n) => n.event)).toEqual(['alarm.raised', 'alarm.cleared']);
  });

  it('operator ack and clear go through the lifecycle; an unknown id is a 404', async () => {
    const { store, service, clock } = setup();
    const { alarm } = await service.raise({
      deviceId: 'ap-1',
      kind: 'wifi-ap',
      rule: 'down',
      severity: 'critical',
      label: { vi: 'a', en: 'b' },
      details: {},
      at: sec(0),
    });
    clock.now = sec(120);
    const acked = await service.acknowledge(alarm.id, 'op-1', null);
    expect(acked.acknowledgedAt).toBe(new Date(sec(120)).toISOString());
    await expect(service.acknowledge(alarm.id, 'op-2', null)).rejects.toMatchObject({ code: 'ALARM_ACKNOWLEDGED' });
    clock.now = sec(300);
    expect((await service.clear(alarm.id, 'op-1', 'fixed')).clearedAt).toBe(new Date(sec(300)).toISOString());
    await expect(service.clear(999, 'op', null)).rejects.toMatchObject({ statusCode: 404 });
    expect(store.notifications.map((n) => n.event)).toEqual(['alarm.raised', 'alarm.acknowledged', 'alarm.cleared']);
  });

  it('raises an offline alarm only after afterS, not for a flapping device, and clears it when the device is back', async () => {
    const { store, evaluator, service } = setup();
    const list = [
      { deviceId: 'ap-1', kind: 'wifi-ap', since: sec(0) },
      { deviceId: 'ap-2', kind: 'wifi-ap', since: sec(0) },
    ];
    const flapping = (id: string): boolean => id === 'ap-2';
    // wifi-ap "down": afterS 600 by default.
    expect(evaluator.onOffline(list, sec(599), flapping)).toEqual([]);
    await service.apply(evaluator.onOffline(list, sec(600), flapping));
    expect(store.alarms.map((a) => a.deviceId)).toEqual(['ap-1']);
    // Still offline at the next sweep: no second alarm, not even an occurrence.
    expect(evaluator.onOffline(list, sec(630), flapping)).toEqual([]);
    await service.apply(evaluator.onOnline('ap-1', 'wifi-ap', sec(700)));
    expect(store.alarms[0]).toMatchObject({ state: 'cleared', clearReason: 'device is back online' });
  });

  it('threshold and deviation rules need consecutive readings to raise and to clear', async () => {
    const { store, evaluator, service } = setup();
    const ap = { kind: 'wifi-ap', asset: {} };
    for (const [i, loss] of [30, 30, 5, 30, 30, 30].entries()) await service.apply(evaluator.onTelemetry('ap-1', ap, sec(i), { packetLoss: loss }));
    expect(store.alarms.filter((a) => a.rule === 'packetLoss')).toHaveLength(1);
    expect(store.alarms[0]?.raisedAt).toBe(new Date(sec(5)).toISOString());
    for (const [i, loss] of [1, 1].entries()) await service.apply(evaluator.onTelemetry('ap-1', ap, sec(10 + i), { packetLoss: loss }));
    expect(store.alarms[0]?.state).toBe('active');
    await service.apply(evaluator.onTelemetry('ap-1', ap, sec(12), { packetLoss: 1 }));
    expect(store.alarms[0]?.state).toBe('cleared');

    // Energy anomaly: a 150 W luminaire at 60 % should draw 90 W; 140 W is 56 % over (tolerance 30 %).
    const lamp = { kind: 'streetlight', asset: { ratedPowerW: 150 } };
    for (let i = 0; i < 3; i++) await service.apply(evaluator.onTelemetry('sl-9', lamp, sec(20 + i), { power: 140, level: 60 }));
    expect(store.alarms.find((a) => a.rule === 'energyAnomaly')?.details).toMatchObject({ expected: 90, value: 140 });
    // Dimmed to 0 nothing is judged (no clear, no raise).
    expect(evaluator.onTelemetry('sl-9', lamp, sec(30), { power: 0, level: 0 })).toEqual([]);
  });

  it('validates operator overrides: unknown rules, unknown params and bad values are refused', () => {
    expect(() => validateOverride('wifi-ap', 'down', { afterS: 60 })).not.toThrow();
    expect(() => validateOverride('wifi-ap', 'nope', {})).toThrow(/does not exist/);
    expect(() => validateOverride('wifi-ap', 'down', { metric: 3 })).toThrow(/not a tunable/);
    expect(() => validateOverride('wifi-ap', 'packetLoss', { consecutive: 0 })).toThrow(/integer ≥ 1/);
    const rules = effectiveRules([{ kind: 'wifi-ap', rule: 'down', enabled: null, severity: 'warning', params: { afterS: 60 } }]);
    expect(rules.find((r) => r.rule === 'down' && r.kind === 'wifi-ap')).toMatchObject({
      severity: 'warning',
      trigger: { type: 'offline', afterS: 60 },
      overridden: true,
    });
  });
});

describe('flapping detector (fake time)', () => {
  it('flags a device after more than N changes in the window, once, and settles after a quiet window', () => {
    const f = new FlapDetector({ maxChanges: 4, windowMs: 60_000 });
    const started = [0, 5, 10, 15, 20, 25, 30].map((s) => f.record('d1', sec(s)));
    expect(started).toEqual([false, false, false, false, true, false, false]);
    expect(f.isFlapping('d1')).toBe(true);
    // Changes spread wider than the window never flap.
    for (let i = 0; i < 10; i++) expect(f.record('d2', sec(i * 20))).toBe(false);
    expect(f.settle(sec(89))).toEqual([]);
    expect(f.settle(sec(90))).toEqual(['d1']);
    expect(f.isFlapping('d1')).toBe(false);
  });
});
