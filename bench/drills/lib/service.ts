/**
 * The real service in a child process, for drills that kill it, restart it or attack it from outside: `node --import tsx
 * services/main.ts` with its own data folder and loopback ports picked here (free when picked), ready once /ready or
 * /health answers. Output goes to a log file in the data folder, so a failed drill can point at it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../lib/report.ts';

export const DRILL_ADMIN_PASSWORD = 'drill-admin-password-1';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ServiceProcess {
  proc: ChildProcess;
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  mqttUrl: string;
  httpUrl: string;
  logFile: string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** SIGKILL, no drain. */
  kill9(): Promise<number | string>;
  /** SIGTERM, waits for a clean exit. */
  stop(): Promise<number | string>;
  /** Removes the data folder (after stop). */
  cleanup(): void;
}

export interface ServiceOptions {
  /** Reuse a data folder (restarts); a new temporary one otherwise. */
  dataDir?: string;
  mqttPort?: number;
  httpPort?: number;
  /** Extra SW_* keys (SW_DATABASE_URL, limits, …). */
  env?: Record<string, string>;
  /** Wait for this long for the service to answer (default 60 s: the embedded database starts slowly). */
  readyTimeoutMs?: number;
}

export async function startService(o: ServiceOptions = {}): Promise<ServiceProcess> {
  const dataDir = o.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sw-drill-'));
  const mqttPort = o.mqttPort ?? (await freePort());
  const httpPort = o.httpPort ?? (await freePort());
  const logFile = path.join(dataDir, `service-${Date.now()}.log`);
  const out = openSync(logFile, 'a');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    SW_DATA_DIR: dataDir,
    SW_MQTT_HOST: '127.0.0.1',
    SW_MQTT_PORT: String(mqttPort),
    SW_HTTP_HOST: '127.0.0.1',
    SW_HTTP_PORT: String(httpPort),
    SW_ADMIN_PASSWORD: DRILL_ADMIN_PASSWORD,
    SW_LOG_LEVEL: 'info',
    ...o.env,
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/main.ts'], { cwd: ROOT, env, stdio: ['ignore', out, out] });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  let gone: number | string | undefined;
  void exited.then((c) => (gone = c));
  for (;;) {
    if (gone !== undefined) throw new Error(`service exited (${gone}) before answering; see ${logFile}`);
    try {
      const r = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`service did not answer within ${o.readyTimeoutMs ?? 60_000} ms; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    proc,
    dataDir,
    mqttPort,
    httpPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl,
    logFile,
    exited,
    kill9: () => {
      proc.kill('SIGKILL');
      return exited;
    },
    stop: () => {
      proc.kill('SIGTERM');
      return exited;
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Logs in as the drill administrator; returns a bearer token. */
export async function adminToken(httpUrl: string): Promise<string> {
  const r = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: DRILL_ADMIN_PASSWORD }),
  });
  if (!r.ok) throw new Error(`admin login failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { token: string }).token;
}
