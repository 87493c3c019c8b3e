import { describe, expect, it } from 'vitest';
import { addDecoded, emptyBatch } from '../../services/ingest/batch.ts';
import { batchDocuments } from '../../services/ingest/ingest.repository.ts';

const t = (s: number): Date => new Date(Date.parse('2026-12-01T00:00:00Z') + s * 1000);

describe('batch documents: latest state carried in telemetry rows (issue 12)', () => {
  it('sends each reading once when the state is the telemetry row plus enums and booleans', () => {
    const b = emptyBatch();
    addDecoded(
      b,
      'sl-1',
      { type: 'telemetry', time: t(1), numeric: { level: 40, power: 61.5, on: 1 }, state: { level: 40, power: 61.5, on: true, reason: 'program' } },
      t(2).toISOString(),
    );
    const { telemetry, states } = batchDocuments(b);
    expect(states).toBe('');
    expect(JSON.parse(telemetry)).toEqual([
      { time: t(1).toISOString(), deviceId: 'sl-1', data: { level: 40, power: 61.5, on: 1 }, x: { on: true, reason: 'program' }, lastSeen: t(2).toISOString() },
    ]);
    expect(telemetry.match(/61\.5/g)).toHaveLength(1);
  });

  it('falls back to a separate state row when the state cannot be rebuilt from the readings', () => {
    const b = emptyBatch();
    b.telemetry.push({ time: t(1).toISOString(), deviceId: 'sl-2', data: { level: 7 } });
    b.states.push({ deviceId: 'sl-2', state: { level: 8 }, stateAt: t(1).toISOString(), lastSeen: t(1).toISOString() });
    // A state row without a reading time (an event) and one of a device without telemetry in the batch.
    b.states.push({ deviceId: 'sl-3', state: {}, stateAt: null, lastSeen: t(1).toISOString() });
    const { telemetry, states } = batchDocuments(b);
    expect(JSON.parse(telemetry)).toEqual([{ time: t(1).toISOString(), deviceId: 'sl-2', data: { level: 7 } }]);
    expect(JSON.parse(states).map((s: { deviceId: string }) => s.deviceId)).toEqual(['sl-2', 'sl-3']);
  });

  it('carries one state per device, on the row of its newest reading, and leaves the batch unchanged', () => {
    const b = emptyBatch();
    addDecoded(b, 'sl-4', { type: 'telemetry', time: t(1), numeric: { level: 10, power: 5 }, state: { level: 10, power: 5 } }, t(1).toISOString());
    addDecoded(b, 'sl-4', { type: 'telemetry', time: t(2), numeric: { level: 20 }, state: { level: 20 } }, t(2).toISOString());
    const copy = structuredClone(b);
    const rows = JSON.parse(batchDocuments(b).telemetry) as { x?: unknown; time: string }[];
    expect(rows.map((r) => r.x ?? null)).toEqual([null, { power: 5 }]);
    expect(b).toEqual(copy);
  });

  it('keeps a `__proto__` key of a state as data', () => {
    const b = emptyBatch();
    const state = JSON.parse('{"level":1,"__proto__":{"x":1}}') as Record<string, unknown>;
    b.telemetry.push({ time: t(1).toISOString(), deviceId: 'sl-5', data: { level: 1 } });
    b.states.push({ deviceId: 'sl-5', state, stateAt: t(1).toISOString(), lastSeen: t(1).toISOString() });
    const rows = JSON.parse(batchDocuments(b).telemetry) as { x?: unknown }[];
    expect(JSON.stringify(rows[0]!.x)).toBe('{"__proto__":{"x":1}}');
  });
});
