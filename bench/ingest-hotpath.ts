/**
 * Ingest's hot path in one process, without sockets or a database (issue 12): 2,000 streetlight telemetry payloads
 * decoded (bounded parse, cleaning, validation), added to a batch, and the batch turned into the JSON documents the
 * writer sends. Prints µs per message (median and best of 15 rounds of 5 batches).
 *
 *   npx tsx bench/ingest-hotpath.ts [TREE]   TREE: another checkout of this repository (default: this one), for before/after
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as DevicesModule from '../devices/index.ts';
import type * as BatchModule from '../services/ingest/batch.ts';
import type { Batch } from '../services/ingest/batch.ts';
import type * as DecoderModule from '../services/ingest/decoder.ts';
import { ROOT } from './lib/report.ts';

const root = path.resolve(process.argv[2] ?? ROOT);
const load = <T>(rel: string): Promise<T> => import(pathToFileURL(path.join(root, rel)).href) as Promise<T>;
const { decodeMessage } = await load<typeof DecoderModule>('services/ingest/decoder.ts');
const { getKind } = await load<typeof DevicesModule>('devices/index.ts');
const batch = await load<typeof BatchModule>('services/ingest/batch.ts');
const repo = await load<{ batchDocuments?: (b: Batch) => unknown }>('services/ingest/ingest.repository.ts');
// Trees before issue 12 had no batchDocuments: the two documents were stringified separately.
const documents = repo.batchDocuments ?? ((b: Batch) => [JSON.stringify(b.telemetry), JSON.stringify(batch.mergeStates(b.states))]);

const kind = getKind('streetlight');
const limits = { maxPayloadBytes: 65536, maxFutureSkewMs: 300_000, maxAgeMs: 365 * 86400_000 };
const now = Date.now();
const r1 = (v: number, d: number): number => Number(v.toFixed(d));
const payloads = Array.from({ length: 2000 }, (_, i) =>
  Buffer.from(
    JSON.stringify({
      ts: now - 1000 + i,
      seq: i,
      metrics: {
        level: 50,
        targetLevel: 50,
        voltage: r1(229 + Math.random(), 1),
        current: r1(0.5 + Math.random() / 10, 3),
        power: r1(118 + Math.random(), 1),
        powerFactor: r1(0.95 + Math.random() / 100, 3),
        energy: r1(12345 + Math.random(), 3),
        operatingHours: r1(2345 + Math.random(), 2),
        switchCount: 1234,
        temperature: r1(35 + Math.random(), 1),
        rssi: -71,
        reason: 'program',
      },
    }),
  ),
);
const received = new Date(now);

function once(): void {
  const b = batch.emptyBatch();
  for (let i = 0; i < payloads.length; i++) {
    const r = decodeMessage(kind, 'telemetry', payloads[i]!, received, limits);
    if (!r.ok) throw new Error(r.reason);
    batch.addDecoded(b, `bench-sl-${i}`, r.value, batch.isoTime(now));
  }
  documents(b);
}

for (let k = 0; k < 3; k++) once();
const rounds: number[] = [];
for (let k = 0; k < 15; k++) {
  const t0 = performance.now();
  for (let j = 0; j < 5; j++) once();
  rounds.push(((performance.now() - t0) * 1000) / (5 * payloads.length));
}
rounds.sort((a, b) => a - b);
console.log(`${root}: ${rounds[7]!.toFixed(2)} µs per message (median), best ${rounds[0]!.toFixed(2)}`);
