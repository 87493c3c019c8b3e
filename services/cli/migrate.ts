import { lockDataDir } from '../common/data-dir-lock.ts';
import { createLogger } from '../common/logger.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { migrate } from '../db/migrator.ts';
import { openDatabase } from '../db/open.ts';

/** `npm run migrate`: applies pending migrations to the configured database and exits non-zero on failure. */
try {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel });
  // The embedded database must not be opened beside a running service (PostgreSQL needs no lock: it has its own).
  const lock = config.databaseUrl ? null : lockDataDir(config.dataDir, log);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, log });
  try {
    const r = await migrate(db, log);
    console.log(`${db.description}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'} (version ${r.current})`);
  } finally {
    await db.close();
    lock?.release();
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `Migration failed: ${(err as Error).message}`);
  process.exit(1);
}
