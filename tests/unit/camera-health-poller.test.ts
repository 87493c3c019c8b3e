import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../services/common/errors.ts';
import type { CameraConnection, ProbeResult, Snapshot } from '../../services/cameras/camera-driver.ts';
import { CameraHealthPoller } from '../../services/cameras/health-poller.ts';
import type { CameraCheckReport, CameraStatusChange, HealthPollerOptions } from '../../services/cameras/health-poller.ts';

type Behaviour = 'ok' | 'refused' | 'hang-ignoring-abort' | 'hang-honouring-abort';

const conn = (id: string): CameraConnection => ({ address: `http://127.0.0.1/${id}`, username: 'u', password: 'p' });
const T0 = Date.parse('2026-06-01T00:00:00Z');

/** A strict fake driver: behaviour per camera, records every call with its start time and the overlap it saw. */
function fakeDriver(behaviour: Record<string, Behaviour>) {
  const calls: { id: string; kind: string; at: number }[] = [];
  const active = new Map<string, number>();
  let maxOverlap = 0;
  const run = <T>(cam: CameraConnection, kind: string, signal: AbortSignal | undefined, value: T): Promise<T> => {
    const id = cam.address.split('/').pop() ?? '';
    calls.push({ id, kind, at: Date.now() });
    active.set(id, (active.get(id) ?? 0) + 1);
    maxOverlap = Math.max(maxOverlap, active.get(id) ?? 0);
    const done = () => active.set(id, (active.get(id) ?? 1) - 1);
    const b = behaviour[id] ?? 'ok';
    const p = new Promise<T>((resolve, reject) => {
      switch (b) {
        case 'ok':
          setTimeout(() => resolve(value), 50);
          return;
        case 'refused':
          setTimeout(() => reject(new AppError('CAMERA_UNREACHABLE', 503, `camera ${id} refused`)), 10);
          return;
        case 'hang-honouring-abort':
          signal?.addEventListener('abort', () => reject(new AppError('CAMERA_TIMEOUT', 504, 'aborted')));
          return;
        case 'hang-ignoring-abort':
          return;
      }
    });
    p.then(done, done);
    return p;
  };
  const driver: HealthPollerOptions['driver'] = {
    probe: (cam, o) => run<ProbeResult>(cam, 'probe', o?.signal, { clockOffsetMs: 42, cameraTime: new Date(), roundTripMs: 5 }),
    getSnapshot: (cam, o) =>
      run<Snapshot>(cam, 'snapshot', o?.signal, { bytes: Buffer.from([0xff, 0xd8, 0xff]), contentType: 'image/jpeg', fetchedAt: new Date() }),
  };
  return { driver, calls, behaviour, maxOverlap: () => maxOverlap };
}

function makePoller(ids: string[], driver: HealthPollerOptions['driver'], extra: Partial<HealthPollerOptions> = {}) {
  const statuses: CameraStatusChange[] = [];
  const reports: CameraCheckReport[] = [];
  const poller = new CameraHealthPoller({
    driver,
    cameras: ids.map((id) => ({ id, connection: conn(id) })),
    probeIntervalMs: 10_000,
    probeTimeoutMs: 3_000,
    snapshotIntervalMs: 0,
    offlineAfterFailures: 3,
    onStatus: (s) => statuses.push(s),
    onProbe: (r) => reports.push(r),
    ...extra,
  });
  return { poller, statuses, reports };
}

