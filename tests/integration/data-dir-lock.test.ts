import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../services/common/logger.ts';
import { DataDirBusyError, lockDataDir } from '../../services/common/data-dir-lock.ts';
import { createScratchDatabase, dbModes, PG_ADMIN_URL } from '../helpers/db-modes.ts';
import { startTestApp } from '../helpers/test-app.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Another process holding the lock (as a second `npm start` would), until it is killed. */
function holder(dir: string): Promise<{ pid: number; kill9: () => Promise<void> }> {
  const code = `const { lockDataDir } = await import(${JSON.stringify(path.join(ROOT, 'services/common/data-dir-lock.ts'))});
    lockDataDir(${JSON.stringify(dir)}, { warn() {} }); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('locked'))
        resolve({
          pid: child.pid!,
          kill9: () =>
            new Promise((r) => {
              child.once('exit', () => r());
              child.kill('SIGKILL');
            }),
        });
    });
    child.once('exit', (c) => reject(new Error(`lock holder exited early (${c})`)));
  });
}

describe('one service process per data folder', () => {
  it('refuses a second lock naming the holder, and a kill -9 of the holder leaves no stale lock', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sw-lock-'));
    dirs.push(dir);
    const h = await holder(dir);
    let err: unknown;
    try {
      lockDataDir(dir, silentLogger());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirBusyError);
    expect((err as Error).message).toContain(`pid ${h.pid}`);
    expect((err as Error).message).toContain(dir);
    await h.kill9();
    const lock = lockDataDir(dir, silentLogger());
    lock.release();
    lockDataDir(dir, silentLogger()).release();
  });

  it('a second service on the same data folder does not start', async () => {
    // On PostgreSQL when there is one (the embedded database starts slowly); the lock comes before either is opened.
    const { unavailable } = await dbModes();
    const scratch = unavailable.postgres ? null : await createScratchDatabase(PG_ADMIN_URL);
    const first = await startTestApp({ databaseUrl: scratch?.url ?? '' });
    try {
      await expect(startTestApp({ databaseUrl: scratch?.url ?? '', env: { SW_DATA_DIR: first.dataDir } })).rejects.toThrow(
        /is in use by another smartward process \(pid \d+/,
      );
    } finally {
      await first.close();
      await scratch?.drop();
    }
  });
});
