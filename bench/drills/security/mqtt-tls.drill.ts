/**
 * TLS checks against the running service (its own process): mqtts with mosquitto_pub --cafile, HTTPS with curl
 * --cacert, a client without the CA and plain MQTT on the TLS port refused, and a certificate renewal by SIGHUP that
 * keeps an open device connection up — all while 20 valid devices publish over plain MQTT (they must lose nothing).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { Drill } from '../lib/drill.ts';
import { freePort } from '../lib/service.ts';
import { arena } from './mqtt-attack-kit.ts';
import { closesWithin, deviceConnect, rawConnect, sleep } from './mqtt-kit.ts';

const run = promisify(execFile);
const ok = (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => true,
    () => false,
  );

function served(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
      s.end();
    });
    s.once('error', reject);
  });
}

const tlsChecks: Drill = {
  name: 'mqtt: TLS (mqtts + https with the generated CA, wrong CA, plain on TLS port, SIGHUP renewal)',
  timeoutMs: 120_000,
  async run() {
    const tlsPort = await freePort();
    const httpsPort = await freePort();
    const a = await arena('tls', { SW_MQTT_TLS_PORT: String(tlsPort), SW_HTTPS_PORT: String(httpsPort) });
    const ca = path.join(a.svc.dataDir, 'tls', 'server.crt');
    const [dev] = await a.provision(['sec-tls-dev']);
    const pub = (cafile: string): Promise<unknown> =>
      run(
        'mosquitto_pub',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(tlsPort),
          '--cafile',
          cafile,
          '-i',
          dev!.username,
          '-u',
          dev!.username,
          '-P',
          dev!.password,
          '-q',
          '1',
          '-t',
          `sw/v1/${dev!.username}/telemetry`,
          '-m',
          '{"metrics":{"level":1}}',
        ],
        { timeout: 10_000 },
      );
    const mqttsOk = await ok(pub(ca));
    const httpsOk = await run('curl', ['-sS', '--cacert', ca, '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${httpsPort}/health`], {
      timeout: 10_000,
    }).then(
      (r) => r.stdout === '200',
      () => false,
    );
    const noCaRefused = !(await ok(pub('/etc/ssl/certs/ca-certificates.crt')));
    const curlNoCaRefused = !(await ok(run('curl', ['-sS', '-o', '/dev/null', `https://127.0.0.1:${httpsPort}/health`], { timeout: 10_000 })));
    // Plain MQTT on the TLS port: the handshake fails, the connection is closed, the service stays up.
    const plain = await rawConnect(tlsPort);
    plain.socket.write(deviceConnect(dev!.username, dev!.password));
    const plainClosed = await closesWithin(plain, 11_000);
    // Renewal: a new pair in the same files, SIGHUP; an open mqtts session must survive it.
    const open = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
      clientId: dev!.username,
      username: dev!.username,
      password: dev!.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      ca: readFileSync(ca),
      servername: 'localhost',
    });
    const before = await served(tlsPort, readFileSync(ca));
    const dir = path.dirname(ca);
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
      path.join(dir, 'renew.key'),
      '-out',
      path.join(dir, 'renew.crt'),
    ]);
    copyFileSync(path.join(dir, 'renew.key'), path.join(dir, 'server.key'));
    copyFileSync(path.join(dir, 'renew.crt'), ca);
    a.svc.proc.kill('SIGHUP');
    await sleep(1000);
    const after = await served(tlsPort, readFileSync(ca)).catch(() => '');
    const renewed = after === new X509Certificate(readFileSync(ca)).fingerprint256 && after !== before;
    const survived = await ok(open.publishAsync(`sw/v1/${dev!.username}/telemetry`, JSON.stringify({ ts: Date.now(), metrics: { level: 2 } }), { qos: 1 }));
    await open.endAsync();
    const handshakes = await a.refused('action="tls",reason="HANDSHAKE_FAILED"');
    const checks = {
      'mqtts --cafile': mqttsOk,
      'https --cacert': httpsOk,
      'wrong CA refused': noCaRefused,
      'curl without CA refused': curlNoCaRefused,
      'plain on TLS port closed': plainClosed,
      'SIGHUP renewed': renewed,
      'open session survived': survived,
    };
    const counts = await a.finish({
      ...Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v ? 'yes' : 'NO'])),
      'failed handshakes counted': handshakes,
    });
    const failedChecks = Object.entries(checks)
      .filter(([, v]) => !v)
      .map(([k]) => k);
    const problem = counts.lost > 0 ? `${counts.lost} valid messages lost` : failedChecks.length ? `failed: ${failedChecks.join(', ')}` : null;
    await a.close(!problem);
    return { passed: !problem, detail: problem ?? 'every TLS check held; renewal without a dropped connection; valid devices lost nothing', counts };
  },
};

export const drills: Drill[] = [tlsChecks];
