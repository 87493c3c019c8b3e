import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS, type ConfigKey, type KeySpec } from './config.schema.ts';
import { placeholderProblems } from './placeholders.ts';
import { isValidZone } from '../common/zoned-time.ts';
import { networkProblems } from '../common/net-guard.ts';

export interface Config {
  dataDir: string;
  databaseUrl: string;
  dbPoolSize: number;
  logLevel: string;
  /** `port` is -1 when plain HTTP is off (SW_PLAIN_LISTENERS); `httpsPort` -1 when HTTPS is off. */
  http: { host: string; port: number; publicBaseUrl: string; httpsPort: number };
  /** Certificate and key for every TLS listener; both empty = self-signed in dataDir/tls (services/common/tls.ts). */
  tls: { certFile: string; keyFile: string };
  mqtt: {
    host: string;
    port: number;
    wsPort: number;
    tlsPort: number;
    wssPort: number;
    maxPayloadBytes: number;
    maxTopicDepth: number;
    connectRate: number;
    connectBurst: number;
    maxPacketBytes: number;
    pendingPerAddress: number;
    pendingTotal: number;
    connectTimeoutMs: number;
    publishRate: number;
    publishBurst: number;
    trustedProxies: string[];
  };
  ingest: {
    batchRows: number;
    batchWaitMs: number;
    replayIntervalMs: number;
    ackDeadlineMs: number;
    slowWriteMs: number;
    spoolMaxBytes: number;
    spoolMinFreeBytes: number;
  };
  /** Verified device credentials kept for database outages (services/registry/credential-cache.ts). */
  authCacheDevices: number;
  admin: { username: string; password: string };
  secretKey: string;
  /** Bearer token accepted on /metrics only (Prometheus); empty = none. */
  metricsToken: string;
  /** Where backups are written (absolute). */
  backupDir: string;
  tokenTtlHours: number;
  ward: { code: string; name: string; timezone: string };
  storage: { retentionDays: number; compressAfterDays: number; rollupRefreshMs: number };
  map: { tileUrl: string; attribution: string };
  /** Device health and alarms (services/health, docs/health.md). */
  health: {
    sweepMaxMs: number;
    flapMaxChanges: number;
    flapWindowS: number;
    rollupIntervalMs: number;
    rollupGraceMs: number;
    webhookTimeoutMs: number;
    webhookRetryDelaysMs: number[];
  };
  /** The ward plan's indicator report (services/health/indicators). */
  reports: {
    chromiumPath: string;
    servedAvailability: number;
    remoteControlDays: number;
    /** The official header and closing of the printed report (Decree 30/2020/NĐ-CP). */
    official: { parentBody: string; issuer: string; issuerAbbr: string; place: string; signerTitle: string[]; signerName: string; recipients: string[] };
    /** Last day of data in H1 and H2 reports ('MM-DD'), or null for the whole half-year. */
    halfYearCutoff: { h1: string; h2: string } | null;
  };
  /** ONVIF cameras (services/cameras, docs/cameras.md). */
  cameras: {
    probeIntervalMs: number;
    probeTimeoutMs: number;
    offlineAfterMs: number;
    snapshotProbeIntervalMs: number;
    scheduledSnapshotIntervalMs: number;
    snapshotKeepLast: number;
    snapshotMaxAgeDays: number;
    discoveryBindAddresses: string[];
  };
  /** WiFi sessions and portal records (services/wifi). */
  wifi: { personalRetentionDays: number; retentionIntervalMs: number };
  /** Province link: NGSI-LD exporter and the inbound radio API (services/province). */
  province: {
    brokerUrl: string;
    brokerToken: string;
    tenant: string;
    exportIntervalMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    inboundToken: string;
    audioHosts: string[];
  };
  /** Several processes as one service (services/cluster, docs/scale.md); redisUrl empty = a single process. */
  cluster: { redisUrl: string; nodeId: string; leaseMs: number };
  /** API security (README "Security"). */
  security: {
    loginUserMaxFailures: number;
    loginAddressMaxFailures: number;
    loginLockoutS: number;
    hashConcurrency: number;
    hashQueue: number;
    apiTokenMaxDays: number;
    /** Outbound allow-lists per purpose, CIDR blocks (services/common/net-guard.ts). */
    networks: { liveSource: string[]; camera: string[]; webhook: string[] };
  };
  /** Keys that were not set anywhere and took their default. */
  defaulted: ConfigKey[];
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Raw = Partial<Record<string, string>>;

function checkValue(key: string, spec: KeySpec, value: string): string | undefined {
  const t = spec.type;
  switch (t.kind) {
    case 'string':
      if (value === '' && !t.allowEmpty) return `${key}: must not be empty`;
      if (value !== '' && t.pattern && !t.pattern.test(value)) return `${key}: expected ${t.hint ?? String(t.pattern)}, got '${value}'`;
      return undefined;
    case 'int': {
      if (!/^-?\d+$/.test(value)) return `${key}: expected an integer ${t.min}..${t.max}, got '${value}'`;
      const n = Number(value);
      if (n < t.min || n > t.max) return `${key}: expected an integer ${t.min}..${t.max}, got ${n}`;
      return undefined;
    }
    case 'bool':
      return ['true', 'false', '1', '0'].includes(value) ? undefined : `${key}: expected true or false, got '${value}'`;
    case 'enum':
      return t.values.includes(value) ? undefined : `${key}: expected one of ${t.values.join(', ')}, got '${value}'`;
    case 'url': {
      if (value === '') return t.allowEmpty ? undefined : `${key}: must not be empty`;
      try {
        const u = new URL(value);
        if (!t.protocols.includes(u.protocol)) return `${key}: expected a ${t.protocols.join(' or ')} URL, got protocol '${u.protocol}'`;
      } catch {
        return `${key}: expected a URL like postgres://user:pass@host:5432/db`;
      }
      return undefined;
    }
    case 'timezone':
      return isValidZone(value) ? undefined : `${key}: expected an IANA time zone such as Asia/Ho_Chi_Minh, got '${value}'`;
  }
}

function readFileKeys(file: string): { values: Raw; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { values: {}, problems: [`SW_CONFIG_FILE: cannot read '${file}' as JSON (${(err as Error).message})`] };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { values: {}, problems: [`SW_CONFIG_FILE: '${file}' must hold a JSON object of KEY: value`] };
  }
  const values: Raw = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (!(k in CONFIG_KEYS)) problems.push(`${k} (in ${file}): unknown key`);
    else values[k] = String(v);
  }
  return { values, problems };
}

