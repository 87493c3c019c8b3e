import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { getKind } from '../../devices/index.ts';
import { decodeMessage } from '../../services/ingest/decoder.ts';
import { GARBAGE_VARIANTS, garbagePayload } from '../../simulators/mqtt/garbage.ts';
import { minuteProgram, parseAmount, parseFaultSpec, pickDevices } from '../../simulators/mqtt/faults.ts';
import { LatencyHistogram } from '../../simulators/mqtt/latency.ts';
import { nameplateFor } from '../../simulators/mqtt/models/registry.ts';
import { streetlightModel } from '../../simulators/mqtt/models/streetlight.model.ts';
import { SimulatedDevice } from '../../simulators/mqtt/simulated-device.ts';

const LIMITS = { maxPayloadBytes: 16384, maxFutureSkewMs: 5 * 60_000, maxAgeMs: 730 * 86400_000 };
const MIDNIGHT = Date.parse('2026-03-10T00:00:00+07:00');

/** Devices are only constructed (no connection is opened until connect()). */
const device = (id: string, kind: string): SimulatedDevice => new SimulatedDevice({ brokerUrl: 'mqtt://127.0.0.1:1', deviceId: id, secret: 'x', kind });

describe('fault amounts and specs', () => {
  it('reads counts, percentages and fractions', () => {
    expect(parseAmount('12')).toEqual({ count: 12 });
    expect(parseAmount('5%')).toEqual({ fraction: 0.05 });
    expect(parseAmount('0.25')).toEqual({ fraction: 0.25 });
    expect(parseFaultSpec('lamp-failure=1%')).toEqual({ fault: 'lamp-failure', amount: { fraction: 0.01 } });
  });

  it('refuses unknown faults, missing and impossible amounts with a message', () => {
    expect(() => parseFaultSpec('meteor=3')).toThrow(/unknown fault 'meteor'/);
    expect(() => parseFaultSpec('garbage')).toThrow(/needs an amount/);
    expect(() => parseAmount('150%')).toThrow(/between 0 and 1/);
    expect(() => parseAmount('lots')).toThrow(/not an amount/);
  });
});

describe('choosing devices for a fault', () => {
  const fleet = [
    ...Array.from({ length: 20 }, (_, i) => device(`sl-${i}`, 'streetlight')),
    ...Array.from({ length: 5 }, (_, i) => device(`ap-${i}`, 'wifi-ap')),
    ...Array.from({ length: 5 }, (_, i) => device(`spk-${i}`, 'speaker')),
  ];

  it('only picks kinds that have the fault, by fraction of those', () => {
    const lamps = pickDevices(fleet, 'lamp-failure', { fraction: 0.5 }, new Set());
    expect(lamps).toHaveLength(10);
    expect(lamps.every((d) => d.kind.name === 'streetlight')).toBe(true);
    // supply-loss exists for lights (supplyLoss) and speaker clusters (mainsLost), not for APs.
    const supply = pickDevices(fleet, 'supply-loss', { count: 100 }, new Set());
    expect(new Set(supply.map((d) => d.kind.name))).toEqual(new Set(['streetlight', 'speaker']));
    expect(supply.map((d) => d.faultFor('supply-loss'))).toContain('mainsLost');
  });

  it('hits the same devices on a repeated run and skips those already affected', () => {
    const a = pickDevices(fleet, 'garbage', { count: 4 }, new Set()).map((d) => d.deviceId);
    const b = pickDevices(fleet, 'garbage', { count: 4 }, new Set()).map((d) => d.deviceId);
    expect(a).toEqual(b);
    const more = pickDevices(fleet, 'garbage', { count: 4 }, new Set(a)).map((d) => d.deviceId);
    expect(more.filter((id) => a.includes(id))).toEqual([]);
  });
});

describe('garbage payloads', () => {
  it('are each refused by the service decoder (so they are dead-lettered, never stored)', () => {
    const kind = getKind('streetlight');
    const codes = GARBAGE_VARIANTS.map((v) => {
      const p = garbagePayload(v, 7);
      const r = decodeMessage(kind, 'telemetry', Buffer.isBuffer(p) ? p : Buffer.from(p), new Date(), LIMITS);
      return r.ok ? 'accepted' : r.code;
    });
    expect(codes).toEqual(['MALFORMED_JSON', 'NOT_AN_OBJECT', 'UNKNOWN_FIELD', 'WRONG_TYPE', 'MALFORMED_JSON']);
  });
});

describe('the flapping test program', () => {
  it('is a valid setProgram for streetlights, and a light running it changes level every minute', () => {
    const now = MIDNIGHT + 20 * 3_600_000 + 30_000; // 20:00:30 local
    const program = minuteProgram(now);
    expect(Value.Check(getKind('streetlight')?.commands.setProgram?.params ?? {}, program)).toBe(true);
    expect(program.steps[0]?.at).toBe('20:01');
    let s = streetlightModel.init({ seed: 5, now, firmware: 't' });
    const r = streetlightModel.command(s, 'setProgram', program as unknown as Record<string, unknown>, now);
    if (!r.ok) throw new Error(r.error);
    s = r.state;
    // Half-way through each of the next four minutes (20:01:30 …): steps have no ramp and cycle 100, 70, 50, 30.
    const levels = [1, 2, 3, 4].map((m) => streetlightModel.programInfo?.(streetlightModel.advance(s, now + m * 60_000).state).level);
    expect(levels).toEqual([100, 70, 50, 30]);
  });
});

describe('streetlight day burner and nameplate', () => {
  it('burns at full power while its program says off, and reports the fault as lampUnexpectedOn', () => {
    const noon = MIDNIGHT + 12 * 3_600_000;
    const s = streetlightModel.init({ seed: 11, now: noon, firmware: 't' });
    const off = streetlightModel.metrics(s);
    expect(off.level).toBe(0);
    expect(off.power as number).toBeLessThan(1);
    const burning = streetlightModel.metrics({ ...s, faults: { lampUnexpectedOn: true } });
    expect(burning.level).toBe(0);
    expect(burning.power as number).toBeGreaterThan(0.9 * s.ratedW);
    expect(streetlightModel.injectable['day-burner']).toBe('lampUnexpectedOn');
  });

  it('registers the rated power the model will draw', () => {
    for (const seed of [1, 2, 3, 99]) {
      expect(nameplateFor('streetlight', seed)).toEqual({ ratedPowerW: streetlightModel.init({ seed, now: 0, firmware: 't' }).ratedW });
    }
    expect(nameplateFor('wifi-ap', 1)).toEqual({});
  });
});

describe('latency histogram', () => {
  it('reports percentiles within one bucket (~13 %) of the exact value, never below it', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i);
    expect(h.count).toBe(1000);
    for (const [p, exact] of [
      [0.5, 500],
      [0.99, 990],
    ] as const) {
      expect(h.percentile(p)).toBeGreaterThanOrEqual(exact);
      expect(h.percentile(p)).toBeLessThanOrEqual(exact * 1.13);
    }
    expect(h.max).toBe(1000);
    const copy = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(h)) as ReturnType<LatencyHistogram['toJSON']>);
    expect(copy.percentile(0.99)).toBe(h.percentile(0.99));
    h.reset();
    expect(h.percentile(0.5)).toBe(0);
  });
});
