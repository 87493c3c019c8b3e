import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../services/config/config.schema.ts';
import { ConfigError, loadConfig } from '../../services/config/config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'sw-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The ConfigError a load throws; fails the test when the load succeeds or throws something else. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the documented defaults from an empty environment', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080, publicBaseUrl: '', httpsPort: 8443 });
    expect(c.health).toMatchObject({ sweepMaxMs: 30_000, flapMaxChanges: 6, webhookRetryDelaysMs: [1000, 5000, 30_000, 120_000, 600_000] });
    expect(c.cameras).toMatchObject({ probeIntervalMs: 30_000, snapshotKeepLast: 700, discoveryBindAddresses: ['127.0.0.1'] });
    expect(c.reports).toEqual({
      chromiumPath: '/usr/bin/chromium',
      servedAvailability: 90,
      remoteControlDays: 7,
      halfYearCutoff: null,
      official: {
        parentBody: 'Ủy ban nhân dân phường Phước Long',
        issuer: 'Phòng Kinh tế, Hạ tầng và Đô thị',
        issuerAbbr: 'KTHTĐT',
        place: 'Phường Phước Long',
        signerTitle: ['TRƯỞNG PHÒNG'],
        signerName: '',
        recipients: ['Ban Chỉ đạo phường (qua Phòng Văn hóa – Xã hội)', 'Lưu: VT'],
      },
    });
    expect(c.mqtt).toMatchObject({ port: 1883, wsPort: -1, maxPayloadBytes: 16384, maxTopicDepth: 6, connectRate: 200, connectBurst: 2000 });
    expect(c.ward).toEqual({ code: '22330', name: 'Phường Phước Long', timezone: 'Asia/Ho_Chi_Minh' });
    expect(c.databaseUrl).toBe('');
    expect(c.logLevel).toBe('info');
    expect(path.isAbsolute(c.dataDir)).toBe(true);
  });

  it('parses list keys and trims a trailing slash from the public base URL', () => {
    const c = loadConfig({
      SW_PUBLIC_BASE_URL: 'http://10.20.0.5:8080/',
      SW_ALARM_WEBHOOK_RETRY_DELAYS_MS: '500,2000',
      SW_CAMERA_DISCOVERY_INTERFACES: '10.1.0.2,10.2.0.2',
    });
    expect(c.http.publicBaseUrl).toBe('http://10.20.0.5:8080');
    expect(c.health.webhookRetryDelaysMs).toEqual([500, 2000]);
    expect(c.cameras.discoveryBindAddresses).toEqual(['10.1.0.2', '10.2.0.2']);
    expect(() => loadConfig({ SW_ALARM_WEBHOOK_RETRY_DELAYS_MS: '1s,2s' })).toThrow(/SW_ALARM_WEBHOOK_RETRY_DELAYS_MS/);
    expect(() => loadConfig({ SW_PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/SW_PUBLIC_BASE_URL/);
  });

  it('every key has a default that passes its own validation', () => {
    // Setting every key explicitly to its default must load: a default that fails its rule would break a clean start.
    const env = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([k, spec]) => [k, spec.default]));
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('names every bad key in one error, not just the first', () => {
    const problems = problemsOf(() => loadConfig({ SW_HTTP_PORT: 'eighty', SW_LOG_LEVEL: 'loud', SW_WARD_CODE: '12' }));
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('SW_HTTP_PORT:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SW_LOG_LEVEL:') && p.includes('info'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SW_WARD_CODE:'))).toBe(true);
  });

  it('refuses out-of-range integers and wrong URL schemes', () => {
    const problems = problemsOf(() => loadConfig({ SW_MQTT_PORT: '70000', SW_DATABASE_URL: 'mysql://x@y/db' }));
    expect(problems.join('\n')).toMatch(/SW_MQTT_PORT: .*-1\.\.65535/);
    expect(problems.join('\n')).toMatch(/SW_DATABASE_URL: .*postgres/);
  });

  it('refuses an unknown SW_ key (a typo must not fall back to a default) but ignores other variables', () => {
    const problems = problemsOf(() => loadConfig({ SW_HTTP_PROT: '9000', PATH: '/usr/bin', HOME: '/root' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SW_HTTP_PROT: unknown key/);
  });

  it('reads a JSON config file; the environment wins over it, and overrides win over both', () => {
    const file = writeJson('precedence.json', { SW_HTTP_PORT: 9000, SW_MQTT_PORT: 1884, SW_WARD_NAME: 'Phường Ba Ngòi' });
    const fromFile = loadConfig({ SW_CONFIG_FILE: file });
    expect(fromFile.http.port).toBe(9000);
    expect(fromFile.mqtt.port).toBe(1884);
    expect(fromFile.ward.name).toBe('Phường Ba Ngòi');

    const envWins = loadConfig({ SW_CONFIG_FILE: file, SW_HTTP_PORT: '9100' });
    expect(envWins.http.port).toBe(9100);
    expect(envWins.mqtt.port).toBe(1884);

    const overrideWins = loadConfig({ SW_CONFIG_FILE: file, SW_HTTP_PORT: '9100' }, { SW_HTTP_PORT: '0' });
    expect(overrideWins.http.port).toBe(0);
  });

  it('validates values from the file and refuses unknown keys in it', () => {
    const file = writeJson('bad.json', { SW_HTTP_PORT: 'x', SW_NOPE: 1 });
    const problems = problemsOf(() => loadConfig({ SW_CONFIG_FILE: file }));
    expect(problems.some((p) => p.startsWith('SW_HTTP_PORT:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SW_NOPE') && p.includes('unknown key'))).toBe(true);
  });

  it('reports a config file that is not a JSON object', () => {
    expect(problemsOf(() => loadConfig({ SW_CONFIG_FILE: writeJson('broken.json', '{not json') }))[0]).toMatch(/^SW_CONFIG_FILE: cannot read/);
    expect(problemsOf(() => loadConfig({ SW_CONFIG_FILE: writeJson('array.json', [1, 2]) }))[0]).toMatch(/must hold a JSON object/);
    expect(problemsOf(() => loadConfig({ SW_CONFIG_FILE: path.join(dir, 'missing.json') }))[0]).toMatch(/^SW_CONFIG_FILE:/);
  });
});

describe('plain (unencrypted) listeners', () => {
  it('are off by default in production, on when their port is set explicitly or SW_PLAIN_LISTENERS=on', () => {
    const dev = loadConfig({});
    expect([dev.mqtt.port, dev.http.port, dev.mqtt.tlsPort, dev.http.httpsPort]).toEqual([1883, 8080, 8883, 8443]);
    const prod = loadConfig({ NODE_ENV: 'production', SW_MQTT_WS_PORT: '8083' });
    expect([prod.mqtt.port, prod.http.port, prod.mqtt.wsPort]).toEqual([-1, -1, 8083]);
    expect([prod.mqtt.tlsPort, prod.http.httpsPort]).toEqual([8883, 8443]);
    expect(loadConfig({ NODE_ENV: 'production', SW_HTTP_PORT: '8080' }).http.port).toBe(8080);
    expect(loadConfig({ NODE_ENV: 'production', SW_PLAIN_LISTENERS: 'on' }).mqtt.port).toBe(1883);
    const off = loadConfig({ SW_PLAIN_LISTENERS: 'off', SW_MQTT_PORT: '1883' });
    expect([off.mqtt.port, off.http.port]).toEqual([-1, -1]);
  });

  it('needs the TLS certificate and key together', () => {
    expect(problemsOf(() => loadConfig({ SW_TLS_CERT_FILE: '/etc/x.crt' }))).toContain('SW_TLS_CERT_FILE and SW_TLS_KEY_FILE: set both or neither');
  });
});
