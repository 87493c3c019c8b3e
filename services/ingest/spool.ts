import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Batch } from './batch.ts';

/**
 * Local disk spool for batches the database could not take. One file per batch, written to a temporary name,
 * fsynced, then renamed, so a crash never leaves a half-written batch that looks complete. Replay reads files in
 * name (= time) order.
 */
export class Spool {
  private readonly dir: string;
  private readonly poisonDir: string;
  private seq = 0;
  private pending: number;

  constructor(dir: string) {
    this.dir = dir;
    this.poisonDir = path.join(dir, 'poison');
    mkdirSync(this.poisonDir, { recursive: true });
    this.pending = this.files().length;
  }

  /** Batches waiting to be replayed. */
  get size(): number {
    return this.pending;
  }

  async append(batch: Batch): Promise<void> {
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(this.seq++).toString().padStart(8, '0')}.json`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(batch));
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, path.join(this.dir, name));
    this.pending++;
  }

  files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
  }

  async read(file: string): Promise<Batch> {
    return JSON.parse(await readFile(path.join(this.dir, file), 'utf8')) as Batch;
  }

  async remove(file: string): Promise<void> {
    await unlink(path.join(this.dir, file));
    this.pending = Math.max(0, this.pending - 1);
  }

  /** A batch the database keeps refusing for a reason other than an outage: kept aside, never deleted. */
  quarantine(file: string): void {
    renameSync(path.join(this.dir, file), path.join(this.poisonDir, file));
    this.pending = Math.max(0, this.pending - 1);
  }
}