/**
 * Reads and validates every key at once, so a bad start names every bad key and what it expects, not just the first.
 * Unknown SW_* environment variables are refused too: a typo must not silently fall back to a default.
 */
export function loadConfig(env: Raw = process.env, overrides: Raw = {}): Config {
  const problems: string[] = [];
  const fileName = overrides.SW_CONFIG_FILE ?? env.SW_CONFIG_FILE ?? '';
  const fromFile = fileName ? readFileKeys(fileName) : { values: {}, problems: [] };
  problems.push(...fromFile.problems);
  for (const k of Object.keys(env)) {
    if (k.startsWith('SW_') && !(k in CONFIG_KEYS)) problems.push(`${k}: unknown key (see README, "Configuration")`);
  }
  const raw = {} as Record<ConfigKey, string>;
  const defaulted: ConfigKey[] = [];
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, KeySpec][]) {
    const given = overrides[key] ?? env[key] ?? fromFile.values[key];
    if (given === undefined) defaulted.push(key);
    const value = (given ?? spec.default).trim();
    const problem = checkValue(key, spec, value);
    if (problem) problems.push(problem);
    raw[key] = value;
  }
  problems.push(...placeholderProblems(raw));
  if (raw.SW_CLUSTER_REDIS_URL && !raw.SW_DATABASE_URL)
    problems.push('SW_CLUSTER_REDIS_URL: a cluster shares one PostgreSQL; set SW_DATABASE_URL too (the embedded store is one process only)');
  problems.push(
    ...networkProblems({
      SW_NETWORKS_LIVE_SOURCE: cidrList(raw.SW_NETWORKS_LIVE_SOURCE ?? ''),
      SW_NETWORKS_CAMERA: cidrList(raw.SW_NETWORKS_CAMERA ?? ''),
      SW_NETWORKS_WEBHOOK: cidrList(raw.SW_NETWORKS_WEBHOOK ?? ''),
    }),
  );
  if (Boolean(raw.SW_TLS_CERT_FILE) !== Boolean(raw.SW_TLS_KEY_FILE)) problems.push('SW_TLS_CERT_FILE and SW_TLS_KEY_FILE: set both or neither');
  if (problems.length > 0) throw new ConfigError(problems);
  return build(raw, defaulted, env.NODE_ENV === 'production');
}

