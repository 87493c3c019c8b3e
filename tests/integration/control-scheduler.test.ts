import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../services/db/db.ts';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';
import { rowCount } from './control-helpers.ts';

const { modes } = await dbModes();

interface Run {
  occurrenceAt: string;
  status: string;
  latenessMs: number | null;
  claimedBy: string;
  detail: Record<string, unknown>;
}

describe.each(modes)('scheduler on $name', (mode) => {
  let db: Db;
  let url: string | null;
  let drop: () => Promise<void>;
  let t: TestApp;

  /** Another service process on the same database: its own pool on PostgreSQL, the shared instance on embedded. */
  const another = (): Promise<TestApp> => startTestApp(url ? { databaseUrl: url } : { db });

  beforeAll(async () => {
    const opened = await mode.open();
    ({ db, url, drop } = opened);
    t = await startTestApp({ db });
    await t.provision('wifi-ap', 'ap-sched');
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const schedule = async (app: TestApp, body: Record<string, unknown>): Promise<string> => {
    const r = await app.http<{ id: string; error?: unknown }>('POST', '/api/v1/schedules', {
      token: app.adminToken,
      body: { command: { name: 'reboot', target: { type: 'device', id: 'ap-sched' }, ttlS: 60 }, ...body },
    });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.id;
  };
  const runs = async (id: string): Promise<Run[]> => (await t.http<{ runs: Run[] }>('GET', `/api/v1/schedules/${id}`, { token: t.adminToken })).body.runs;
  const fired = (app: TestApp): Promise<number> => app.app.metrics.value('sw_scheduler_runs_total', { job: 'command.send', outcome: 'fired' });

  it('fires a schedule on time (its timer, not a minute-long poll) and records the command it sent', async () => {
    const at = Date.now() + 2500;
    const id = await schedule(t, { id: 'on-time', startAt: new Date(at).toISOString() });
    const done = await waitFor(async () => (await runs(id)).find((r) => r.status === 'fired'), 10_000);
    // A timer fires it: lateness is event-loop delay only. Bound loosely so a loaded CI machine does not fail it,
    // yet far below the 60 s a polling scheduler would show.
    expect(done.latenessMs).toBeLessThan(3000);
    expect(done.detail.commandId).toBe(`sch:on-time:${Math.floor(at / 1000)}`);
    const c = await db.query<{ created_at: Date }>('SELECT created_at FROM commands WHERE id = $1', [done.detail.commandId]);
    expect(new Date(c.rows[0]?.created_at ?? 0).getTime() - at).toBeLessThan(3000);
  });

  it('with two service processes on one database, each occurrence fires once', async () => {
    const t2 = await another();
    try {
      const before = (await fired(t)) + (await fired(t2));
      const base = Date.now() + 3000;
      const ids: string[] = [];
      // Both processes poll the same table; several occurrences fall due within a few hundred milliseconds.
      for (let i = 0; i < 10; i++) ids.push(await schedule(i % 2 ? t2 : t, { id: `twin-${i}`, startAt: new Date(base + (i % 5) * 200).toISOString() }));
      await waitFor(async () => (await rowCount(t, `SELECT 1 FROM schedule_runs WHERE schedule_id LIKE 'twin-%' AND status = 'fired'`)) >= 10, 15_000);
      await new Promise((r) => setTimeout(r, 2000));
      const perOccurrence = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schedule_runs WHERE schedule_id LIKE 'twin-%' GROUP BY schedule_id`);
      expect(perOccurrence.rows.map((r) => r.n)).toEqual(Array(10).fill(1));
      // Handlers ran once per occurrence in total, across both processes (a double claim would count twice).
      expect((await fired(t)) + (await fired(t2)) - before).toBe(10);
      expect(await rowCount(t, `SELECT 1 FROM commands WHERE id LIKE 'sch:twin-%'`)).toBe(10);
    } finally {
      await t2.close();
    }
  });

  it('across a restart: a missed occurrence inside its catch-up window fires once, an older one is skipped and logged', async () => {
    // Its own database: no other process may be running while this one is "down".
    const fresh = await mode.open();
    const open = (): Promise<TestApp> => startTestApp(fresh.url ? { databaseUrl: fresh.url } : { db: fresh.db });
    try {
      const a = await open();
      await a.provision('wifi-ap', 'ap-sched');
      const at = Date.now() + 2500;
      await schedule(a, { id: 'late-ok', startAt: new Date(at).toISOString(), catchUpS: 600 });
      await schedule(a, { id: 'late-skip', startAt: new Date(at).toISOString(), catchUpS: 1 });
      await a.close();
      // Stay down past the fire time, longer than the second schedule's 1 s window.
      await new Promise((r) => setTimeout(r, at - Date.now() + 2500));
      const b = await open();
      try {
        const runsOf = async (id: string): Promise<Run[]> =>
          (await b.http<{ runs: Run[] }>('GET', `/api/v1/schedules/${id}`, { token: b.adminToken })).body.runs;
        const ok = await waitFor(async () => (await runsOf('late-ok')).find((r) => r.status !== 'claimed'), 10_000);
        expect(ok.status).toBe('fired');
        expect(ok.latenessMs).toBeGreaterThan(2000);
        const skip = await waitFor(async () => (await runsOf('late-skip'))[0], 10_000);
        expect(skip).toMatchObject({ status: 'skipped', detail: { reason: 'older than the catch-up window' } });
        await new Promise((r) => setTimeout(r, 2000));
        expect((await runsOf('late-ok')).length).toBe(1);
        expect(await rowCount(b, `SELECT 1 FROM commands WHERE id LIKE 'sch:late-ok:%'`)).toBe(1);
        expect(await rowCount(b, `SELECT 1 FROM commands WHERE id LIKE 'sch:late-skip:%'`)).toBe(0);
      } finally {
        await b.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('refuses a bad schedule and stores nothing', async () => {
    const before = await rowCount(t, 'SELECT 1 FROM schedules');
    const bad = async (body: Record<string, unknown>): Promise<string> => {
      const r = await t.http<{ error: { code: string } }>('POST', '/api/v1/schedules', { token: t.adminToken, body });
      expect(r.status).toBe(400);
      return r.body.error.code;
    };
    const cmd = { name: 'reboot', target: { type: 'device', id: 'ap-sched' } };
    expect(await bad({ command: cmd, startAt: new Date().toISOString(), rrule: 'FREQ=DAILY;BYDAY=1MO' })).toBe('BAD_RRULE');
    expect(await bad({ command: cmd, startAt: new Date(Date.now() - 3_600_000).toISOString() })).toBe('START_IN_PAST');
    expect(await bad({ command: { ...cmd, target: { type: 'zone', id: 'nowhere' } }, startAt: new Date(Date.now() + 60_000).toISOString() })).toBe(
      'UNKNOWN_ZONE',
    );
    expect(await bad({ command: { name: 'setSsid', target: cmd.target, params: { ssid: '' } }, startAt: new Date(Date.now() + 60_000).toISOString() })).toBe(
      'INVALID_PARAMS',
    );
    expect(await rowCount(t, 'SELECT 1 FROM schedules')).toBe(before);
  });
});
