import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../services/config/config.schema.ts';
import { ConfigError, loadConfig } from '../../services/config/config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string): string => readFileSync(path.join(ROOT, f), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  volumes?: string[];
  ports?: string[];
  secrets?: string[];
  read_only?: boolean;
}
const raw = read('docker-compose.yml');
const compose = parse(raw) as { services: Record<string, Service>; secrets?: Record<string, { environment?: string }>; volumes: Record<string, unknown> };
const services = compose.services;

/** Real-looking values for every variable the stack asks for (none of them a placeholder). */
const GOOD_ENV: Record<string, string> = {
  DB_PASSWORD: 'p3q8-db-Tz41xv',
  ADMIN_PASSWORD: 'Vk2-admin-Hh9w',
  SECRET_KEY: 'a3f1c9e07b5d2846f0e1a9c3b7d5f2e4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5',
  METRICS_TOKEN: '5d2a8c41f07e9b3d6a1c5e8f2b4d7a90',
  GRAFANA_ADMIN_PASSWORD: 'Gx7-graf-Lq2m',
};

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message} (empty counts as unset, as with the colon forms). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? arg : '';
  });
}
const envOf = (svc: string, env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(services[svc]?.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));

describe('docker-compose.yml', () => {
  const swEnv = services.smartward?.environment ?? {};

  it('sets only keys the configuration schema knows', () => {
    const keys = Object.keys(swEnv).filter((k) => k.startsWith('SW_'));
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.filter((k) => !(k in CONFIG_KEYS))).toEqual([]);
  });

  it('sets values the schema accepts once the secrets are given', () => {
    expect(() => loadConfig({}, envOf('smartward', GOOD_ENV))).not.toThrow();
  });

  it('refuses to start without each secret (compose ${VAR:?}), naming what to set', () => {
    for (const name of ['DB_PASSWORD', 'ADMIN_PASSWORD', 'SECRET_KEY', 'METRICS_TOKEN']) {
      const env = { ...GOOD_ENV, [name]: '' };
      expect(() => envOf('smartward', env), name).toThrow(new RegExp(`^${name}: set ${name}`));
    }
    expect(() => envOf('timescaledb', { ...GOOD_ENV, DB_PASSWORD: '' })).toThrow(/DB_PASSWORD/);
  });

  it('the service refuses placeholder secrets such as change-me', () => {
    const env = envOf('smartward', { ...GOOD_ENV, DB_PASSWORD: 'change-me', ADMIN_PASSWORD: 'change-me', METRICS_TOKEN: 'changeme'.repeat(4) });
    let problems: string[] = [];
    try {
      loadConfig({}, env);
    } catch (err) {
      problems = err instanceof ConfigError ? err.problems : [];
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['SW_ADMIN_PASSWORD', 'SW_DATABASE_URL', 'SW_METRICS_TOKEN']);
  });

  it('guards the third-party containers with check-secrets.sh and hard-codes no password anywhere', () => {
    expect(services.timescaledb?.entrypoint?.slice(0, 4)).toEqual(['/bin/sh', '/etc/smartward/check-secrets.sh', 'POSTGRES_PASSWORD', '--']);
    expect(services.grafana?.entrypoint?.slice(0, 4)).toEqual(['/bin/sh', '/etc/smartward/check-secrets.sh', 'GF_SECURITY_ADMIN_PASSWORD', '--']);
    for (const [name, svc] of Object.entries(services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(k)) expect(String(v), `${name}.${k}`).toMatch(/^\$\{[A-Z_]+:[?-]/);
      }
    }
    const lines = raw.split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(lines.filter((l) => /change-?me/i.test(l))).toEqual([]);
  });

  it('has the sim and monitoring profiles, built from the Dockerfile, app containers read-only', () => {
    expect(services.smartward?.build).toBe('.');
    expect(services.simulator?.profiles).toEqual(['sim']);
    expect(services.simulator?.image).toBe(services.smartward?.image);
    expect(services.simulator?.command?.slice(0, 4)).toEqual(['node', '--import', 'tsx', 'simulators/cli.ts']);
    expect(services.prometheus?.profiles).toEqual(['monitoring']);
    expect(services.grafana?.profiles).toEqual(['monitoring']);
    expect(services.smartward?.read_only).toBe(true);
    expect(services.simulator?.read_only).toBe(true);
    const profiles = new Set(Object.values(services).flatMap((s) => s.profiles ?? []));
    expect([...profiles].sort()).toEqual(['cluster', 'monitoring', 'sim']);
  });

  describe('cluster profile (issue 12)', () => {
    const node = services['smartward-node'] as Service & { deploy?: { replicas?: string | number }; depends_on?: Record<string, unknown> };
    const nodeEnv = (env: Record<string, string>): Record<string, string> => envOf('smartward-node', env);
    const haproxyCfg = read('deploy/haproxy.cfg');

    it('runs replicas of the same image, read-only, each with its own data folder, behind Redis and HAProxy', () => {
      for (const name of ['smartward-node', 'redis', 'haproxy']) expect(services[name]?.profiles, name).toEqual(['cluster']);
      expect(node.image).toBe(services.smartward?.image);
      expect(node.read_only).toBe(true);
      expect(interpolate(String(node.deploy?.replicas), {})).toBe('3');
      // A shared named volume would put every replica on one data folder (the data-folder lock refuses that).
      expect(node.volumes?.find((v) => v.endsWith('/var/lib/smartward'))).toBe('/var/lib/smartward');
      expect(Object.keys(node.depends_on ?? {}).sort()).toEqual(['redis', 'timescaledb']);
      expect(services.haproxy?.volumes).toContain('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
      expect(services.redis?.entrypoint?.slice(0, 4)).toEqual(['/bin/sh', '/etc/smartward/check-secrets.sh', 'REDIS_PASSWORD', '--']);
    });

    it('configures each replica as a cluster node the schema accepts, with the same secrets as the single service', () => {
      const keys = Object.keys(node.environment ?? {}).filter((k) => k.startsWith('SW_'));
      expect(keys.filter((k) => !(k in CONFIG_KEYS))).toEqual([]);
      const env = nodeEnv({ ...GOOD_ENV, REDIS_PASSWORD: 'r3d-Kq81-pass' });
      const config = loadConfig({}, env);
      expect(config.cluster.redisUrl).toBe('redis://:r3d-Kq81-pass@redis:6379/0');
      expect(config.cluster.nodeId).toBe('');
      for (const k of ['SW_DATABASE_URL', 'SW_SECRET_KEY', 'SW_ADMIN_PASSWORD', 'SW_METRICS_TOKEN']) expect(env[k], k).toBe(envOf('smartward', GOOD_ENV)[k]);
    });

    it('balances MQTT and HTTP in TCP mode over the replicas on the ports they listen on', () => {
      expect(haproxyCfg).toMatch(/^defaults\n(?:.*\n)*?\s+mode tcp$/m);
      const servers = haproxyCfg.split('\n').filter((l) => l.trim().startsWith('server-template'));
      expect(servers.map((l) => l.trim().split(/\s+/)[3])).toEqual([
        `smartward-node:${node.environment?.SW_MQTT_PORT}`,
        `smartward-node:${node.environment?.SW_HTTP_PORT}`,
      ]);
      expect(haproxyCfg).toMatch(/option httpchk GET \/ready/);
      expect(haproxyCfg).toMatch(/option redispatch/);
      const published = (services.haproxy as Service & { ports?: string[] }).ports ?? [];
      expect(published).toEqual(['1883:1883', '8080:8080']);
      expect(haproxyCfg).toMatch(/bind :1883/);
      expect(haproxyCfg).toMatch(/bind :8080/);
    });

    it('HAProxy accepts the file (when haproxy is installed)', (ctx) => {
      const r = spawnSync('haproxy', ['-c', '-f', path.join(ROOT, 'deploy/haproxy.cfg')], { encoding: 'utf8' });
      if (r.error) {
        console.warn(`haproxy not installed: deploy/haproxy.cfg not checked by HAProxy itself (${r.error.message})`);
        ctx.skip();
        return;
      }
      expect(r.status, r.stderr + r.stdout).toBe(0);
    });
  });

  it('mounts the TLS folder read-only and publishes the MQTT/TLS and HTTPS ports; the certificate paths are opt-in', () => {
    expect(services.smartward?.volumes).toContain('./deploy/tls:/etc/smartward/tls:ro');
    const env = services.smartward?.environment as Record<string, string> | undefined;
    expect(env?.SW_MQTT_TLS_PORT).toBe('8883');
    expect(env?.SW_HTTPS_PORT).toBe('8443');
    expect(services.smartward?.ports).toEqual(expect.arrayContaining(['8883:8883', '8443:8443']));
    // Set together or not at all (the service refuses one without the other).
    const certLines = raw.split('\n').filter((l) => /SW_TLS_(CERT|KEY)_FILE/.test(l));
    expect(certLines).toHaveLength(2);
    expect(new Set(certLines.map((l) => l.trim().startsWith('#'))).size).toBe(1);
  });

  it('hands Prometheus the scrape token as a secret file, not in its config', () => {
    expect(compose.secrets?.metrics_token?.environment).toBe('METRICS_TOKEN');
    expect(services.prometheus?.secrets).toEqual(['metrics_token']);
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        metrics_path: string;
        authorization: { type: string; credentials_file: string };
        static_configs: { targets: string[] }[];
      }[];
      rule_files: string[];
    };
    const job = prom.scrape_configs.find((j) => j.job_name === 'smartward');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics_token' });
    expect(job?.static_configs[0]?.targets).toEqual([`smartward:${swEnv.SW_HTTP_PORT}`]);
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(() => parse(read('deploy/prometheus/alerts.yml'))).not.toThrow();
  });

  it('README lists every configuration key with its default', () => {
    const readme = read('README.md');
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      expect(readme, key).toContain(`\`${key}\``);
      if (spec.default) expect(readme, `${key} default`).toContain(`\`${spec.default}\``);
    }
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/smartward.json')) as {
    uid: string;
    panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => e.match(/\bsw_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')));

  /** Every sw_* metric name the service's code registers (string literals in services/). */
  function registeredNames(): Set<string> {
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'(sw_[a-z_]+)'/g)) names.add(m[1]!);
      }
    };
    walk(path.join(ROOT, 'services'));
    return names;
  }

  it('shows ingest rate, PUBACK latency, batch commit time, devices online per kind, open alarms and spool depth', () => {
    for (const name of [
      'sw_ingest_messages_total',
      'sw_ingest_ack_seconds',
      'sw_ingest_commit_seconds',
      'sw_devices_online',
      'sw_alarms_open',
      'sw_ingest_spool_batches',
      'sw_ingest_spool_bytes',
      'sw_mqtt_connections',
    ]) {
      expect(used, name).toContain(name);
    }
    expect(exprs.some((e) => /sum by \(kind\) \(sw_devices_online\)/.test(e))).toBe(true);
    expect(exprs.some((e) => /histogram_quantile\(0\.99, .*sw_ingest_ack_seconds_bucket/.test(e))).toBe(true);
  });

  it('reads only metrics the service registers', () => {
    const known = registeredNames();
    expect([...used].filter((n) => !known.has(n))).toEqual([]);
  });

  it('every panel uses the provisioned Prometheus data source', () => {
    const ds = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
    const uid = ds.datasources[0]?.uid;
    expect(ds.datasources[0]?.url).toBe('http://prometheus:9090');
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid, p.title).toBe(uid);
  });
});

