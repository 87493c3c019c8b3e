/**
 * pg_dump and pg_restore (Debian's postgresql-client) run as child processes. The password travels in PGPASSWORD, never
 * on the command line, where any local user could read it from the process list.
 */
import { spawn } from 'node:child_process';

export interface PgTarget {
  /** Connection URL without the password. */
  url: string;
  env: NodeJS.ProcessEnv;
}

export function pgTarget(databaseUrl: string): PgTarget {
  const u = new URL(databaseUrl);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}), PGCONNECT_TIMEOUT: '10' } };
}

/** The same server, its maintenance database (to drop and create the target). */
export function maintenanceUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `${cmd} not found: install Debian's postgresql-client (it is in the image)` : `${cmd}: ${e.message}`)),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(out + err) : reject(new Error(`${cmd} exited with ${code}: ${err.trim().split('\n').slice(-6).join(' | ')}`)),
    );
  });
}

/** Major version of the installed tool (pg_dump 15 cannot dump a PostgreSQL 16 server). */
export async function toolMajor(tool: 'pg_dump' | 'pg_restore'): Promise<number> {
  const v = await run(tool, ['--version'], process.env);
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(v);
  if (!m) throw new Error(`cannot read the version of ${tool}: '${v.trim()}'`);
  return Number(m[1]);
}

/** A custom-format dump sharing the snapshot exported by the caller's open transaction. */
export async function pgDump(t: PgTarget, file: string, snapshot: string): Promise<void> {
  await run('pg_dump', ['--format=custom', '--compress=6', `--snapshot=${snapshot}`, '--no-password', `--file=${file}`, `--dbname=${t.url}`], t.env);
}

/**
 * Owners and grants are not restored: the restoring role owns everything, so a dump moves between servers whose
 * roles differ. One transaction on plain PostgreSQL (all or nothing); TimescaleDB's restore bracket does not allow it.
 */
export async function pgRestore(t: PgTarget, file: string, opts: { singleTransaction: boolean }): Promise<void> {
  const args = ['--no-owner', '--no-privileges', '--exit-on-error', '--no-password', `--dbname=${t.url}`];
  if (opts.singleTransaction) args.push('--single-transaction');
  await run('pg_restore', [...args, file], t.env);
}
