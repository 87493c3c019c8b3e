import { EventEmitter } from 'node:events';
import { onEvent, type ModuleEventMap } from '../../services/modules/events.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { CameraHealthRecorder } from '../../services/cameras/camera-health-recorder.ts';
import type { Batch } from '../../services/ingest/batch.ts';

const T0 = new Date('2026-06-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const SEVERITY: Record<string, string> = { unreachable: 'critical', authFailed: 'critical', snapshotFailed: 'warning' };

function setup(fail: () => boolean = () => false) {
  const written: Batch[] = [];
  const emitted: { name: string; payload: unknown; batchesWritten: number }[] = [];
  const events = new EventEmitter<ModuleEventMap>();
  for (const name of ['ingest.batch', 'device.status', 'camera.probe'] as const)
    onEvent(events, name, (payload) => emitted.push({ name, payload, batchesWritten: written.length }));
  const writeBatch = vi.fn(async (b: Batch) => {
    if (fail()) throw new Error('database down');
    written.push(structuredClone(b));
    return { telemetryInserted: b.telemetry.length, eventsInserted: b.events.length };
  });
  const rec = new CameraHealthRecorder({
    ingest: { writeBatch },
    events,
    severity: (e) => SEVERITY[e],
    log: silentLogger(),
    flushDelayMs: 10,
    retryDelayMs: 100,
  });
  return { rec, written, emitted, writeBatch };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('camera health recorder', () => {
  it('writes a fault only when it changes, clears faults known from before a restart, and ignores undeclared ones', async () => {
    const { rec, written } = setup();
    rec.knownFaults([{ deviceId: 'cam-1', event: 'authFailed' }]);
    rec.fault('cam-1', 'unreachable', true, at(0), { errorCode: 'CAMERA_TIMEOUT' });
    rec.fault('cam-1', 'unreachable', true, at(1));
    rec.fault('cam-1', 'snapshotFailed', false, at(2)); // never raised: nothing to clear
    rec.fault('cam-1', 'authFailed', false, at(3));
    rec.fault('cam-1', 'lensDirty', true, at(4));
    await rec.flush();
    expect(written.flatMap((b) => b.events).map((e) => [e.event, e.active, e.severity])).toEqual([
      ['unreachable', true, 'critical'],
      ['authFailed', false, 'critical'],
    ]);
    expect(rec.isActive('cam-1', 'unreachable')).toBe(true);
  });

  it('keeps telemetry times strictly increasing per camera and merges state rows of one camera in a batch', async () => {
    const { rec, written } = setup();
    rec.reading('cam-1', at(0), { rttMs: 4 }, { rttMs: 4 }, at(0));
    rec.reading('cam-1', at(0), { snapshotOk: 1 }, { snapshotOk: true }, at(0));
    rec.reading('cam-2', at(0), { rttMs: 9 }, { rttMs: 9 }, at(0));
    rec.reading('cam-2', at(5), { snapshotOk: 0 }, { snapshotOk: false }, undefined); // no contact known: no state
    await rec.flush();
    const b = written[0]!;
    expect(b.telemetry.filter((r) => r.deviceId === 'cam-1').map((r) => r.time)).toEqual([at(0).toISOString(), at(1).toISOString()]);
    // PostgreSQL refuses an upsert that touches one row twice ("ON CONFLICT DO UPDATE command cannot affect row a second time").
    expect(b.states.map((s) => s.deviceId)).toEqual(['cam-1', 'cam-2']);
    expect(b.states[0]).toMatchObject({ state: { rttMs: 4, snapshotOk: true }, stateAt: at(1).toISOString() });
    expect(b.states[1]).toMatchObject({ state: { rttMs: 9 } });
  });

  it('gathers rows for a moment and emits events only after their batch is committed', async () => {
    const { rec, written, emitted } = setup();
    rec.status('cam-1', false, 'probe-failed: CAMERA_UNREACHABLE', at(0));
    rec.probe({ cameraId: 'cam-1', kind: 'probe', ok: false, durationMs: 3, at: at(0), errorCode: 'CAMERA_UNREACHABLE' });
    expect(emitted).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(15);
    expect(written).toHaveLength(1);
    expect(written[0]!.statuses).toEqual([{ time: at(0).toISOString(), deviceId: 'cam-1', online: false, reason: 'probe-failed: CAMERA_UNREACHABLE' }]);
    expect(emitted.map((e) => [e.name, e.batchesWritten])).toEqual([
      ['ingest.batch', 1],
      ['device.status', 1],
      ['camera.probe', 1],
    ]);
  });

  it('keeps status changes and faults through a failed write and retries them; drops readings', async () => {
    let down = true;
    const { rec, written, emitted, writeBatch } = setup(() => down);
    rec.status('cam-1', false, 'probe-failed: CAMERA_TIMEOUT', at(0));
    rec.fault('cam-1', 'unreachable', true, at(0));
    rec.reading('cam-1', at(0), { rttMs: 1 }, { rttMs: 1 }, at(0));
    await vi.advanceTimersByTimeAsync(15);
    expect(writeBatch).toHaveBeenCalledTimes(1);
    expect(emitted).toHaveLength(0);
    down = false;
    await vi.advanceTimersByTimeAsync(150);
    expect(written).toHaveLength(1);
    expect(written[0]!.statuses).toHaveLength(1);
    expect(written[0]!.events).toHaveLength(1);
    expect(written[0]!.telemetry).toHaveLength(0);
    expect(emitted.map((e) => e.name)).toEqual(['ingest.batch', 'device.status']);
  });
});