describe('camera health poller state machine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports first contact once and stays quiet while the camera stays healthy', async () => {
    const f = fakeDriver({});
    const { poller, statuses, reports } = makePoller(['a'], f.driver);
    poller.start();
    await vi.advanceTimersByTimeAsync(35_000);
    expect(statuses).toEqual([{ cameraId: 'a', online: true, reason: 'first contact', at: new Date(T0 + 50) }]);
    expect(reports.map((r) => r.startedAt.getTime() - T0)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(reports.every((r) => r.ok && r.clockOffsetMs === 42 && r.clockSkewed === false)).toBe(true);
    await poller.stop();
  });

  it('goes offline after N consecutive failures and back online with reason "recovered"', async () => {
    const f = fakeDriver({});
    const { poller, statuses } = makePoller(['a'], f.driver);
    poller.start();
    await vi.advanceTimersByTimeAsync(1_000);
    f.behaviour.a = 'refused';
    await vi.advanceTimersByTimeAsync(20_000); // failures at 10 s and 20 s: still online
    expect(statuses.map((s) => s.online)).toEqual([true]);
    expect(poller.health('a')).toMatchObject({ status: 'online', consecutiveFailures: 2 });
    await vi.advanceTimersByTimeAsync(10_000); // third failure at 30 s
    expect(statuses[1]).toEqual({
      cameraId: 'a',
      online: false,
      reason: 'CAMERA_UNREACHABLE: camera a refused',
      errorCode: 'CAMERA_UNREACHABLE',
      at: new Date(T0 + 30_010),
    });
    await vi.advanceTimersByTimeAsync(10_000); // still failing: no repeated offline event
    expect(statuses).toHaveLength(2);
    f.behaviour.a = 'ok';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(statuses[2]).toMatchObject({ cameraId: 'a', online: true, reason: 'recovered', at: new Date(T0 + 50_050) });
    expect(poller.health('a')).toMatchObject({ status: 'online', consecutiveFailures: 0 });
    await poller.stop();
  });

  it('goes offline after offlineAfterMs without success even before N failures', async () => {
    const f = fakeDriver({});
    const { poller, statuses } = makePoller(['a'], f.driver, { offlineAfterFailures: 10, offlineAfterMs: 25_000 });
    poller.start();
    await vi.advanceTimersByTimeAsync(1_000);
    f.behaviour.a = 'refused';
    await vi.advanceTimersByTimeAsync(25_000); // fails at 10 s, 20 s: 20 s since the last success
    expect(statuses.filter((s) => !s.online)).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000); // fails at 30 s: 30 s since the success at 0.05 s
    expect(statuses.filter((s) => !s.online).map((s) => s.at.getTime() - T0)).toEqual([30_010]);
    await poller.stop();
  });

  it('times out a hanging camera without delaying another one, and never overlaps calls to it', async () => {
    const f = fakeDriver({ hung: 'hang-ignoring-abort' });
    const { poller, statuses, reports } = makePoller(['hung', 'ok'], f.driver);
    poller.start();
    await vi.advanceTimersByTimeAsync(45_000);
    const okStarts = reports.filter((r) => r.cameraId === 'ok').map((r) => r.startedAt.getTime() - T0);
    expect(okStarts).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    const hung = reports.filter((r) => r.cameraId === 'hung');
    // The first call is abandoned at the 3 s timeout; later checks are skipped while it is still stuck.
    expect(hung.map((r) => [r.finishedAt.getTime() - T0, r.errorCode])).toEqual([
      [3_000, 'CAMERA_TIMEOUT'],
      [10_000, 'CAMERA_TIMEOUT'],
      [20_000, 'CAMERA_TIMEOUT'],
      [30_000, 'CAMERA_TIMEOUT'],
      [40_000, 'CAMERA_TIMEOUT'],
    ]);
    expect(f.calls.filter((c) => c.id === 'hung')).toHaveLength(1);
    expect(statuses).toContainEqual(expect.objectContaining({ cameraId: 'hung', online: false, at: new Date(T0 + 20_000) }));
    await poller.stop();
  });

  it('calls a hanging camera that honours abort once per interval, one call at a time', async () => {
    const f = fakeDriver({ hung: 'hang-honouring-abort' });
    const { poller, reports } = makePoller(['hung'], f.driver, { probeTimeoutMs: 9_000 });
    poller.start();
    await vi.advanceTimersByTimeAsync(40_000);
    expect(f.calls.map((c) => c.at - T0)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(reports.map((r) => r.durationMs)).toEqual([9_000, 9_000, 9_000, 9_000]);
    expect(f.maxOverlap()).toBe(1);
    await poller.stop();
  });

  it('runs snapshot checks at their own interval, serially after the probe, and hands over the image', async () => {
    const f = fakeDriver({});
    const { poller, reports } = makePoller(['a'], f.driver, { snapshotIntervalMs: 30_000 });
    poller.start();
    await vi.advanceTimersByTimeAsync(65_000);
    const snaps = reports.filter((r) => r.kind === 'snapshot');
    expect(snaps.map((r) => r.startedAt.getTime() - T0)).toEqual([50, 30_050, 60_050]);
    expect(snaps[0]?.snapshot?.contentType).toBe('image/jpeg');
    expect(f.maxOverlap()).toBe(1);
    await poller.stop();
  });

  it('keeps polling when a status callback throws', async () => {
    const f = fakeDriver({});
    const { poller, reports } = makePoller(['a'], f.driver, {
      onStatus: () => {
        throw new Error('database down');
      },
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(reports).toHaveLength(3);
    await poller.stop();
  });

  it('leaves no timers behind after stop(), even with a check in flight', async () => {
    const f = fakeDriver({ hung: 'hang-honouring-abort' });
    const { poller } = makePoller(['hung', 'ok'], f.driver);
    poller.start();
    await vi.advanceTimersByTimeAsync(1_000);
    await poller.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('flags a camera whose clock is further off than clockSkewWarnMs', async () => {
    const f = fakeDriver({});
    const { poller, reports } = makePoller(['a'], f.driver, { clockSkewWarnMs: 10 });
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(reports[0]).toMatchObject({ ok: true, clockOffsetMs: 42, clockSkewed: true });
    await poller.stop();
  });
});
