import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbModes } from '../helpers/db-modes.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

const run = promisify(execFile);
const { modes } = await dbModes();
const mode = modes[0]!;

const have = async (cmd: string): Promise<boolean> =>
  run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
const tools = { mosquitto: await have('mosquitto_pub'), curl: await have('curl'), openssl: await have('openssl') };

/** The certificate a TLS listener presents right now. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

describe(`TLS listeners: mqtts, wss, https (${mode.name})`, () => {
  let t: TestApp;
  let drop: () => Promise<void>;
  let certFile = '';

  beforeAll(async () => {
    if (!tools.openssl) return;
    const opened = await mode.open();
    drop = opened.drop;
    t = await startTestApp({ db: opened.db, env: { SW_MQTT_TLS_PORT: '0', SW_MQTT_WSS_PORT: '0', SW_HTTPS_PORT: '0' } });
    certFile = t.app.tls!.files.certFile;
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it('generates a self-signed certificate at first start, key readable by the service only', () => {
    if (!tools.openssl) return console.warn('[broker-tls] SKIPPED: openssl is not installed');
    expect(t.app.tls!.files.selfSigned).toBe(true);
    expect(certFile).toBe(path.join(t.dataDir, 'tls', 'server.crt'));
    expect(statSync(path.join(t.dataDir, 'tls', 'server.key')).mode & 0o077).toBe(0);
    const x = new X509Certificate(readFileSync(certFile));
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('takes telemetry from mosquitto_pub over mqtts with --cafile, and refuses a client that does not trust the certificate', async () => {
    if (!tools.openssl || !tools.mosquitto) return console.warn('[broker-tls] SKIPPED: mosquitto_pub or openssl is not installed');
    const creds = await t.provision('streetlight', 'sl-tls-1');
    const port = String(t.app.broker.address.tlsPort);
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-i',
      creds.username,
      '-u',
      creds.username,
      '-P',
      creds.password,
      '-q',
      '1',
      '-t',
      'sw/v1/sl-tls-1/telemetry',
      '-m',
      JSON.stringify({ metrics: { level: 42 } }),
    ];
    await run('mosquitto_pub', ['--cafile', certFile, ...args], { timeout: 10_000 });
    const n = async (): Promise<number> =>
      Number((await t.app.db.query<{ n: string }>("SELECT count(*) AS n FROM telemetry WHERE device_id = 'sl-tls-1'")).rows[0]?.n);
    await waitFor(async () => (await n()) === 1, 5000);
    // Without the CA the handshake fails on the client side: nothing is stored, the handshake failure is counted.
    const otherCa = path.join(mkdtempSync(path.join(os.tmpdir(), 'sw-tls-')), 'other.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=other',
      '-keyout',
      `${otherCa}.key`,
      '-out',
      otherCa,
    ]);
    await expect(run('mosquitto_pub', ['--cafile', otherCa, ...args], { timeout: 10_000 })).rejects.toThrow();
    rmSync(path.dirname(otherCa), { recursive: true, force: true });
    expect(await n()).toBe(1);
    await waitFor(async () => (await t.app.metrics.value('sw_mqtt_refused_total', { action: 'tls', reason: 'HANDSHAKE_FAILED' })) >= 1, 5000);
  });

  it('serves MQTT over secure WebSocket with the same certificate and the same device rules', async () => {
    if (!tools.openssl) return console.warn('[broker-tls] SKIPPED: openssl is not installed');
    const creds = await t.provision('streetlight', 'sl-tls-ws');
    const url = t.app.urls().mqttWss!;
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const c = await mqtt.connectAsync(url, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      ca: readFileSync(certFile),
    });
    await c.publishAsync('sw/v1/sl-tls-ws/telemetry', JSON.stringify({ metrics: { level: 9 } }), { qos: 1 });
    await c.endAsync();
    const r = await t.app.db.query<{ n: string }>("SELECT count(*) AS n FROM telemetry WHERE device_id = 'sl-tls-ws'");
    expect(Number(r.rows[0]?.n)).toBe(1);
  });

  it('answers the API over HTTPS to curl --cacert', async () => {
    if (!tools.openssl || !tools.curl) return console.warn('[broker-tls] SKIPPED: curl or openssl is not installed');
    const url = t.app.urls().https!;
    const { stdout } = await run('curl', ['-sS', '--cacert', certFile, '-o', '-', '-w', '\\n%{http_code}', `${url}/health`], { timeout: 10_000 });
    expect(stdout.trim().split('\n').pop()).toBe('200');
    await expect(run('curl', ['-sS', '-o', '/dev/null', `${url}/health`], { timeout: 10_000 })).rejects.toThrow(); // no CA: refused
  });

  it('reloads a new certificate without dropping an open connection, and keeps the old one when the new pair is bad', async () => {
    if (!tools.openssl) return console.warn('[broker-tls] SKIPPED: openssl is not installed');
    const creds = await t.provision('streetlight', 'sl-tls-reload');
    const tlsPort = t.app.broker.address.tlsPort!;
    const oldCa = readFileSync(certFile);
    const open = await mqtt.connectAsync(t.app.urls().mqtts!, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      ca: oldCa,
      servername: 'localhost',
    });
    const before = await servedFingerprint(tlsPort, oldCa);
    // A new pair in the same files (what an operator's renewal does), then the SIGHUP handler.
    const dir = path.dirname(certFile);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=renewed',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      path.join(dir, 'new.key'),
      '-out',
      path.join(dir, 'new.crt'),
    ]);
    copyFileSync(path.join(dir, 'new.key'), path.join(dir, 'server.key'));
    copyFileSync(path.join(dir, 'new.crt'), certFile);
    expect(t.app.reloadTls().ok).toBe(true);
    const newCa = readFileSync(certFile);
    const after = await servedFingerprint(tlsPort, newCa);
    expect(after).not.toBe(before);
    expect(after).toBe(new X509Certificate(newCa).fingerprint256);
    // The connection opened under the old certificate is still up and still delivers.
    await open.publishAsync('sw/v1/sl-tls-reload/telemetry', JSON.stringify({ metrics: { level: 3 } }), { qos: 1 });
    expect(open.connected).toBe(true);
    // A broken pair (key of another certificate) is refused; the listeners keep serving the last good one.
    writeFileSync(
      path.join(dir, 'server.key'),
      readFileSync(path.join(dir, 'new.key'))
        .toString()
        .replace(/[A-Za-z]/, 'x'),
    );
    expect(t.app.reloadTls().ok).toBe(false);
    expect(await servedFingerprint(tlsPort, newCa)).toBe(after);
    copyFileSync(path.join(dir, 'new.key'), path.join(dir, 'server.key'));
    await open.endAsync();
  });
});
