/**
 * Province link at ward scale: one export pass of a ward's registry (3,000 streetlights, 60 WiFi points, 30 clusters,
 * 20 cameras) into the outbox, the exporter delivering it to the local NGSI-LD stand-in over loopback HTTP, and an
 * unchanged second pass (nothing to send), side by side. Also the ingest cost of hashing personal fields of WiFi
 * session events (HMAC-SHA256), against passing the same events through untouched.
 *
 *   npm run bench:province                 # PostgreSQL at SW_BENCH_PG_URL (default the local server), else embedded
 *   SW_BENCH_DB=embedded npm run bench:province
 *
 * Prints a Markdown table (copied into BENCHMARKS.md, "Province link export").
 */
import os from 'node:os';
import { silentLogger } from '../services/common/logger.ts';
import { Metrics } from '../services/common/metrics.ts';
import type { Db } from '../services/db/db.ts';
import { migrate } from '../services/db/migrator.ts';
import { openPg } from '../services/db/pg-driver.ts';
import { openPglite } from '../services/db/pglite-driver.ts';
import { getKind } from '../devices/index.ts';
import { protectEventData } from '../services/ingest/personal-data.ts';
import { OutboxExporter } from '../services/province/exporter.ts';
import { ProvinceRepository } from '../services/province/province.repository.ts';
import { ProvinceService } from '../services/province/province.service.ts';
import { NgsiLdUpstream } from '../services/province/upstream.ts';
import { ProvinceStandIn } from '../simulators/province/stand-in.ts';
import { createScratchDatabase, PG_ADMIN_URL } from '../tests/helpers/db-modes.ts';

const COUNTS: [string, string, number][] = [
  ['streetlight', 'sl', 3000],
  ['wifi-ap', 'ap', 60],
  ['speaker', 'spk', 30],
  ['camera', 'cam', 20],
];
const WARD = { code: '22366', name: 'Phường Phước Long', timezone: 'Asia/Ho_Chi_Minh' };

async function openDb(): Promise<{ db: Db; label: string; drop: () => Promise<void> }> {
  const log = silentLogger();
  if (process.env.SW_BENCH_DB !== 'embedded') {
    try {
      const s = await createScratchDatabase(process.env.SW_BENCH_PG_URL ?? PG_ADMIN_URL);
      const db = await openPg({ url: s.url, poolSize: 4, log });
      return {
        db,
        label: `PostgreSQL (${db.flavour}, local server)`,
        drop: async () => {
          await db.close();
          await s.drop();
        },
      };
    } catch (err) {
      console.warn(`PostgreSQL unreachable (${(err as Error).message}); using the embedded database`);
    }
  }
  const db = await openPglite({ dataDir: null, log });
  return { db, label: 'embedded PGlite + TimescaleDB (WASM, in-process)', drop: () => db.close() };
}

async function main(): Promise<void> {
  const { db, label, drop } = await openDb();
  const standIn = new ProvinceStandIn({ token: 'bench-token-0123456789' });
  await standIn.start();
  try {
    await migrate(db, silentLogger());
    for (const [kind, prefix, n] of COUNTS) {
      const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
      await db.query(
        `INSERT INTO devices (id, kind, name, ward_code, lat, lon) SELECT id, $2, id, $3, 12.2 + random() / 50, 109.18 + random() / 50 FROM unnest($1::text[]) AS id`,
        [ids, kind, WARD.code],
      );
      await db.query(
        `INSERT INTO device_state (device_id, state, state_at, online) SELECT id, '{"level": 70, "power": 60}'::jsonb, now(), true FROM unnest($1::text[]) AS id`,
        [ids],
      );
    }
    const total = COUNTS.reduce((s, c) => s + c[2], 0);
    const repo = new ProvinceRepository(db);
    const exporter = new OutboxExporter({
      repo,
      upstream: new NgsiLdUpstream({ baseUrl: standIn.url, token: 'bench-token-0123456789', tenant: '' }),
      log: silentLogger(),
      metrics: new Metrics(),
      retryBaseMs: 1000,
      retryMaxMs: 10_000,
      pollMs: 50,
    });
    const service = new ProvinceService({
      repo,
      exporter,
      log: silentLogger(),
      metrics: new Metrics(),
      ward: WARD,
      broadcasts: () => undefined,
      audio: () => undefined,
      indicators: () => undefined,
      audioHosts: [],
    });

    const t0 = performance.now();
    const first = await service.exportSnapshot();
    const enqueueMs = performance.now() - t0;
    const t1 = performance.now();
    exporter.start();
    for (;;) {
      if ((await repo.backlog()).pending === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deliverMs = performance.now() - t1;
    await exporter.stop();
    const t2 = performance.now();
    const second = await service.exportSnapshot();
    const unchangedMs = performance.now() - t2;

    // Ingest's hashing of personal fields: 100,000 portal-login events, with and without protection.
    const kind = getKind('wifi-ap');
    const key = Buffer.alloc(32, 1);
    const events = Array.from({ length: 100_000 }, (_, i) => ({
      sessionId: `s${i}`,
      mac: `02:00:00:${(i >> 16).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      phone: `09${String(i).padStart(8, '0')}`,
      method: 'sms',
      consentVersion: 'v1',
    }));
    let sink = 0;
    const h0 = performance.now();
    for (const d of events) sink += Object.keys({ ...d }).length;
    const plainMs = performance.now() - h0;
    const h1 = performance.now();
    for (const d of events) sink += Object.keys(protectEventData(kind, 'portalLogin', d, key)).length;
    const hashMs = performance.now() - h1;

    console.log(`\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; database: ${label}\n`);
    console.log('| Step | Entities | Time | Rate |');
    console.log('|---|---:|---:|---:|');
    console.log(
      `| Export pass into the outbox (build + change check + insert) | ${first.enqueued} of ${first.devices} | ${enqueueMs.toFixed(0)} ms | ${Math.round((first.enqueued / enqueueMs) * 1000)} /s |`,
    );
    console.log(
      `| Exporter delivers to the stand-in (batches of 100, loopback HTTP) | ${standIn.entities.size} | ${deliverMs.toFixed(0)} ms | ${Math.round((standIn.entities.size / deliverMs) * 1000)} /s |`,
    );
    console.log(`| Second pass, nothing changed | ${second.enqueued} of ${second.devices} | ${unchangedMs.toFixed(0)} ms | — |`);
    console.log(
      `| 100,000 portal logins through ingest's field protection: untouched copy vs HMAC of mac + phone | 100000 | ${plainMs.toFixed(0)} ms vs ${hashMs.toFixed(0)} ms | ${((hashMs * 1000) / 100_000).toFixed(1)} µs/event |`,
    );
    if (standIn.entities.size !== total) throw new Error(`stand-in holds ${standIn.entities.size} entities, expected ${total}`);
    if (sink < 0) console.log(sink);
  } finally {
    await standIn.stop();
    await drop();
  }
}

await main();
