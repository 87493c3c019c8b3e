import { describe, expect, it } from 'vitest';
import { serviceGaps, tally, unknownSpans, type DeviceTimeline } from '../../services/health/uptime/uptime-math.ts';

const M = 60_000;
const T = Date.UTC(2026, 2, 10, 0, 0);
const at = (min: number): number => T + min * M;

describe('service gaps: while no service ran, device time is unknown, not down (issue 10)', () => {
  it('are the holes between the union of the runs, after the first recorded start, up to now', () => {
    const runs = [
      { startedAt: at(10), stoppedAt: at(30), heartbeatAt: at(30) },
      { startedAt: at(25), stoppedAt: null, heartbeatAt: at(40) }, // crashed: ends at its last heartbeat
      { startedAt: at(50), stoppedAt: null, heartbeatAt: at(99) }, // running now
    ];
    expect(serviceGaps(runs, { from: at(0), to: at(120) }, at(100), 3 * M)).toEqual([{ from: at(40), to: at(50) }]);
    // A window that begins inside a gap is cut at its start; the future is not a gap.
    expect(serviceGaps(runs, { from: at(45), to: at(200) }, at(100), 3 * M)).toEqual([{ from: at(45), to: at(50) }]);
    // A run whose heartbeat went silent long ago is not running now.
    expect(serviceGaps(runs, { from: at(0), to: at(120) }, at(110), 3 * M)).toEqual([
      { from: at(40), to: at(50) },
      { from: at(99), to: at(110) },
    ]);
    expect(serviceGaps([], { from: at(0), to: at(120) }, at(100), 3 * M)).toEqual([]);
  });

  it('a restart no longer counts as device downtime: the gap and the reconnect after it are unknown', () => {
    // Up since before the window; the service stops at 10:00 (the broker writes "offline" as it closes), starts again
    // at 10:20, the device reconnects at 10:21.
    const t: DeviceTimeline = {
      initial: true,
      changes: [
        { at: at(600) + 100, online: false },
        { at: at(621), online: true },
      ],
      installedAt: null,
      maintenance: [],
    };
    const window = { from: at(540), to: at(660) };
    const before = tally(window, at(700), t);
    expect(before.downS).toBe(21 * 60 - 0.1);
    const gaps = [{ from: at(600), to: at(620) }];
    const after = tally(window, at(700), { ...t, unknown: unknownSpans(gaps, t.changes, 5 * M) });
    expect(after).toMatchObject({ upS: 60 * 60 + 39 * 60, downS: 0, unknownS: 21 * 60 });
  });

  it('a device that stays down after the restart is down again after the reconnect grace', () => {
    const t: DeviceTimeline = { initial: false, changes: [], installedAt: null, maintenance: [] };
    const unknown = unknownSpans([{ from: at(0), to: at(10) }], t.changes, 5 * M);
    expect(unknown).toEqual([{ from: at(0), to: at(15) }]);
    expect(tally({ from: at(0), to: at(60) }, at(60), { ...t, unknown })).toMatchObject({ unknownS: 15 * 60, downS: 45 * 60 });
  });

  it('unknown wins over planned maintenance', () => {
    const t: DeviceTimeline = {
      initial: true,
      changes: [],
      installedAt: null,
      maintenance: [{ from: at(0), to: at(30) }],
      unknown: [{ from: at(20), to: at(40) }],
    };
    expect(tally({ from: at(0), to: at(60) }, at(60), t)).toMatchObject({ maintenanceS: 20 * 60, unknownS: 20 * 60, upS: 20 * 60 });
  });
});