describe('check-secrets.sh (entrypoint guard of TimescaleDB and Grafana)', () => {
  const guard = (value: string | undefined) =>
    spawnSync('/bin/sh', [path.join(ROOT, 'deploy/check-secrets.sh'), 'THE_PASSWORD', '--', '/bin/echo', 'started'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(value === undefined ? {} : { THE_PASSWORD: value }) },
      encoding: 'utf8',
    });

  it('runs the command with a real secret', () => {
    const r = guard('Vk2-real-Hh9w');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('started');
  });

  it('refuses empty, unset and placeholder values without running the command', () => {
    for (const v of [undefined, '', 'change-me', 'CHANGEME', 'password', 'admin', 'postgres']) {
      const r = guard(v);
      expect(r.status, String(v)).toBe(78);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/refusing to start: THE_PASSWORD/);
    }
  });
});

describe('docker compose config (every profile)', () => {
  function composeCommand(): string[] | null {
    for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version', '--short'], { encoding: 'utf8' });
      // Compose v1 (Debian's docker-compose 1.29) predates secrets from the environment; only v2 validates this file.
      if (r.status === 0 && /^v?2\./.test(r.stdout.trim())) return cmd;
    }
    return null;
  }
  const cmd = composeCommand();

  it.each([[[]], [['sim']], [['monitoring']], [['cluster']], [['sim', 'monitoring', 'cluster']]])('validates with profiles %j', (profiles: string[]) => {
    if (!cmd) {
      console.warn('[compose] SKIPPED `docker compose config`: no Compose v2 here (docker client without the compose plugin, no docker-compose v2)');
      return;
    }
    const args = [...cmd.slice(1), '-f', path.join(ROOT, 'docker-compose.yml'), ...profiles.flatMap((p) => ['--profile', p]), 'config', '--quiet'];
    const ok = spawnSync(cmd[0]!, args, { env: { ...process.env, ...GOOD_ENV }, encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const missing = spawnSync(cmd[0]!, args, { env: { ...process.env, ...GOOD_ENV, SECRET_KEY: '' }, encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/SECRET_KEY/);
  });
});
