/**
 * `npm run backup [-- --out DIR] [--passphrase-file FILE]`: a backup of the configured store and the data folder's
 * files (docs/operations.md). The embedded store is backed up by the running service itself when it runs (asked over
 * its control socket), and read directly when it is stopped; PostgreSQL/TimescaleDB is dumped online with pg_dump.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBackup, type BackupResult } from '../backup/backup.service.ts';
import { askService, controlSocketPath, socketPathUsable } from '../backup/control-socket.ts';
import { totalRows, type Manifest } from '../backup/manifest.ts';
import { createLogger } from '../common/logger.ts';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { lockDataDir } from '../common/data-dir-lock.ts';
import { openDatabase } from '../db/open.ts';

const USAGE = 'usage: npm run backup -- [--out DIR] [--passphrase-file FILE] [--service-stopped]';

export const readPassphrase = (file: string | undefined): string | null => (file ? readFileSync(file, 'utf8').replace(/\r?\n$/, '') : null);

async function embeddedBackup(config: Config, outDir: string, passphrase: string | null, stoppedFlag: boolean): Promise<BackupResult> {
  if (!socketPathUsable(config.dataDir) && !stoppedFlag) {
    throw new Error(
      `cannot tell whether the service runs on ${config.dataDir} (path too long for ${controlSocketPath(config.dataDir)}): stop it and add --service-stopped`,
    );
  }
  const reply = await askService(config.dataDir, { op: 'backup', passphrase, outDir });
  if (reply) {
    if (!reply.ok) throw new Error(`the running service could not take the backup: ${reply.error}`);
    console.log('taken online by the running service');
    return reply as unknown as BackupResult;
  }
  return direct(config, outDir, passphrase);
}

async function direct(config: Config, outDir: string, passphrase: string | null): Promise<BackupResult> {
  const log = createLogger({ level: 'warn' });
  // Reading the embedded store directly is safe only while no service has it open (a service that is starting included).
  const lock = config.databaseUrl ? null : lockDataDir(config.dataDir, log);
  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, log });
    try {
      return await createBackup({ config, db, log, passphrase, online: Boolean(config.databaseUrl), outDir });
    } finally {
      await db.close();
    }
  } finally {
    lock?.release();
  }
}

function summary(dir: string, m: Manifest): string {
  const key = m.key.sealed
    ? 'service key sealed in the backup (needs the passphrase to restore)'
    : `service key NOT in the backup: keep ${m.key.source === 'config' ? 'SW_SECRET_KEY' : 'secret.key'} yourself (fingerprint ${m.key.fingerprint ?? 'none'}); a restore needs it`;
  return [
    `backup written: ${dir}`,
    `  database  ${m.database.flavour}, ${(m.database.bytes / 1e6).toFixed(1)} MB, ${Object.keys(m.database.tables).length} tables, ${totalRows(m.database.tables)} rows`,
    `  files     ${m.files.length} (${(m.files.reduce((s, f) => s + f.bytes, 0) / 1e6).toFixed(1)} MB: snapshots, audio, spool)`,
    `  key       ${key}`,
    '  copy the folder off this machine: a backup on the same disk is no backup',
  ].join('\n');
}

try {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'passphrase-file': { type: 'string' }, 'service-stopped': { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const config = loadConfig();
  const outDir = path.resolve(values.out ?? config.backupDir);
  const passphrase = readPassphrase(values['passphrase-file']);
  const r = config.databaseUrl
    ? await direct(config, outDir, passphrase)
    : await embeddedBackup(config, outDir, passphrase, Boolean(values['service-stopped']));
  console.log(summary(r.dir, r.manifest));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `Backup failed: ${(err as Error).message}\n${USAGE}`);
  process.exit(1);
}
