/**
 * Backup → wipe → restore, in both storage modes, through the real commands (`npm run backup` / `npm run restore` as
 * child processes) against a running service: every table keeps its row count (counted here, not taken from the CLI),
 * every snapshot and audio file comes back byte for byte, and the restored service still lets the old devices in (the
 * service key came back too).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupRepository } from '../../services/backup/backup.repository.ts';
import { silentLogger } from '../../services/common/logger.ts';
import type { Db } from '../../services/db/db.ts';
import { openPg } from '../../services/db/pg-driver.ts';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { wav } from './control-audio-fixtures.ts';
import { createScratchDatabase, dbModes } from '../helpers/db-modes.ts';
import { connectDevice, startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { unavailable } = await dbModes();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sw-backup-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs an npm script of this repository with only the given SW_* keys; resolves with exit code and output. */
function npmRun(script: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), SW_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
function filesUnder(root: string, sub: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out[r] = digest(path.join(root, r));
    }
  };
  try {
    walk(sub);
  } catch {
    // folder absent
  }
  return out;
}

/** Devices, telemetry over real MQTT, an uploaded audio file and two camera snapshot files on disk. */
async function populate(t: TestApp): Promise<{ creds: { username: string; password: string }; messages: number }> {
  const creds = await t.provision('streetlight', 'sl-bk-1');
  await t.provision('speaker', 'spk-bk-1');
  const device = await connectDevice(t.mqttUrl, creds);
  const messages = 40;
  const t0 = Date.now() - 3600_000;
  for (let i = 0; i < messages; i++) {
    await device.publishAsync(
      'sw/v1/sl-bk-1/telemetry',
      JSON.stringify({ ts: new Date(t0 + i * 60_000).toISOString(), metrics: { level: 80, power: 90 + i, energy: 10 + i / 10 } }),
      { qos: 1 },
    );
  }
  await device.endAsync();
  const up = await t.app.api.inject({
    method: 'POST',
    url: '/api/v1/radio/audio?title=Th%C3%B4ng%20b%C3%A1o',
    headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'audio/wav' },
    payload: wav(1),
  });
  expect(up.statusCode).toBe(201);
  const cam = path.join(t.app.config.dataDir, 'snapshots', 'cam-bk-1');
  mkdirSync(cam, { recursive: true });
  writeFileSync(path.join(cam, '20260101T000000000Z-abcdef.full.jpg'), randomBytes(5000));
  writeFileSync(path.join(cam, '20260101T000000000Z-abcdef.thumb.webp'), randomBytes(800));
  return { creds, messages };
}

async function countRows(db: Db): Promise<Record<string, number>> {
  return new BackupRepository(db).rowCounts();
}

const latestBackup = (dir: string): string =>
  path.join(
    dir,
    readdirSync(dir)
      .filter((n) => n.startsWith('smartward-') && !n.endsWith('.partial'))
      .sort()
      .at(-1)!,
  );

async function restoredServiceAcceptsOldDevice(env: Record<string, string>, creds: { username: string; password: string }): Promise<void> {
  const t = await startTestApp({ env });
  try {
    const device = await connectDevice(t.mqttUrl, creds);
    await device.endAsync();
    const audio = await t.http<{ items: unknown[] }>('GET', '/api/v1/radio/audio', { token: t.adminToken });
    expect(audio.body.items).toHaveLength(1);
  } finally {
    await t.close();
  }
}