function build(r: Record<ConfigKey, string>, defaulted: ConfigKey[], production: boolean): Config {
  const int = (k: ConfigKey): number => Number(r[k]);
  // Plain listeners are off in production unless their port was set on purpose (README "Security").
  const mode = r.SW_PLAIN_LISTENERS;
  const plain = (k: ConfigKey): number => (mode === 'on' || (mode === 'auto' && (!production || !defaulted.includes(k))) ? int(k) : -1);
  return {
    dataDir: path.resolve(r.SW_DATA_DIR),
    databaseUrl: r.SW_DATABASE_URL,
    dbPoolSize: int('SW_DB_POOL_SIZE'),
    logLevel: r.SW_LOG_LEVEL,
    http: { host: r.SW_HTTP_HOST, port: plain('SW_HTTP_PORT'), publicBaseUrl: r.SW_PUBLIC_BASE_URL.replace(/\/+$/, ''), httpsPort: int('SW_HTTPS_PORT') },
    tls: { certFile: r.SW_TLS_CERT_FILE, keyFile: r.SW_TLS_KEY_FILE },
    mqtt: {
      host: r.SW_MQTT_HOST,
      port: plain('SW_MQTT_PORT'),
      wsPort: plain('SW_MQTT_WS_PORT'),
      tlsPort: int('SW_MQTT_TLS_PORT'),
      wssPort: int('SW_MQTT_WSS_PORT'),
      maxPayloadBytes: int('SW_MQTT_MAX_PAYLOAD_BYTES'),
      maxTopicDepth: int('SW_MQTT_MAX_TOPIC_DEPTH'),
      connectRate: int('SW_MQTT_CONNECT_RATE'),
      connectBurst: int('SW_MQTT_CONNECT_BURST'),
      maxPacketBytes: int('SW_MQTT_MAX_PACKET_BYTES'),
      pendingPerAddress: int('SW_MQTT_PENDING_PER_ADDRESS'),
      pendingTotal: int('SW_MQTT_PENDING_TOTAL'),
      connectTimeoutMs: int('SW_MQTT_CONNECT_TIMEOUT_MS'),
      publishRate: int('SW_MQTT_PUBLISH_RATE'),
      publishBurst: int('SW_MQTT_PUBLISH_BURST'),
      trustedProxies: r.SW_MQTT_TRUSTED_PROXIES ? r.SW_MQTT_TRUSTED_PROXIES.split(',') : [],
    },
    ingest: {
      batchRows: int('SW_INGEST_BATCH_ROWS'),
      batchWaitMs: int('SW_INGEST_BATCH_WAIT_MS'),
      replayIntervalMs: int('SW_INGEST_REPLAY_INTERVAL_MS'),
      ackDeadlineMs: int('SW_INGEST_ACK_DEADLINE_MS'),
      slowWriteMs: int('SW_INGEST_SLOW_WRITE_MS'),
      spoolMaxBytes: int('SW_SPOOL_MAX_BYTES'),
      spoolMinFreeBytes: int('SW_SPOOL_MIN_FREE_BYTES'),
    },
    authCacheDevices: int('SW_AUTH_CACHE_DEVICES'),
    admin: { username: r.SW_ADMIN_USERNAME, password: r.SW_ADMIN_PASSWORD },
    secretKey: r.SW_SECRET_KEY,
    metricsToken: r.SW_METRICS_TOKEN,
    backupDir: path.resolve(r.SW_BACKUP_DIR || path.join(r.SW_DATA_DIR, 'backups')),
    tokenTtlHours: int('SW_TOKEN_TTL_HOURS'),
    ward: { code: r.SW_WARD_CODE, name: r.SW_WARD_NAME, timezone: r.SW_TIMEZONE },
    storage: {
      retentionDays: int('SW_RETENTION_DAYS'),
      compressAfterDays: int('SW_COMPRESS_AFTER_DAYS'),
      rollupRefreshMs: int('SW_ROLLUP_REFRESH_MS'),
    },
    map: { tileUrl: r.SW_MAP_TILE_URL, attribution: r.SW_MAP_ATTRIBUTION },
    health: {
      sweepMaxMs: int('SW_HEALTH_SWEEP_MAX_MS'),
      flapMaxChanges: int('SW_HEALTH_FLAP_CHANGES'),
      flapWindowS: int('SW_HEALTH_FLAP_WINDOW_S'),
      rollupIntervalMs: int('SW_UPTIME_ROLLUP_INTERVAL_MS'),
      rollupGraceMs: int('SW_UPTIME_ROLLUP_GRACE_MS'),
      webhookTimeoutMs: int('SW_ALARM_WEBHOOK_TIMEOUT_MS'),
      webhookRetryDelaysMs: r.SW_ALARM_WEBHOOK_RETRY_DELAYS_MS.split(',').map(Number),
    },
    reports: {
      chromiumPath: r.SW_REPORT_CHROMIUM_PATH,
      servedAvailability: int('SW_REPORT_SERVED_AVAILABILITY'),
      remoteControlDays: int('SW_REPORT_REMOTE_CONTROL_DAYS'),
      official: {
        parentBody: r.SW_REPORT_PARENT_BODY || `Ủy ban nhân dân ${r.SW_WARD_NAME.replace(/^(Phường|Xã|Thị trấn) /u, (m) => m.toLowerCase())}`,
        issuer: r.SW_REPORT_ISSUER,
        issuerAbbr: r.SW_REPORT_ISSUER_ABBR,
        place: r.SW_REPORT_PLACE || r.SW_WARD_NAME,
        signerTitle: r.SW_REPORT_SIGNER_TITLE.split('|')
          .map((x) => x.trim())
          .filter(Boolean),
        signerName: r.SW_REPORT_SIGNER_NAME,
        recipients: r.SW_REPORT_RECIPIENTS.split(';')
          .map((x) => x.trim())
          .filter(Boolean),
      },
      halfYearCutoff: r.SW_REPORT_HALF_YEAR_CUTOFF ? { h1: r.SW_REPORT_HALF_YEAR_CUTOFF.slice(0, 5), h2: r.SW_REPORT_HALF_YEAR_CUTOFF.slice(6, 11) } : null,
    },
    cameras: {
      probeIntervalMs: int('SW_CAMERA_PROBE_INTERVAL_MS'),
      probeTimeoutMs: int('SW_CAMERA_PROBE_TIMEOUT_MS'),
      offlineAfterMs: int('SW_CAMERA_OFFLINE_AFTER_MS'),
      snapshotProbeIntervalMs: int('SW_CAMERA_SNAPSHOT_PROBE_INTERVAL_MS'),
      scheduledSnapshotIntervalMs: int('SW_CAMERA_SNAPSHOT_INTERVAL_MS'),
      snapshotKeepLast: int('SW_CAMERA_SNAPSHOT_KEEP'),
      snapshotMaxAgeDays: int('SW_CAMERA_SNAPSHOT_MAX_AGE_DAYS'),
      discoveryBindAddresses: r.SW_CAMERA_DISCOVERY_INTERFACES.split(','),
    },
    wifi: { personalRetentionDays: int('SW_WIFI_PERSONAL_RETENTION_DAYS'), retentionIntervalMs: int('SW_WIFI_RETENTION_INTERVAL_MS') },
    province: {
      brokerUrl: r.SW_PROVINCE_BROKER_URL.replace(/\/+$/, ''),
      brokerToken: r.SW_PROVINCE_BROKER_TOKEN,
      tenant: r.SW_PROVINCE_TENANT,
      exportIntervalMs: int('SW_PROVINCE_EXPORT_INTERVAL_MS'),
      retryBaseMs: int('SW_PROVINCE_RETRY_BASE_MS'),
      retryMaxMs: int('SW_PROVINCE_RETRY_MAX_MS'),
      inboundToken: r.SW_PROVINCE_INBOUND_TOKEN,
      audioHosts: r.SW_PROVINCE_AUDIO_HOSTS ? r.SW_PROVINCE_AUDIO_HOSTS.split(',').map((h) => h.toLowerCase()) : [],
    },
    cluster: { redisUrl: r.SW_CLUSTER_REDIS_URL, nodeId: r.SW_CLUSTER_NODE_ID, leaseMs: int('SW_CLUSTER_LEASE_MS') },
    security: {
      loginUserMaxFailures: int('SW_LOGIN_USER_MAX_FAILURES'),
      loginAddressMaxFailures: int('SW_LOGIN_ADDRESS_MAX_FAILURES'),
      loginLockoutS: int('SW_LOGIN_LOCKOUT_S'),
      hashConcurrency: int('SW_LOGIN_HASH_CONCURRENCY'),
      hashQueue: int('SW_LOGIN_HASH_QUEUE'),
      apiTokenMaxDays: int('SW_API_TOKEN_MAX_DAYS'),
      networks: {
        liveSource: cidrList(r.SW_NETWORKS_LIVE_SOURCE),
        camera: cidrList(r.SW_NETWORKS_CAMERA),
        webhook: cidrList(r.SW_NETWORKS_WEBHOOK),
      },
    },
    defaulted,
  };
}

const cidrList = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
