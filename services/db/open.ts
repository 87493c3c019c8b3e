import path from 'node:path';
import type { Logger } from '../common/logger.ts';
import type { Db } from './db.ts';
import { openPg } from './pg-driver.ts';
import { openPglite } from './pglite-driver.ts';

/** Picks the store from config: a PostgreSQL URL, or the embedded default under the data folder. */
export async function openDatabase(opts: { databaseUrl: string; dataDir: string; poolSize: number; log: Logger }): Promise<Db> {
  if (opts.databaseUrl) return openPg({ url: opts.databaseUrl, poolSize: opts.poolSize, log: opts.log });
  return openPglite({ dataDir: path.join(opts.dataDir, 'db'), log: opts.log });
}