describe.skipIf(Boolean(unavailable.postgres))('backup and restore: PostgreSQL', () => {
  it('keeps every row and file through backup → wipe → restore, taken while the service runs', async () => {
    const db = await createScratchDatabase(process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    const backups = path.join(scratch, 'pg-backups');
    const secretKey = randomBytes(32).toString('hex');
    try {
      const t = await startTestApp({ databaseUrl: db.url, env: { SW_SECRET_KEY: secretKey } });
      const { creds, messages } = await populate(t);
      await waitFor(async () => (await t.app.metrics.value('sw_ingest_messages_total', { channel: 'telemetry', result: 'accepted' })) >= messages);
      const files = { ...filesUnder(t.app.config.dataDir, 'snapshots'), ...filesUnder(t.app.config.dataDir, 'audio') };
      expect(Object.keys(files)).toHaveLength(3);

      const b = await npmRun('backup', ['--out', backups], { SW_DATABASE_URL: db.url, SW_DATA_DIR: t.app.config.dataDir, SW_SECRET_KEY: secretKey });
      expect(b.out).toMatch(/backup written/);
      expect(b.code).toBe(0);
      await t.close();
      const dir = latestBackup(backups);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
        database: { tables: Record<string, number> };
        key: { sealed: boolean };
      };
      expect(manifest.database.tables['public.telemetry']).toBe(messages);
      expect(manifest.key.sealed).toBe(false);

      // Wipe: the database is dropped and created empty; the data folder is gone (close() removed it).
      const admin = new pg.Client({ connectionString: process.env.SW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
      await admin.connect();
      const name = new URL(db.url).pathname.slice(1);
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const dataDir = path.join(scratch, 'pg-restored');

      const r = await npmRun('restore', [dir], { SW_DATABASE_URL: db.url, SW_DATA_DIR: dataDir, SW_SECRET_KEY: secretKey });
      expect(r.out).toMatch(/restore verified/);
      expect(r.code).toBe(0);
      const check = await openPg({ url: db.url, poolSize: 1, log: silentLogger() });
      const restored = await countRows(check).finally(() => check.close());
      expect(restored).toEqual(manifest.database.tables);
      expect({ ...filesUnder(dataDir, 'snapshots'), ...filesUnder(dataDir, 'audio') }).toEqual(files);

      // A second restore into the now non-empty database is refused without --force.
      const again = await npmRun('restore', [dir], { SW_DATABASE_URL: db.url, SW_DATA_DIR: dataDir, SW_SECRET_KEY: secretKey });
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/is not empty.*--force/);

      await restoredServiceAcceptsOldDevice({ SW_DATABASE_URL: db.url, SW_DATA_DIR: dataDir, SW_SECRET_KEY: secretKey }, creds);
    } finally {
      await db.drop();
    }
  }, 240_000);
});

describe('backup and restore: embedded store', () => {
  it('the running service takes the backup itself; restore brings back rows, files and the sealed key', async () => {
    const backups = path.join(scratch, 'embedded-backups');
    const passFile = path.join(scratch, 'passphrase');
    writeFileSync(passFile, 'a long backup passphrase\n', { mode: 0o600 });
    const dataDir = path.join(scratch, 'embedded-live');
    const t = await startTestApp({ env: { SW_DATA_DIR: dataDir } });
    const { creds, messages } = await populate(t);
    await waitFor(async () => (await t.app.metrics.value('sw_ingest_messages_total', { channel: 'telemetry', result: 'accepted' })) >= messages);
    const files = { ...filesUnder(dataDir, 'snapshots'), ...filesUnder(dataDir, 'audio') };

    const b = await npmRun('backup', ['--out', backups, '--passphrase-file', passFile], { SW_DATA_DIR: dataDir });
    expect(b.out).toMatch(/taken online by the running service/);
    expect(b.out).toMatch(/service key sealed/);
    expect(b.code).toBe(0);

    // Restoring onto the running service's folder is refused.
    const busy = await npmRun('restore', [latestBackup(backups), '--passphrase-file', passFile, '--force'], { SW_DATA_DIR: dataDir });
    expect(busy.code).toBe(1);
    expect(busy.out).toMatch(/the service is running/);
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });

    const dir = latestBackup(backups);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { database: { tables: Record<string, number> } };
    expect(manifest.database.tables['public.telemetry']).toBe(messages);
    expect(readdirSync(dir)).toContain('secret-key.sealed.json');

    const restoredDir = path.join(scratch, 'embedded-restored');
    const noKey = await npmRun('restore', [dir], { SW_DATA_DIR: restoredDir });
    expect(noKey.code).toBe(1);
    expect(noKey.out).toMatch(/--passphrase-file/);
    const r = await npmRun('restore', [dir, '--passphrase-file', passFile], { SW_DATA_DIR: restoredDir });
    expect(r.out).toMatch(/restore verified/);
    expect(r.code).toBe(0);
    const check = await openPglite({ dataDir: path.join(restoredDir, 'db'), log: silentLogger() });
    const restored = await countRows(check).finally(() => check.close());
    expect(restored).toEqual(manifest.database.tables);
    expect({ ...filesUnder(restoredDir, 'snapshots'), ...filesUnder(restoredDir, 'audio') }).toEqual(files);

    await restoredServiceAcceptsOldDevice({ SW_DATA_DIR: restoredDir }, creds);
  }, 300_000);
});
