import { describe, expect, it } from 'vitest';
import { clash, findClashes, interruptions, type PlannedItem, type Priority } from '../../services/control/radio/priority.ts';
import { speakerModel } from '../../simulators/mqtt/models/speaker.model.ts';

const item = (id: string, priority: Priority, clusters: string[], windows: [number, number][]): PlannedItem => ({
  id,
  priority,
  clusters: new Set(clusters),
  windows: windows.map(([start, end]) => ({ start, end })),
});

describe('preemption rules (Circular 39/2020/TT-BTTTT)', () => {
  it('emergency preempts everything, priority preempts normal, equal priorities conflict', () => {
    const table: [Priority, Priority, string][] = [
      ['emergency', 'normal', 'preempts'],
      ['emergency', 'priority', 'preempts'],
      ['emergency', 'emergency', 'preempts'],
      ['priority', 'normal', 'preempts'],
      ['priority', 'priority', 'conflict'],
      ['priority', 'emergency', 'yields'],
      ['normal', 'normal', 'conflict'],
      ['normal', 'priority', 'yields'],
      ['normal', 'emergency', 'yields'],
    ];
    for (const [a, b, want] of table) expect(clash(a, b), `${a} vs ${b}`).toBe(want);
  });

  it('report a clash only on shared clusters at overlapping times, from its first meeting', () => {
    const mine = item(
      'new',
      'priority',
      ['c1', 'c2'],
      [
        [100, 200],
        [1000, 1100],
      ],
    );
    const others = [
      item('same-time-other-clusters', 'priority', ['c9'], [[100, 200]]),
      item('same-clusters-later', 'priority', ['c2'], [[200, 300]]),
      item(
        'clash',
        'priority',
        ['c2', 'c3', 'c1'],
        [
          [50, 120],
          [1050, 1060],
        ],
      ),
      item('normal-under', 'normal', ['c1'], [[1090, 1200]]),
      item('emergency-over', 'emergency', ['c2'], [[150, 160]]),
    ];
    expect(findClashes(mine, others)).toEqual([
      { otherId: 'clash', kind: 'conflict', firstAt: 100, clusters: ['c1', 'c2'] },
      { otherId: 'emergency-over', kind: 'yields', firstAt: 150, clusters: ['c2'] },
      { otherId: 'normal-under', kind: 'preempts', firstAt: 1090, clusters: ['c1'] },
    ]);
  });

  it('an emergency interrupts whatever airs on its clusters; a priority item only what is normal', () => {
    const airing = [
      { clusterId: 'c1', broadcastId: 'news', priority: 'normal' as const },
      { clusterId: 'c2', broadcastId: 'storm', priority: 'priority' as const },
    ];
    expect(interruptions('emergency', airing)).toEqual([
      { clusterId: 'c1', broadcastId: 'news' },
      { clusterId: 'c2', broadcastId: 'storm' },
    ]);
    expect(interruptions('priority', airing)).toEqual([{ clusterId: 'c1', broadcastId: 'news' }]);
    expect(interruptions('normal', airing)).toEqual([]);
  });

  it('the simulated cluster follows the same rules: a newer emergency cuts an older one and logs it', () => {
    const t0 = Date.UTC(2026, 10, 20, 3);
    const sha = 'a'.repeat(64);
    let s = speakerModel.init({ seed: 1, now: t0, firmware: 't' });
    const play = (id: string, priority: Priority, now: number) => {
      const r = speakerModel.command(s, 'play', { broadcastId: id, url: 'http://x/f', sha256: sha, priority, durationS: 60 }, now);
      if (r.ok) s = r.state;
      return r;
    };
    expect(play('news', 'normal', t0).ok).toBe(true);
    expect(play('news-2', 'normal', t0 + 1000)).toMatchObject({ ok: false, status: 'rejected' });
    const e1 = play('flood-1', 'emergency', t0 + 2000);
    expect(e1.ok && e1.events[0]?.data).toMatchObject({ broadcastId: 'news', result: 'preempted', preemptedBy: 'flood-1' });
    const e2 = play('flood-2', 'emergency', t0 + 3000);
    expect(e2.ok && e2.events[0]?.data).toMatchObject({ broadcastId: 'flood-1', result: 'preempted', preemptedBy: 'flood-2' });
    // The server-read length (durationS) decides when the airing ends.
    const end = speakerModel.advance(s, t0 + 3000 + 60_000);
    expect(end.events[0]?.data).toMatchObject({ broadcastId: 'flood-2', result: 'ok' });
  });
});
