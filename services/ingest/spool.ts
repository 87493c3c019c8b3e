import { mkdirSync, readdirSync, renameSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { normalizeBatch, type Batch } from './batch.ts';

export interface SpoolLimits {
  /** Most bytes the spool folder may hold (waiting and quarantined batches together). */
  maxBytes: number;
  /** Free space the spool leaves on its filesystem, for the embedded database, logs and the rest of the machine. */
  minFreeBytes: number;
}

export type SpoolRefusal = 'max_bytes' | 'disk_floor' | 'write_error';

/** The spool could not take a batch: its messages get no PUBACK (the devices resend later). */
export class SpoolRefusedError extends Error {
  readonly reason: SpoolRefusal;
  constructor(reason: SpoolRefusal, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SpoolRefusedError';
    this.reason = reason;
  }
}

const UNLIMITED: SpoolLimits = { maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: 0 };

/**
 * Local disk spool for batches the database could not take. One file per batch, written to a temporary name,
 * fsynced, then renamed, so a crash never leaves a half-written batch that looks complete; a temporary file left by a
 * crash or a failed write (ENOSPC) is removed. Replay reads files in name (= time) order. Batches the database keeps
 * refusing are moved to `poison/` for an operator, never deleted.
 */
export class Spool {
  private readonly dir: string;
  private readonly poisonDir: string;
  private readonly limits: SpoolLimits;
  private seq = 0;
  private readonly sizes = new Map<string, number>();
  private waitingBytes = 0;
  private poisonBytes = 0;
  private poisonCount = 0;
  /** Bytes being written right now (counted against the cap before they land). */
  private reserved = 0;

  constructor(dir: string, limits: SpoolLimits = UNLIMITED) {
    this.dir = dir;
    this.limits = limits;
    this.poisonDir = path.join(dir, 'poison');
    mkdirSync(this.poisonDir, { recursive: true });
    this.removeTemporaryFiles();
    this.files();
  }

  /** Temporary files are never complete batches (the rename is the commit point): left over, they only waste space. */
  private removeTemporaryFiles(): void {
    for (const f of readdirSync(this.dir)) if (f.endsWith('.tmp')) unlinkSync(path.join(this.dir, f));
  }

  /** Batches waiting to be replayed. */
  get size(): number {
    return this.sizes.size;
  }

  /** Bytes of the batches waiting to be replayed. */
  get bytes(): number {
    return this.waitingBytes;
  }

  get quarantined(): { batches: number; bytes: number } {
    return { batches: this.poisonCount, bytes: this.poisonBytes };
  }

  /** Appends a batch durably, or refuses it (cap, free-disk floor, write error) without leaving anything behind. */
  async append(batch: Batch): Promise<void> {
    const data = JSON.stringify(batch);
    const n = Buffer.byteLength(data);
    this.checkRoom(n);
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(this.seq++).toString().padStart(8, '0')}.json`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    this.reserved += n;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      renameSync(tmp, path.join(this.dir, name));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new SpoolRefusedError('write_error', `spool write failed: ${(err as Error).message}`, err);
    } finally {
      this.reserved -= n;
    }
    this.sizes.set(name, n);
    this.waitingBytes += n;
  }

  private checkRoom(n: number): void {
    const used = this.waitingBytes + this.poisonBytes + this.reserved;
    if (used + n > this.limits.maxBytes) {
      throw new SpoolRefusedError('max_bytes', `spool full: ${used} of ${this.limits.maxBytes} bytes (SW_SPOOL_MAX_BYTES) in use`);
    }
    if (this.limits.minFreeBytes > 0) {
      const fs = statfsSync(this.dir);
      const free = fs.bavail * fs.bsize;
      if (free - n < this.limits.minFreeBytes) {
        throw new SpoolRefusedError(
          'disk_floor',
          `disk almost full: ${free} bytes free, the spool keeps ${this.limits.minFreeBytes} free (SW_SPOOL_MIN_FREE_BYTES)`,
        );
      }
    }
  }

  /**
   * Waiting batch files, oldest first. Also takes in files this process did not write (an operator moving a quarantined
   * batch back from poison/ to retry it) and recounts poison/, so the sizes and the cap stay true.
   */
  files(): string[] {
    const list = readdirSync(this.dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
    for (const f of list) {
      if (this.sizes.has(f)) continue;
      const n = statSync(path.join(this.dir, f), { throwIfNoEntry: false })?.size ?? 0;
      this.sizes.set(f, n);
      this.waitingBytes += n;
    }
    let bytes = 0;
    let count = 0;
    for (const f of readdirSync(this.poisonDir)) {
      bytes += statSync(path.join(this.poisonDir, f), { throwIfNoEntry: false })?.size ?? 0;
      count++;
    }
    this.poisonBytes = bytes;
    this.poisonCount = count;
    return list;
  }

  async read(file: string): Promise<Batch> {
    return normalizeBatch(JSON.parse(await readFile(path.join(this.dir, file), 'utf8')) as Partial<Batch>);
  }

  async remove(file: string): Promise<void> {
    await unlink(path.join(this.dir, file));
    this.forget(file);
  }

  private forget(file: string): number {
    const n = this.sizes.get(file) ?? 0;
    this.sizes.delete(file);
    this.waitingBytes = Math.max(0, this.waitingBytes - n);
    return n;
  }

  /** A batch the database keeps refusing for a reason other than an outage: kept aside, never deleted. */
  quarantine(file: string): void {
    renameSync(path.join(this.dir, file), path.join(this.poisonDir, file));
    this.poisonBytes += this.forget(file);
    this.poisonCount++;
  }
}
