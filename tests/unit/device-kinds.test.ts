import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, getKind, kindNames } from '../../devices/index.ts';
import { DEVICE_ID_RE } from '../../services/broker/topics.ts';

const kinds = DEVICE_KINDS.map((k) => [k.name, k] as const);

describe('device kind declarations', () => {
  it('have unique names and unique id prefixes', () => {
    const names = DEVICE_KINDS.map((k) => k.name);
    const prefixes = DEVICE_KINDS.map((k) => k.idPrefix);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    expect(kindNames()).toEqual(names);
    for (const n of names) expect(getKind(n)?.name).toBe(n);
    expect(getKind('toaster')).toBeUndefined();
  });

  it.each(kinds)('%s: id prefix yields valid device ids and both labels are set', (_n, k) => {
    expect(DEVICE_ID_RE.test(`${k.idPrefix}-000123`)).toBe(true);
    expect(k.label.vi.length).toBeGreaterThan(0);
    expect(k.label.en.length).toBeGreaterThan(0);
  });

  it.each(kinds)('%s: every metric has a unit string, and a meaning and sane bounds where numeric', (_n, k) => {
    expect(Object.keys(k.telemetry).length).toBeGreaterThan(0);
    for (const [name, spec] of Object.entries(k.telemetry)) {
      const where = `${k.name}.${name}`;
      expect(typeof spec.unit, where).toBe('string');
      expect(spec.doc.length, where).toBeGreaterThan(0);
      switch (spec.type) {
        case 'number':
        case 'integer':
          expect(['gauge', 'counter'], where).toContain(spec.meaning);
          // Every number has a finite declared range (issue 10: a counter at 1e308 was accepted).
          expect(Number.isFinite(spec.min) && Number.isFinite(spec.max), where).toBe(true);
          expect(spec.min, where).toBeLessThan(spec.max);
          // Counters only grow from zero; a negative counter would make server-side deltas meaningless.
          if (spec.meaning === 'counter') expect(spec.min, where).toBe(0);
          break;
        case 'boolean':
          expect(spec.unit, where).toBe('');
          break;
        case 'enum':
          expect(spec.values.length, where).toBeGreaterThan(0);
          expect(new Set(spec.values).size, where).toBe(spec.values.length);
          break;
        case 'string':
          expect(spec.maxLength, where).toBeGreaterThan(0);
          break;
      }
    }
  });

  it.each(kinds)('%s: every event has a severity and says whether it is a fault', (_n, k) => {
    for (const [name, e] of Object.entries(k.events)) {
      expect(['info', 'warning', 'critical'], name).toContain(e.severity);
      expect(typeof e.fault, name).toBe('boolean');
    }
  });

  it.each(kinds)('%s: every command schema compiles, refuses unknown params and has an ack timeout', (_n, k) => {
    for (const [name, c] of Object.entries(k.commands)) {
      const validator = Compile(c.params);
      // Compiled and dynamic checks must agree, and an unexpected property must never slip through to a device.
      const stray = { __unexpected: true };
      expect(validator.Check(stray), name).toBe(false);
      expect(Value.Check(c.params, stray), name).toBe(false);
      expect(c.ackTimeoutS, name).toBeGreaterThan(0);
      expect(c.doc.length, name).toBeGreaterThan(0);
    }
  });

  it('command schemas accept valid params and refuse invalid ones (spot checks)', () => {
    const setLevel = Compile(getKind('streetlight')?.commands.setLevel?.params ?? {});
    expect(setLevel.Check({ level: 40, rampS: 5, reason: 'override', expiresAt: '2026-03-10T22:00:00+07:00' })).toBe(true);
    expect(setLevel.Check({ level: 101 })).toBe(false);
    expect(setLevel.Check({ level: 40, expiresAt: 'tonight' })).toBe(false);
    const play = Compile(getKind('speaker')?.commands.play?.params ?? {});
    expect(play.Check({ broadcastId: 'b', url: 'https://x/y.mp3', sha256: 'f'.repeat(64), priority: 'emergency' })).toBe(true);
    expect(play.Check({ broadcastId: 'b', url: 'https://x/y.mp3', sha256: 'F'.repeat(64), priority: 'emergency' })).toBe(false);
  });

  it.each(kinds)('%s: reporting interval is within the maximum interval', (_n, k) => {
    expect(k.health.reportIntervalS).toBeGreaterThan(0);
    expect(k.health.reportIntervalS).toBeLessThanOrEqual(k.health.maxReportIntervalS);
    expect(k.health.missedReportsOffline).toBeGreaterThan(1);
  });
});
