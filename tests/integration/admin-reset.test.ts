/** `npm run admin:reset`: the CLI restores a lost, disabled or demoted administrator on a real PostgreSQL database. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRepository } from '../../services/auth/auth.repository.ts';
import { AuthService } from '../../services/auth/auth.service.ts';
import { silentLogger } from '../../services/common/logger.ts';
import type { Db } from '../../services/db/db.ts';
import { openPg } from '../../services/db/pg-driver.ts';
import { createScratchDatabase, dbModes } from '../helpers/db-modes.ts';

const run = promisify(execFile);

describe('npm run admin:reset', () => {
  let url: string | null = null;
  let drop: (() => Promise<void>) | undefined;
  let dataDir: string;
  let db: Db | undefined;

  beforeAll(async () => {
    const { modes, unavailable } = await dbModes();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-admin-reset-'));
    if (!modes.some((m) => m.name === 'postgres')) {
      console.warn(`[admin-reset] SKIPPED: needs the PostgreSQL server (${unavailable.postgres})`);
      return;
    }
    const scratch = await createScratchDatabase(process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url = scratch.url;
    drop = scratch.drop;
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const reset = async (): Promise<string> => {
    const r = await run(process.execPath, ['--import', 'tsx', 'services/cli/admin-reset.ts'], {
      env: { ...process.env, SW_DATABASE_URL: url ?? '', SW_DATA_DIR: dataDir, SW_ADMIN_PASSWORD: '', SW_LOG_LEVEL: 'error' },
    });
    return /\(shown once\): (\S+)/.exec(r.stdout)?.[1] ?? '';
  };

  it('creates the administrator when missing, then restores a disabled and demoted one with a new password', async () => {
    if (!url) return;
    const first = await reset();
    expect(first.length).toBeGreaterThanOrEqual(12);
    db = await openPg({ url, poolSize: 2, log: silentLogger() });
    const auth = new AuthService(new AuthRepository(db), 1, silentLogger());
    const session = await auth.login('admin', first);
    await db.query(`UPDATE users SET disabled = true, role = 'viewer' WHERE username = 'admin'`);

    const second = await reset();
    expect(second).not.toBe(first);
    await expect(auth.login('admin', first)).rejects.toMatchObject({ code: 'BAD_LOGIN' });
    const again = await auth.login('admin', second);
    expect(again.user).toMatchObject({ role: 'admin', disabled: false });
    // The session opened before the reset is gone.
    await expect(auth.authenticate(session.token)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const audit = await db.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE action = 'user.admin-reset'`);
    expect(audit.rows).toEqual([
      { actor: 'cli:admin-reset', action: 'user.admin-reset' },
      { actor: 'cli:admin-reset', action: 'user.admin-reset' },
    ]);
  }, 120_000);
});
