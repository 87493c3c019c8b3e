/**
 * Restore drill (docs/operations.md, "Restore drill"), on the real service in its own process with the embedded store:
 * devices report over MQTT, an online backup is taken with the key sealed, the data folder is destroyed with the service
 * killed (disk loss), the backup is restored into a new folder, the service starts on it, and an old device logs in
 * with its old secret. Every telemetry message acknowledged before the backup must be in the restored database.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { ROOT } from '../../lib/report.ts';
import type { Drill } from '../lib/drill.ts';
import { adminToken, startService } from '../lib/service.ts';

const MESSAGES = 500;

function npmRun(script: string, args: string[], dataDir: string): { code: number; out: string } {
  const r = spawnSync('npm', ['run', '--silent', script, '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), SW_DATA_DIR: dataDir, SW_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

async function reportAll(url: string, creds: { username: string; password: string }): Promise<number> {
  const c = await mqtt.connectAsync(url, {
    clientId: creds.username,
    username: creds.username,
    password: creds.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  const t0 = Date.now() - MESSAGES * 1000;
  let acked = 0;
  // A refused publish closes the connection and leaves publishAsync pending: fail fast with the reason instead of hanging.
  const closed = new Promise<never>((_, reject) =>
    c.once('close', () => reject(new Error(`the service closed the device's connection after ${acked} acknowledged messages`))),
  );
  closed.catch(() => undefined);
  for (let i = 0; i < MESSAGES; i++) {
    await Promise.race([
      closed,
      c.publishAsync(
        `sw/v1/${creds.username}/telemetry`,
        JSON.stringify({ ts: new Date(t0 + i * 1000).toISOString(), metrics: { level: 70, power: 80 + (i % 10) } }),
        { qos: 1 },
      ),
    ]);
    acked++;
  }
  await c.endAsync();
  return acked;
}

async function run(): Promise<{ passed: boolean; detail: string; counts: Record<string, number | string> }> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'sw-restore-drill-'));
  const pass = path.join(work, 'passphrase');
  writeFileSync(pass, 'restore drill passphrase 1', { mode: 0o600 });
  mkdirSync(path.join(work, 'live'));
  // The device sends its 500 readings back to back, past the default per-device burst (SW_MQTT_PUBLISH_BURST 300), which
  // would cut it off: this drill is about restore, so the limit is raised for it.
  const limits = { SW_MQTT_PUBLISH_RATE: '10000', SW_MQTT_PUBLISH_BURST: '10000' };
  const svc = await startService({ dataDir: path.join(work, 'live'), readyTimeoutMs: 180_000, env: limits });
  try {
    const token = await adminToken(svc.httpUrl);
    const r = await fetch(`${svc.httpUrl}/api/v1/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'sl-drill-1', kind: 'streetlight', name: 'sl-drill-1' }),
    });
    const creds = ((await r.json()) as { credentials: { username: string; password: string } }).credentials;
    const acked = await reportAll(svc.mqttUrl, creds);
    const t0 = Date.now();
    const backup = npmRun('backup', ['--out', path.join(work, 'backups'), '--passphrase-file', pass], svc.dataDir);
    const backupMs = Date.now() - t0;
    if (backup.code !== 0) return { passed: false, detail: `backup failed: ${backup.out.trim()}`, counts: { acked } };
    await svc.kill9();
    rmSync(svc.dataDir, { recursive: true, force: true });

    const dir = path.join(work, 'backups', readdirSync(path.join(work, 'backups')).sort().at(-1)!);
    const restoredDir = path.join(work, 'restored');
    const t1 = Date.now();
    const restore = npmRun('restore', [dir, '--passphrase-file', pass], restoredDir);
    const restoreMs = Date.now() - t1;
    const telemetry = Number(/public\.telemetry\s+\d+\s+(\d+)/.exec(restore.out)?.[1] ?? -1);
    if (restore.code !== 0) return { passed: false, detail: `restore failed: ${restore.out.trim().slice(-500)}`, counts: { acked, telemetry } };

    const again = await startService({ dataDir: restoredDir, readyTimeoutMs: 180_000, env: limits });
    try {
      const c = await mqtt.connectAsync(again.mqttUrl, {
        clientId: creds.username,
        username: creds.username,
        password: creds.password,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await c.endAsync();
    } finally {
      await again.stop();
    }
    const passed = telemetry === acked;
    return {
      passed,
      detail: passed
        ? 'every acknowledged message restored; the old device logs in to the restored service'
        : `restored ${telemetry} of ${acked} acknowledged messages`,
      counts: { acked, restored: telemetry, lost: acked - telemetry, 'backup ms': backupMs, 'restore ms': restoreMs },
    };
  } finally {
    if (svc.proc.exitCode === null) await svc.kill9();
    rmSync(work, { recursive: true, force: true });
  }
}

export const drills: Drill[] = [{ name: 'restore after disk loss (embedded store, key sealed)', timeoutMs: 600_000, run }];
