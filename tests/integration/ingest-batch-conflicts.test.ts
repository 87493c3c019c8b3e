import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { Metrics } from '../../services/common/metrics.ts';
import type { Db } from '../../services/db/db.ts';
import { migrate } from '../../services/db/migrator.ts';
import { emptyBatch, type Batch } from '../../services/ingest/batch.ts';
import { IngestRepository } from '../../services/ingest/ingest.repository.ts';
import { IngestService } from '../../services/ingest/ingest.service.ts';
import { Spool } from '../../services/ingest/spool.ts';
import { dbModes } from '../helpers/db-modes.ts';

const { modes } = await dbModes();
const DEVICES = Array.from({ length: 40 }, (_, i) => `sl-c${String(i).padStart(2, '0')}`);

/**
 * Regression tests for batches the database used to refuse as a whole: a device twice in one upsert, NUL characters,
 * lock-order deadlocks between concurrent writers, and one bad row poisoning the valid rows beside it.
 */
describe.each(modes.filter((m) => m.name !== 'timescale-container'))('ingest batches that used to be refused ($name)', (mode) => {
  let db: Db;
  let drop: () => Promise<void>;
  let repo: IngestRepository;
  let dir: string;

  beforeAll(async () => {
    ({ db, drop } = await mode.open());
    await migrate(db, silentLogger());
    for (const id of DEVICES) {
      await db.query(`INSERT INTO devices (id, kind, name, ward_code) VALUES ($1, 'streetlight', $1, '00001')`, [id]);
    }
    repo = new IngestRepository(db);
    dir = mkdtempSync(path.join(tmpdir(), 'sw-ingest-'));
  }, 60_000);
  afterAll(async () => {
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const service = (metrics = new Metrics()): IngestService =>
    new IngestService({
      repo,
      spool: new Spool(path.join(dir, `spool-${Math.random().toString(36).slice(2)}`)),
      log: silentLogger(),
      metrics,
      batchRows: 10_000,
      batchWaitMs: 5,
      replayIntervalMs: 60_000,
      limits: { maxPayloadBytes: 65536, maxFutureSkewMs: 300_000, maxAgeMs: 365 * 86400_000 },
    });

  it('stores several state rows of one device in one batch, the newest reading winning key by key', async () => {
    const b: Batch = emptyBatch();
    const id = DEVICES[0]!;
    b.states.push({ deviceId: id, state: { dim: 30, power: 10 }, stateAt: '2026-11-20T10:00:02.000Z', lastSeen: '2026-11-20T10:00:02.000Z' });
    b.states.push({ deviceId: id, state: { dim: 20, lux: 5 }, stateAt: '2026-11-20T10:00:01.000Z', lastSeen: '2026-11-20T10:00:03.000Z' });
    b.states.push({ deviceId: id, state: {}, stateAt: null, lastSeen: '2026-11-20T10:00:04.000Z' });
    await repo.writeBatch(b);
    const r = await db.query<{ state: Record<string, number>; state_at: Date; last_seen: Date }>(
      `SELECT state, state_at, last_seen FROM device_state WHERE device_id = $1`,
      [id],
    );
    expect(r.rows[0]!.state).toEqual({ dim: 30, power: 10, lux: 5 });
    expect(r.rows[0]!.state_at.toISOString()).toBe('2026-11-20T10:00:02.000Z');
    expect(r.rows[0]!.last_seen.toISOString()).toBe('2026-11-20T10:00:04.000Z');
  });

  it('stores the latest state carried inside telemetry rows exactly as a separate state row would be (issue 12)', async () => {
    // The writer sends a device's merged state inside its telemetry row (readings once, plus what telemetry does not
    // store) when it can be rebuilt from it, else separately: every mix of the two must give the same stored state.
    const [a, b2, c, d, e] = DEVICES.slice(30, 35) as [string, string, string, string, string];
    const at = (s: number): string => new Date(Date.parse('2026-11-25T10:00:00Z') + s * 1000).toISOString();
    // e already holds a newer reading (a replayed, older message must not hide it).
    const before: Batch = emptyBatch();
    before.telemetry.push({ time: at(9), deviceId: e, data: { level: 90 } });
    before.states.push({ deviceId: e, state: { level: 90, reason: 'sensor' }, stateAt: at(9), lastSeen: at(9) });
    await repo.writeBatch(before);

    const batch: Batch = emptyBatch();
    const tel = (deviceId: string, s: number, data: Record<string, number>, state: Record<string, unknown>, seen = s): void => {
      batch.telemetry.push({ time: at(s), deviceId, data });
      batch.states.push({ deviceId, state, stateAt: at(s), lastSeen: at(seen) });
    };
    // a: two messages, the later one without `power`, then an event (moves last_seen only).
    tel(a, 1, { level: 10, power: 5 }, { level: 10, power: 5, reason: 'program' });
    tel(a, 2, { level: 20 }, { level: 20, reason: 'override' });
    batch.events.push({ time: at(3), deviceId: a, event: 'lampFailure', active: true, severity: 'critical', data: {} });
    batch.states.push({ deviceId: a, state: {}, stateAt: null, lastSeen: at(3) });
    // b: a boolean reading (telemetry 1, state true) and a redelivered copy of the same message.
    tel(b2, 1, { on: 1, level: 3 }, { on: true, level: 3 });
    tel(b2, 1, { on: 1, level: 3 }, { on: true, level: 3 });
    // c: status info at the same instant as a reading: the state holds more than the telemetry row.
    tel(c, 1, { level: 5 }, { level: 5 });
    batch.states.push({ deviceId: c, state: { status: { firmware: '1.2' } }, stateAt: at(1), lastSeen: at(1) });
    // d: a state whose values differ from the readings of the same instant (not rebuildable from them: sent on its own).
    batch.telemetry.push({ time: at(1), deviceId: d, data: { level: 7 } });
    batch.states.push({ deviceId: d, state: { level: 8 }, stateAt: at(1), lastSeen: at(1) });
    // e: older than what is stored.
    tel(e, 1, { level: 1, power: 2 }, { level: 1, power: 2, reason: 'program' });
    const r = await repo.writeBatch(batch);
    expect(r.telemetryInserted).toBe(6);

    const rows = await db.query<{ device_id: string; state: Record<string, unknown>; state_at: Date; last_seen: Date }>(
      `SELECT device_id, state, state_at, last_seen FROM device_state WHERE device_id = ANY($1) ORDER BY device_id`,
      [[a, b2, c, d, e]],
    );
    const got = Object.fromEntries(
      rows.rows.map((x) => [x.device_id, { state: x.state, stateAt: x.state_at.toISOString(), lastSeen: x.last_seen.toISOString() }]),
    );
    expect(got).toEqual({
      [a]: { state: { level: 20, power: 5, reason: 'override' }, stateAt: at(2), lastSeen: at(3) },
      [b2]: { state: { on: true, level: 3 }, stateAt: at(1), lastSeen: at(1) },
      [c]: { state: { level: 5, status: { firmware: '1.2' } }, stateAt: at(1), lastSeen: at(1) },
      [d]: { state: { level: 8 }, stateAt: at(1), lastSeen: at(1) },
      [e]: { state: { level: 90, power: 2, reason: 'sensor' }, stateAt: at(9), lastSeen: at(9) },
    });
    const t = await db.query<{ device_id: string; data: Record<string, number> }>(
      `SELECT device_id, data FROM telemetry WHERE device_id = ANY($1) AND time >= '2026-11-25T10:00:00Z' AND time < '2026-11-25T10:00:05Z' ORDER BY device_id, time`,
      [[a, b2, c, d, e]],
    );
    expect(t.rows.map((x) => [x.device_id, x.data])).toEqual([
      [a, { level: 10, power: 5 }],
      [a, { level: 20 }],
      [b2, { on: 1, level: 3 }],
      [c, { level: 5 }],
      [d, { level: 7 }],
      [e, { level: 1, power: 2 }],
    ]);
    // Written again (a replay of the same batch): nothing new, nothing changed.
    expect((await repo.writeBatch(batch)).telemetryInserted).toBe(0);
    const again = await db.query(`SELECT device_id, state, state_at, last_seen FROM device_state WHERE device_id = ANY($1) ORDER BY device_id`, [
      [a, b2, c, d, e],
    ]);
    expect(again.rows).toEqual(rows.rows);
  });

  it('stores text with NUL characters (escaped) instead of refusing the batch', async () => {
    const b: Batch = emptyBatch();
    const id = DEVICES[1]!;
    b.deadLetters.push({
      receivedAt: '2026-11-20T10:00:00.000Z',
      deviceId: id,
      topic: `sw/v1/${id}/te\u0000lemetry`,
      reasonCode: 'schema',
      reason: 'bad \u0000 field',
      payload: 'x',
      payloadSize: 1,
    });
    b.events.push({
      time: '2026-11-20T10:00:00.000Z',
      deviceId: id,
      event: 'lamp_fault',
      active: true,
      severity: 'major',
      data: { note: 'a\u0000b', ['k\u0000']: 1 },
    });
    b.telemetry.push({ time: '2026-11-20T10:00:00.000Z', deviceId: id, data: { power: 42 } });
    await repo.writeBatch(b);
    const dl = await db.query<{ topic: string; reason: string }>(`SELECT topic, reason FROM dead_letters WHERE device_id = $1`, [id]);
    expect(dl.rows[0]).toEqual({ topic: `sw/v1/${id}/te\\u0000lemetry`, reason: 'bad \\u0000 field' });
    const ev = await db.query<{ data: Record<string, unknown> }>(`SELECT data FROM device_events WHERE device_id = $1`, [id]);
    expect(ev.rows[0]!.data).toEqual({ note: 'a\\u0000b', 'k\\u0000': 1 });
    const t = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1`, [id]);
    expect(t.rows[0]!.n).toBe(1);
  });

  it('runs concurrent batches touching the same devices in opposite orders without losing any', async () => {
    const metrics = new Metrics();
    const ing = service(metrics);
    const shuffled = (seed: number): string[] =>
      [...DEVICES].sort(
        (a, b) =>
          ((a.charCodeAt(4) * seed + a.charCodeAt(5)) % 7) - ((b.charCodeAt(4) * seed + b.charCodeAt(5)) % 7) ||
          (seed % 2 ? a.localeCompare(b) : b.localeCompare(a)),
      );
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 12; round++) {
      const b: Batch = emptyBatch();
      const t0 = Date.parse('2026-11-21T00:00:00Z') + round * 60_000;
      shuffled(round + 1).forEach((id, i) => {
        const time = new Date(t0 + i).toISOString();
        b.telemetry.push({ time, deviceId: id, data: { power: round } });
        b.states.push({ deviceId: id, state: { power: round }, stateAt: time, lastSeen: time });
        b.statuses.push({ time, deviceId: id, online: round % 2 === 0, reason: 'test' });
      });
      writes.push(repoWrite(ing, b));
    }
    await Promise.all(writes);
    const t = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE time >= '2026-11-21' AND time < '2026-11-22'`);
    expect(t.rows[0]!.n).toBe(12 * DEVICES.length);
    expect(ing.spooling).toBe(false);
    await ing.stop();
  });

  it('keeps every valid row of a batch when the database refuses one row, and dead-letters that row', async () => {
    const metrics = new Metrics();
    const ing = service(metrics);
    const b: Batch = emptyBatch();
    const id = DEVICES[2]!;
    for (let i = 0; i < 9; i++)
      b.telemetry.push({ time: new Date(Date.parse('2026-11-22T00:00:00Z') + i * 1000).toISOString(), deviceId: id, data: { power: i } });
    // An instant PostgreSQL cannot represent: the row passes JSON checks but the database refuses it.
    b.telemetry.push({ time: '294277-01-01T00:00:00.000Z', deviceId: id, data: { power: 99 } });
    await repoWrite(ing, b);
    const t = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND time >= '2026-11-22' AND time < '2026-11-23'`, [
      id,
    ]);
    expect(t.rows[0]!.n).toBe(9);
    const dl = await db.query<{ reason_code: string; payload: string }>(
      `SELECT reason_code, payload FROM dead_letters WHERE device_id = $1 AND reason_code = 'storage-refused'`,
      [id],
    );
    expect(dl.rows).toHaveLength(1);
    expect(dl.rows[0]!.payload).toContain('294277');
    expect(await metrics.total('sw_ingest_storage_refused_total')).toBe(1);
    await ing.stop();
  });
});

/** Writes a batch through the service's write path (retries, bisection), as a flush of buffered messages would. */
const repoWrite = (ing: IngestService, b: Batch): Promise<unknown> => ing.writeResilient(b);
