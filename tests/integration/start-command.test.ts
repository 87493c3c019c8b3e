import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// `npm start` is `node --import tsx services/main.ts`: one process, so SIGTERM reaches the service itself (the tsx CLI
// wrapper gives a child only 30 ms to confirm a relayed signal before it SIGKILLs it, which a loaded machine misses).
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

interface Started {
  proc: ChildProcess;
  mqtt: string;
  http: string;
  password: string | null;
  /** Everything printed up to the end of the start banner. */
  out: string;
}

/** Runs `npm start`'s command exactly, with no SW_* configuration, in an empty folder (its ./data goes there). */
function start(cwd: string, logLevel = 'warn'): Promise<Started> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SW_')));
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'services/main.ts')], {
    cwd,
    env: { ...env, SW_LOG_LEVEL: logLevel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start banner within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      // With HTTPS on (the self-signed first start) the plain URL is on the "HTTP … HTTPS …" line; otherwise on "HTTP API".
      const m = /MQTT\s+(mqtt:\/\/\S+)[\s\S]*?(?:HTTP\s+(http:\/\/\S+)\s+HTTPS|HTTP API\s+(http:\/\/\S+)\/api\/v1)/.exec(out);
      if (m && out.includes('HTTP API') && /(Log in:|First administrator)[^\n]*\n(.*\n)?/.test(out) && out.includes('\n\n', out.indexOf('HTTP API'))) {
        clearTimeout(timer);
        const pw = /Password \(shown once, change it\): (\S+)/.exec(out);
        resolve({ proc, mqtt: m[1]!, http: (m[2] ?? m[3])!, password: pw?.[1] ?? null, out });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.proc.removeAllListeners('exit');
    s.proc.on('exit', (code) => resolve(code));
    s.proc.kill('SIGTERM');
  });
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('npm start with no configuration', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sw-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves MQTT and HTTP, prints how to log in, and keeps data across a restart', async () => {
    const first = await start(dir, 'info');
    let second: Started | undefined;
    try {
      expect(first.password).toBeTruthy();
      // The password is printed last, framed: the modules' start-up lines (logged just after the API listens) come before it.
      const banner = first.out.lastIndexOf('╔');
      expect(banner).toBeGreaterThan(0);
      expect(first.out.slice(0, banner)).toContain('backup control socket listening');
      expect(first.out.slice(banner)).not.toMatch(/^\{/m);
      expect(first.out.slice(banner)).toMatch(/║ Password \(shown once, change it\): \S+ +║/);
      const login = await json(`${first.http}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: first.password }) });
      expect(login.status).toBe(200);
      const token = login.body.token as string;
      const auth = { authorization: `Bearer ${token}` };
      const prov = await json(`${first.http}/api/v1/devices`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ id: 'sl-restart', kind: 'streetlight', name: 'Đèn' }),
      });
      expect(prov.status).toBe(201);
      // Port 1883 may be taken on this machine, so the broker may have moved: the response names the port it listens on.
      expect((prov.body.mqtt as { port: number }).port).toBe(Number(new URL(first.mqtt).port));
      const creds = prov.body.credentials as { username: string; password: string };
      const dev = await mqtt.connectAsync(first.mqtt, { clientId: creds.username, username: creds.username, password: creds.password, reconnectPeriod: 0 });
      await dev.publishAsync('sw/v1/sl-restart/telemetry', JSON.stringify({ ts: Date.now() - 1000, metrics: { power: 123 } }), { qos: 1 });
      await dev.endAsync();
      expect(await stop(first)).toBe(0);

      second = await start(dir);
      expect(second.password).toBeNull();
      const again = await json(`${second.http}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: first.password }) });
      expect(again.status).toBe(200);
      const state = await json(`${second.http}/api/v1/devices/sl-restart/state`, { headers: { authorization: `Bearer ${again.body.token as string}` } });
      expect((state.body.state as Record<string, unknown>).power).toBe(123);
    } finally {
      if (first.proc.exitCode === null) await stop(first);
      if (second && second.proc.exitCode === null) await stop(second);
    }
  }, 150_000);
});
