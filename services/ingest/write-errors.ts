/**
 * Why a batch write failed decides what happens to its messages (README "Delivery guarantee"):
 * - `data`: the database refused the rows themselves (SQLSTATE class 22 data exception, 23 integrity constraint
 *   violation): the batch is bisected, every row it accepts is stored and each row it refuses becomes a dead letter.
 * - `conflict`: the database aborted the transaction only to break a lock conflict (40001 serialization failure,
 *   40P01 deadlock): the same write is simply tried again.
 * - `unavailable`: everything else — connection lost (08), shutdown (57P), resources (53), read-only after a failover
 *   (25006) or a standby refusing writes, object in use (55000), I/O errors (58), a deadline passed, an unknown error
 *   without a code: the database cannot take writes now, whatever the rows; the batch goes to the disk spool.
 * An unknown class is never guessed to be about the data: that guess would turn valid messages into dead letters.
 */
export type WriteErrorClass = 'data' | 'conflict' | 'unavailable';

export function sqlState(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function classifyWriteError(err: unknown): WriteErrorClass {
  const code = sqlState(err);
  if (code === '40001' || code === '40P01') return 'conflict';
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return 'data';
  return 'unavailable';
}

/** The batch was not written in time (writer-slot wait included): the database is treated as unavailable. */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`database did not take the batch within ${ms} ms (writer-slot wait and write)`);
    this.name = 'DeadlineError';
  }
}
