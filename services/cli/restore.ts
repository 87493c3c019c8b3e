/**
 * `npm run restore -- <backup folder> [--passphrase-file FILE] [--force]`: restores into the configured store and data
 * folder with the service stopped, then prints every table's row count against the backup's (exit 1 on a difference).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { restoreBackup } from '../backup/restore.service.ts';
import { createLogger } from '../common/logger.ts';
import { ConfigError, loadConfig } from '../config/config.ts';

const USAGE = 'usage: npm run restore -- <backup folder> [--passphrase-file FILE] [--force]';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'passphrase-file': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const config = loadConfig();
  const file = values['passphrase-file'];
  const r = await restoreBackup({
    config,
    dir: path.resolve(positionals[0]!),
    log: createLogger({ level: 'warn' }),
    passphrase: file ? readFileSync(file, 'utf8').replace(/\r?\n$/, '') : null,
    force: Boolean(values.force),
  });
  const width = Math.max(...r.tables.map((t) => t.table.length), 5);
  console.log(`${'table'.padEnd(width)}  ${'backup'.padStart(10)}  ${'restored'.padStart(10)}`);
  for (const t of r.tables)
    console.log(
      `${t.table.padEnd(width)}  ${String(t.expected).padStart(10)}  ${String(t.restored).padStart(10)}${t.expected === t.restored ? '' : '   ← DIFFERS'}`,
    );
  console.log(
    `${r.files} files restored; service key ${r.keyWritten ? 'written to secret.key' : 'already in place'}${r.movedAside ? `; the replaced database is kept at ${r.movedAside}` : ''}`,
  );
  console.log(r.ok ? "restore verified: every table has the backup's row count" : 'RESTORE INCOMPLETE: row counts differ');
  process.exit(r.ok ? 0 : 1);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `Restore failed: ${(err as Error).message}`);
  process.exit(1);
}
