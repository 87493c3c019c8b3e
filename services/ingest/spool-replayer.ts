import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { batchSize, mergeBatches, type Batch } from './batch.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { Spool } from './spool.ts';

export interface ReplayOptions {
  spool: Spool;
  writer: BatchWriter;
  log: Logger;
  metrics: Metrics;
  /** Rows merged into one replay write (several small spool files become one transaction). */
  maxRows: number;
  /** Deadline of one replay write: nobody waits for its PUBACK, so it may be long (a slow database still drains). */
  writeTimeoutMs: number;
  /** Called with every batch once it is in the database (command acks, module listeners). */
  onWritten(batch: Batch): void;
  /** When the live path last committed a batch: proof the database takes writes, while a spooled file keeps failing. */
  lastDatabaseWriteAt(): number;
}

export interface ReplayPass {
  /** Files written to the database in this pass. */
  written: number;
  /** The spool was empty at the end of the pass. */
  drained: boolean;
  /** At least one write went through: the database takes writes. */
  databaseWrites: boolean;
}

/** A file refused this many times while other batches went through is not the database's fault: it is set aside. */
const STRIKES_TO_QUARANTINE = 3;
const MAX_FILES_PER_WRITE = 500;

const M = {
  quarantined: ['sw_ingest_spool_quarantined_total', 'Spooled batches set aside in spool/poison after failing while other batches were written'],
} as const;

/**
 * Moves spooled batches into the database, oldest first, several files per transaction. A failing group is retried one
 * file at a time in the same pass to tell a database that takes no writes (every file fails: stop, try later) from one
 * batch it keeps refusing while others go through (a strike; after three the file is quarantined in spool/poison, kept
 * for an operator and counted), so one bad batch never blocks the replay of the others.
 */
export class SpoolReplayer {
  private readonly o: ReplayOptions;
  private readonly strikes = new Map<string, number>();
  /** When each failing file last failed: a live commit since then shows the database takes writes. */
  private readonly failedAt = new Map<string, number>();

  constructor(o: ReplayOptions) {
    this.o = o;
  }

  async pass(): Promise<ReplayPass> {
    const started = Date.now();
    const out: ReplayPass = { written: 0, drained: false, databaseWrites: false };
    // Only what was spooled when the pass began: under steady load the spool may never be empty at one instant.
    const files = this.o.spool.files();
    const failed: { file: string; err: Error }[] = [];
    // Two files failed and none went through: the database takes no writes now (not one file's fault); next pass.
    const databaseAway = (): boolean => !out.databaseWrites && failed.length >= 2;
    for (let i = 0; i < files.length && !databaseAway();) {
      const group = await this.readGroup(files, i);
      i += group.consumed;
      if (!group.files.length) continue;
      const err = await this.writeFiles(group.files, group.batches);
      if (!err) {
        out.written += group.files.length;
        out.databaseWrites = true;
        continue;
      }
      if (group.files.length === 1) {
        failed.push({ file: group.files[0]!, err });
        continue;
      }
      // A merged write failed: one file at a time, to find out which (if any) the database refuses.
      for (let j = 0; j < group.files.length && !databaseAway(); j++) {
        const e = await this.writeFiles([group.files[j]!], [group.batches[j]!]);
        if (e) failed.push({ file: group.files[j]!, err: e });
        else {
          out.written++;
          out.databaseWrites = true;
        }
      }
    }
    for (const f of failed) {
      const since = this.failedAt.get(f.file) ?? started;
      this.failedAt.set(f.file, Date.now());
      if (out.databaseWrites || this.o.lastDatabaseWriteAt() >= since) this.strike(f.file, f.err);
    }
    out.drained = this.o.spool.size === 0;
    return out;
  }

  /** Consecutive files up to `maxRows` rows; unreadable files (not JSON) are quarantined on the spot. */
  private async readGroup(files: string[], from: number): Promise<{ files: string[]; batches: Batch[]; consumed: number }> {
    const group = { files: [] as string[], batches: [] as Batch[], consumed: 0 };
    let rows = 0;
    for (let i = from; i < files.length && group.files.length < MAX_FILES_PER_WRITE; i++) {
      const file = files[i]!;
      let b: Batch;
      try {
        b = await this.o.spool.read(file);
      } catch (err) {
        // Never a half-written batch (those stay .tmp files): a file that is not a batch at all. Kept aside, not retried.
        this.quarantine(file, err as Error, 'unreadable');
        group.consumed++;
        continue;
      }
      if (group.files.length > 0 && rows + batchSize(b) > this.o.maxRows) break;
      group.files.push(file);
      group.batches.push(b);
      group.consumed++;
      rows += batchSize(b);
    }
    return group;
  }

  /** Writes files as one transaction and removes them; the error when the database did not take them. */
  private async writeFiles(files: string[], batches: Batch[]): Promise<Error | null> {
    const merged = batches.length === 1 ? batches[0]! : mergeBatches(batches);
    try {
      await this.o.writer.write(merged, Date.now() + this.o.writeTimeoutMs);
    } catch (err) {
      // A write past its deadline may still be running: wait for it before the next one, so replay holds one connection.
      await this.o.writer.settleLate(this.o.writeTimeoutMs);
      return err as Error;
    }
    for (const f of files) {
      await this.o.spool.remove(f);
      this.strikes.delete(f);
      this.failedAt.delete(f);
    }
    this.o.onWritten(merged);
    return null;
  }

  private strike(file: string, err: Error): void {
    const n = (this.strikes.get(file) ?? 0) + 1;
    this.strikes.set(file, n);
    this.o.log.warn({ file, strikes: n, err }, 'spooled batch refused while others were written');
    if (n >= STRIKES_TO_QUARANTINE) this.quarantine(file, err, 'refused');
  }

  private quarantine(file: string, err: Error, why: 'refused' | 'unreadable'): void {
    try {
      this.o.spool.quarantine(file);
    } catch (e) {
      this.o.log.error({ err: e, file }, 'spooled batch could not be moved to spool/poison');
      return;
    }
    this.strikes.delete(file);
    this.failedAt.delete(file);
    this.o.metrics.inc(M.quarantined[0], M.quarantined[1], { reason: why });
    this.o.log.error(
      { file, err, reason: why },
      `spooled batch ${why === 'unreadable' ? 'unreadable' : `refused ${STRIKES_TO_QUARANTINE} times while others were written`}: moved to spool/poison for an operator`,
    );
  }
}
