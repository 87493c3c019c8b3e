import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthPollerOptions } from '../../services/cameras/health-poller.ts';
import { CameraHealthPoller } from '../../services/cameras/health-poller.ts';
import { silentLogger } from '../../services/common/logger.ts';
import type { MaintenanceRepository } from '../../services/maintenance/maintenance.repository.ts';
import { MaintenanceService } from '../../services/maintenance/maintenance.service.ts';

/** Jobs skip their ticks while another node holds their lease, and start within a second once it moves here. */
describe('cluster job gates', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2026-06-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('camera probes: none while the lease is elsewhere, the next within a second after it arrives', async () => {
    const probes: number[] = [];
    const driver: HealthPollerOptions['driver'] = {
      probe: async () => {
        probes.push(Date.now());
        return { clockOffsetMs: 0, cameraTime: new Date(), roundTripMs: 1 };
      },
      getSnapshot: async () => ({ bytes: Buffer.from([0xff, 0xd8, 0xff]), contentType: 'image/jpeg', fetchedAt: new Date() }),
    };
    let owned = false;
    const poller = new CameraHealthPoller({
      driver,
      cameras: [{ id: 'cam-1', connection: { address: 'http://127.0.0.1/cam-1', username: 'u', password: 'p' } }],
      probeIntervalMs: 30_000,
      snapshotIntervalMs: 0,
      owns: () => owned,
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probes).toEqual([]);
    owned = true;
    const movedAt = Date.now();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toHaveLength(1);
    expect(probes[0]! - movedAt).toBeLessThanOrEqual(1_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(probes).toHaveLength(2);
    await poller.stop();
  });

  it('maintenance: rollups and retention each run only where their own lease is held', async () => {
    const calls: string[] = [];
    const repo = {
      syncPolicies: async () => undefined,
      runTimescaleJobs: async () => void calls.push('timescale'),
      refreshPlainRollup: async () => void calls.push('rollup'),
      dropPlainRaw: async () => {
        calls.push('retention');
        return 0;
      },
    } as unknown as MaintenanceRepository;
    const held = new Set<string>(['retention']);
    const m = new MaintenanceService({
      repo,
      capabilities: { timescale: false, backgroundJobs: false },
      log: silentLogger(),
      intervalMs: 60_000,
      retentionDays: 30,
      compressAfterDays: 7,
      owns: (job) => held.has(job),
    });
    await m.runOnce();
    expect(calls).toEqual(['retention']);
    held.clear();
    await m.runOnce();
    expect(calls).toEqual(['retention']);
    held.add('rollups');
    await m.runOnce();
    expect(calls).toEqual(['retention', 'rollup']);
  });
});
