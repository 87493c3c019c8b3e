/**
 * The one configuration schema. Every key is read from the environment (or from a JSON file named by SW_CONFIG_FILE,
 * environment winning), validated at start, and listed in the README with its default. docker-compose.yml may only set
 * keys declared here (a test checks it).
 */
export type KeyType =
  | { kind: 'string'; allowEmpty?: boolean; pattern?: RegExp; hint?: string }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'url'; protocols: readonly string[]; allowEmpty?: boolean }
  /** An IANA time zone name the runtime's Intl knows (e.g. Asia/Ho_Chi_Minh). */
  | { kind: 'timezone' };

export interface KeySpec {
  type: KeyType;
  default: string;
  doc: string;
  secret?: boolean;
}

export const CONFIG_KEYS = {
  SW_CONFIG_FILE: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    doc: 'Optional JSON file with any of these keys; environment variables win over it.',
  },
  SW_DATA_DIR: { type: { kind: 'string' }, default: './data', doc: 'Local data folder: embedded database, ingest spool, generated secret key, snapshots.' },
  SW_DATABASE_URL: {
    type: { kind: 'url', protocols: ['postgres:', 'postgresql:'], allowEmpty: true },
    default: '',
    secret: true,
    doc: 'PostgreSQL/TimescaleDB connection URL. Empty: embedded TimescaleDB (PGlite) persisted under SW_DATA_DIR/db.',
  },
  SW_DB_POOL_SIZE: { type: { kind: 'int', min: 1, max: 200 }, default: '10', doc: 'Connections in the PostgreSQL pool.' },
  SW_LOG_LEVEL: { type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', doc: 'pino log level.' },
  SW_HTTP_HOST: { type: { kind: 'string' }, default: '0.0.0.0', doc: 'Address the HTTP API listens on.' },
  SW_HTTP_PORT: {
    type: { kind: 'int', min: -1, max: 65535 },
    default: '8080',
    doc: 'Plain HTTP API port (0 = any free port, -1 = off; see SW_PLAIN_LISTENERS).',
  },
  SW_PUBLIC_BASE_URL: {
    type: { kind: 'url', protocols: ['http:', 'https:'], allowEmpty: true },
    default: '',
    doc: "Address devices use to reach this service over HTTP (audio files for loudspeakers), e.g. http://10.20.0.5:8080. Empty: the address the operator's request came to.",
  },
  SW_MQTT_HOST: { type: { kind: 'string' }, default: '0.0.0.0', doc: 'Address the MQTT broker listens on.' },
  SW_MQTT_PORT: {
    type: { kind: 'int', min: -1, max: 65535 },
    default: '1883',
    doc: 'Plain MQTT over TCP port (0 = any free port, -1 = off; see SW_PLAIN_LISTENERS).',
  },
  SW_MQTT_WS_PORT: { type: { kind: 'int', min: -1, max: 65535 }, default: '-1', doc: 'MQTT over WebSocket port (-1 = disabled, 0 = any free port).' },
  SW_MQTT_MAX_PAYLOAD_BYTES: {
    type: { kind: 'int', min: 256, max: 268435455 },
    default: '16384',
    doc: 'Largest PUBLISH payload a device may send; larger ones are refused and dead-lettered.',
  },
  SW_MQTT_MAX_TOPIC_DEPTH: { type: { kind: 'int', min: 2, max: 32 }, default: '6', doc: 'Most topic levels accepted in a PUBLISH or SUBSCRIBE.' },
  SW_MQTT_CONNECT_RATE: {
    type: { kind: 'int', min: 1, max: 1000000 },
    default: '200',
    doc: 'CONNECT attempts accepted per second from one source address (token bucket).',
  },
  SW_MQTT_CONNECT_BURST: { type: { kind: 'int', min: 1, max: 1000000 }, default: '2000', doc: 'Burst size of the per-address CONNECT token bucket.' },
  SW_MQTT_MAX_PACKET_BYTES: {
    type: { kind: 'int', min: 1024, max: 268435455 },
    default: '262144',
    doc: 'Largest MQTT packet accepted after CONNECT; a bigger one is refused as soon as its header is read and the connection closed (at least SW_MQTT_MAX_PAYLOAD_BYTES + 1 KiB is always allowed, so over-long payloads are dead-lettered). CONNECT itself may be at most SW_MQTT_MAX_PAYLOAD_BYTES + 1 KiB.',
  },
  SW_MQTT_PENDING_PER_ADDRESS: {
    type: { kind: 'int', min: 1, max: 1000000 },
    default: '32',
    doc: 'Connections from one source address that may be waiting to log in at once; more get CONNACK "server unavailable".',
  },
  SW_MQTT_PENDING_TOTAL: {
    type: { kind: 'int', min: 1, max: 1000000 },
    default: '1000',
    doc: 'Connections from all addresses that may be waiting to log in at once.',
  },
  SW_MQTT_CONNECT_TIMEOUT_MS: {
    type: { kind: 'int', min: 500, max: 600000 },
    default: '10000',
    doc: 'A connection that has not sent CONNECT within this time is closed.',
  },
  SW_MQTT_PUBLISH_RATE: {
    type: { kind: 'int', min: 1, max: 1000000 },
    default: '10',
    doc: 'PUBLISH messages per second one device may send (token bucket); past it the message is not stored and the connection is closed (QoS 1 senders resend later).',
  },
  SW_MQTT_PUBLISH_BURST: {
    type: { kind: 'int', min: 1, max: 10000000 },
    default: '300',
    doc: 'Burst of the per-device PUBLISH bucket (a device catching up after an outage).',
  },
  SW_MQTT_TRUSTED_PROXIES: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[0-9a-fA-F.:]+(,[0-9a-fA-F.:]+)*$/, hint: 'comma-separated IP addresses' },
    default: '',
    doc: 'Reverse proxies whose X-Forwarded-For names the real client of an MQTT-over-WebSocket connection (per-address limits). Empty: none.',
  },
  SW_PLAIN_LISTENERS: {
    type: { kind: 'enum', values: ['auto', 'on', 'off'] },
    default: 'auto',
    doc: 'Unencrypted listeners (SW_MQTT_PORT, SW_MQTT_WS_PORT, SW_HTTP_PORT). auto: on, except with NODE_ENV=production, where one opens only if its port is set explicitly; off: none.',
  },
  SW_MQTT_TLS_PORT: { type: { kind: 'int', min: -1, max: 65535 }, default: '8883', doc: 'MQTT over TLS (mqtts) port (0 = any free port, -1 = off).' },
  SW_MQTT_WSS_PORT: {
    type: { kind: 'int', min: -1, max: 65535 },
    default: '-1',
    doc: 'MQTT over secure WebSocket (wss, path /mqtt) port (0 = any free port, -1 = off).',
  },
  SW_HTTPS_PORT: { type: { kind: 'int', min: -1, max: 65535 }, default: '8443', doc: 'HTTPS API port (0 = any free port, -1 = off).' },
  SW_TLS_CERT_FILE: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    doc: 'PEM certificate (chain) for every TLS listener; re-read on SIGHUP without dropping connections. Empty (with SW_TLS_KEY_FILE empty): a self-signed one generated once into SW_DATA_DIR/tls.',
  },
  SW_TLS_KEY_FILE: { type: { kind: 'string', allowEmpty: true }, default: '', doc: 'PEM private key of SW_TLS_CERT_FILE (set both or neither).' },
  SW_INGEST_BATCH_ROWS: { type: { kind: 'int', min: 1, max: 100000 }, default: '5000', doc: 'Largest telemetry batch written in one statement.' },
  SW_INGEST_BATCH_WAIT_MS: {
    type: { kind: 'int', min: 0, max: 10000 },
    default: '25',
    doc: 'Longest a message waits for its batch to fill before the batch is written.',
  },
  SW_INGEST_REPLAY_INTERVAL_MS: {
    type: { kind: 'int', min: 100, max: 3600000 },
    default: '2000',
    doc: 'How often the disk spool is replayed into the database after a write failure.',
  },
  SW_INGEST_ACK_DEADLINE_MS: {
    type: { kind: 'int', min: 100, max: 60000 },
    default: '5000',
    doc: 'Longest a device message waits for the database (a free writer, then its batch commit) before its batch goes to the disk spool instead: the bound on the PUBACK delay.',
  },
  SW_INGEST_SLOW_WRITE_MS: {
    type: { kind: 'int', min: 10, max: 60000 },
    default: '1000',
    doc: 'A batch commit slower than this marks ingest degraded in /ready for the next 30 s.',
  },
  SW_SPOOL_MAX_BYTES: {
    type: { kind: 'int', min: 65536, max: 1099511627776 },
    default: '2147483648',
    doc: 'Most bytes the disk spool (SW_DATA_DIR/spool, quarantined batches included) may hold; beyond it messages get no PUBACK (devices resend later).',
  },
  SW_SPOOL_MIN_FREE_BYTES: {
    type: { kind: 'int', min: 0, max: 1099511627776 },
    default: '268435456',
    doc: 'Free space the spool always leaves on its disk (for the embedded database and logs); below it messages get no PUBACK.',
  },
  SW_AUTH_CACHE_DEVICES: {
    type: { kind: 'int', min: 0, max: 10000000 },
    default: '200000',
    doc: 'Devices whose verified credentials are kept in memory (LRU) so they can connect while the database cannot answer (0 = no cache).',
  },
  SW_ADMIN_USERNAME: {
    type: { kind: 'string', pattern: /^[a-z0-9._-]{3,64}$/, hint: '3–64 of a-z 0-9 . _ -' },
    default: 'admin',
    doc: 'Username of the first administrator, created at first start.',
  },
  SW_ADMIN_PASSWORD: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    secret: true,
    doc: 'Password of the first administrator. Empty: one is generated and printed once at first start.',
  },
  SW_SECRET_KEY: {
    type: { kind: 'string', allowEmpty: true, pattern: /^([0-9a-f]{64})?$/, hint: '64 hex characters (32 bytes)' },
    default: '',
    secret: true,
    doc: 'Key for secrets at rest (encrypted camera passwords, device-secret pepper). Empty: generated once into SW_DATA_DIR/secret.key.',
  },
  SW_METRICS_TOKEN: {
    type: {
      kind: 'string',
      allowEmpty: true,
      pattern: /^[A-Za-z0-9._~+/=-]{32,256}$/,
      hint: '32–256 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)',
    },
    default: '',
    secret: true,
    doc: 'Scrape credential for Prometheus: a bearer token accepted on /metrics only (viewer tokens work too). Empty: /metrics needs a viewer token.',
  },
  SW_BACKUP_DIR: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    doc: 'Where `npm run backup` writes backups. Empty: SW_DATA_DIR/backups (copy them off the machine).',
  },
  SW_TOKEN_TTL_HOURS: { type: { kind: 'int', min: 1, max: 8760 }, default: '12', doc: 'Lifetime of an operator login token.' },
  SW_WARD_CODE: {
    type: { kind: 'string', pattern: /^\d{5}$/, hint: 'the 5-digit administrative-unit code (mã ĐVHC)' },
    default: '22330',
    doc: 'The ward (mã ĐVHC) this deployment starts with: added to the wards at start, the default for new devices, zones and reports while it is the only ward (docs/scale.md, Province tenancy).',
  },
  SW_WARD_NAME: { type: { kind: 'string' }, default: 'Phường Phước Long', doc: 'Ward name shown in reports.' },
  SW_TIMEZONE: { type: { kind: 'timezone' }, default: 'Asia/Ho_Chi_Minh', doc: 'IANA time zone for schedules and reporting periods.' },
  SW_RETENTION_DAYS: { type: { kind: 'int', min: 1, max: 36500 }, default: '730', doc: 'Raw telemetry older than this is dropped (rollups are kept).' },
  SW_COMPRESS_AFTER_DAYS: { type: { kind: 'int', min: 1, max: 36500 }, default: '7', doc: 'TimescaleDB compresses telemetry chunks older than this.' },
  SW_ROLLUP_REFRESH_MS: {
    type: { kind: 'int', min: 1000, max: 86400000 },
    default: '60000',
    doc: 'How often the service refreshes hourly rollups where the database cannot (plain PostgreSQL, embedded).',
  },
  SW_MAP_TILE_URL: {
    type: { kind: 'string', allowEmpty: true, pattern: /^https?:\/\/.*\{z\}.*\{x\}.*\{y\}/, hint: 'a tile URL template with {z}, {x} and {y}' },
    default: '',
    doc: 'Map tiles for the dashboard (e.g. a ward or province tile server). Empty: offline map that still shows every device position.',
  },
  SW_MAP_ATTRIBUTION: { type: { kind: 'string', allowEmpty: true }, default: '', doc: 'Attribution text the tile provider requires.' },
  SW_HEALTH_SWEEP_MAX_MS: {
    type: { kind: 'int', min: 1000, max: 3600000 },
    default: '30000',
    doc: 'Longest pause between sweeps for devices that missed their reports (shorter when a kind reports more often).',
  },
  SW_HEALTH_FLAP_CHANGES: {
    type: { kind: 'int', min: 2, max: 1000 },
    default: '6',
    doc: 'A device is flapping after more than this many online/offline changes…',
  },
  SW_HEALTH_FLAP_WINDOW_S: {
    type: { kind: 'int', min: 60, max: 86400 },
    default: '1800',
    doc: '…within this many seconds (and settles after as long without a change).',
  },
  SW_UPTIME_ROLLUP_INTERVAL_MS: { type: { kind: 'int', min: 1000, max: 86400000 }, default: '300000', doc: 'How often the daily uptime rollup is advanced.' },
  SW_UPTIME_ROLLUP_GRACE_MS: {
    type: { kind: 'int', min: 0, max: 86400000 },
    default: '900000',
    doc: 'A day is rolled up this long after it ends (late reports still count).',
  },
  SW_ALARM_WEBHOOK_TIMEOUT_MS: { type: { kind: 'int', min: 100, max: 120000 }, default: '5000', doc: 'Deadline of one alarm webhook delivery attempt.' },
  SW_ALARM_WEBHOOK_RETRY_DELAYS_MS: {
    type: { kind: 'string', pattern: /^\d{1,9}(,\d{1,9}){0,19}$/, hint: 'comma-separated delays in ms, e.g. 1000,5000,30000' },
    default: '1000,5000,30000,120000,600000',
    doc: 'Retry schedule of a failed alarm webhook delivery.',
  },
  SW_REPORT_CHROMIUM_PATH: { type: { kind: 'string' }, default: '/usr/bin/chromium', doc: 'Chromium used to render PDF reports (Debian package chromium).' },
  SW_REPORT_SERVED_AVAILABILITY: {
    type: { kind: 'int', min: 1, max: 100 },
    default: '90',
    doc: 'Availability (%) over a period at which a residential group counts as served by a kind of device.',
  },
  SW_REPORT_REMOTE_CONTROL_DAYS: {
    type: { kind: 'int', min: 1, max: 180 },
    default: '7',
    doc: 'A controller counts as remotely controllable if it was reachable in this many last days of the period.',
  },
  SW_REPORT_PARENT_BODY: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    doc: 'Official report header (Decree 30/2020/NĐ-CP): the governing body (tên cơ quan chủ quản). Empty: "Ủy ban nhân dân" + SW_WARD_NAME.',
  },
  SW_REPORT_ISSUER: {
    type: { kind: 'string' },
    default: 'Phòng Kinh tế, Hạ tầng và Đô thị',
    doc: 'Official report header: the issuing body (tên cơ quan ban hành).',
  },
  SW_REPORT_ISSUER_ABBR: {
    type: { kind: 'string', pattern: /^[\p{Lu}0-9Đ&.-]{1,20}$/u, hint: '1–20 capital letters, digits, & . - (e.g. KTHTĐT)' },
    default: 'KTHTĐT',
    doc: 'Abbreviation of the issuing body in the document symbol: Số: …/BC-<abbr>.',
  },
  SW_REPORT_PLACE: { type: { kind: 'string', allowEmpty: true }, default: '', doc: 'Place in "<place>, ngày dd tháng mm năm yyyy". Empty: SW_WARD_NAME.' },
  SW_REPORT_SIGNER_TITLE: {
    type: { kind: 'string' },
    default: 'TRƯỞNG PHÒNG',
    doc: 'Signer\'s position; "|" separates lines, e.g. "KT. TRƯỞNG PHÒNG|PHÓ TRƯỞNG PHÒNG".',
  },
  SW_REPORT_SIGNER_NAME: {
    type: { kind: 'string', allowEmpty: true },
    default: '',
    doc: "Signer's full name under the signature space (empty: left blank to write by hand).",
  },
  SW_REPORT_RECIPIENTS: {
    type: { kind: 'string' },
    default: 'Ban Chỉ đạo phường (qua Phòng Văn hóa – Xã hội); Lưu: VT',
    doc: 'The report\'s "Nơi nhận" list, ";" between recipients.',
  },
  SW_REPORT_HALF_YEAR_CUTOFF: {
    type: {
      kind: 'string',
      allowEmpty: true,
      pattern: /^((0[1-5]-(0[1-9]|[12]\d|3[01])|06-(0[1-9]|1\d|2\d)),((0[7-9]|1[01])-(0[1-9]|[12]\d|3[01])|06-30|12-(0[1-9]|1\d|2[0-4])))?$/,
      hint: 'MM-DD,MM-DD inside each half-year (H1 up to 06-29, H2 from 06-30 up to 12-24), e.g. 06-20,12-15',
    },
    default: '',
    doc: 'Half-year cut-off: half-year reports count data up to the end of this local day (a unit files before the 30/6 and 25/12 deadlines). Empty: the whole half-year (29/06 and 24/12). `asOf=YYYY-MM-DD` on a report request overrides it.',
  },
  SW_CAMERA_PROBE_INTERVAL_MS: {
    type: { kind: 'int', min: 1000, max: 3600000 },
    default: '30000',
    doc: 'How often each camera is probed (ONVIF GetSystemDateAndTime).',
  },
  SW_CAMERA_PROBE_TIMEOUT_MS: { type: { kind: 'int', min: 200, max: 60000 }, default: '5000', doc: 'Deadline of one camera probe.' },
  SW_CAMERA_OFFLINE_AFTER_MS: {
    type: { kind: 'int', min: 1000, max: 86400000 },
    default: '90000',
    doc: 'A camera without a successful probe for this long is offline (also after 3 failed probes in a row).',
  },
  SW_CAMERA_SNAPSHOT_PROBE_INTERVAL_MS: {
    type: { kind: 'int', min: 0, max: 86400000 },
    default: '300000',
    doc: 'How often a snapshot is fetched to check the picture (0 = never, which also stops scheduled snapshots).',
  },
  SW_CAMERA_SNAPSHOT_INTERVAL_MS: {
    type: { kind: 'int', min: 0, max: 86400000 },
    default: '900000',
    doc: 'A checked snapshot is kept as a scheduled snapshot when the last kept one is this old.',
  },
  SW_CAMERA_SNAPSHOT_KEEP: { type: { kind: 'int', min: 1, max: 1000000 }, default: '700', doc: 'Snapshots kept per camera (oldest removed first).' },
  SW_CAMERA_SNAPSHOT_MAX_AGE_DAYS: { type: { kind: 'int', min: 1, max: 3650 }, default: '7', doc: 'Snapshots older than this are removed.' },
  SW_CAMERA_DISCOVERY_INTERFACES: {
    type: { kind: 'string', pattern: /^[0-9.]+(,[0-9.]+)*$/, hint: 'comma-separated IPv4 addresses of this host' },
    default: '127.0.0.1',
    doc: 'Local addresses WS-Discovery probes from (the camera LAN). Loopback only by default.',
  },
  // WiFi sessions and captive-portal records (services/wifi, docs/wifi-marketing.md).
  SW_WIFI_PERSONAL_RETENTION_DAYS: {
    type: { kind: 'int', min: 1, max: 3650 },
    default: '90',
    doc: 'Personal WiFi records (sessions, portal logins, their raw events; hashed MACs and phones) are removed after this many days.',
  },
  SW_WIFI_RETENTION_INTERVAL_MS: {
    type: { kind: 'int', min: 1000, max: 86400000 },
    default: '3600000',
    doc: 'How often the WiFi personal-data retention job runs.',
  },
  // Province link (services/province, docs/province-link.md).
  SW_PROVINCE_BROKER_URL: {
    type: { kind: 'url', protocols: ['http:', 'https:'], allowEmpty: true },
    default: '',
    doc: "The province's NGSI-LD context broker (base URL, e.g. https://broker.tinh.gov.vn). Empty: nothing is exported.",
  },
  SW_PROVINCE_BROKER_TOKEN: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[A-Za-z0-9._~+/=-]{16,512}$/, hint: '16–512 characters of A-Z a-z 0-9 . _ ~ + / = -' },
    default: '',
    secret: true,
    doc: 'Bearer token the exporter presents to the context broker.',
  },
  SW_PROVINCE_TENANT: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[A-Za-z0-9_-]{1,64}$/, hint: 'letters, digits, _ and -' },
    default: '',
    doc: 'NGSILD-Tenant header sent upstream (empty: none).',
  },
  SW_PROVINCE_EXPORT_INTERVAL_MS: {
    type: { kind: 'int', min: 1000, max: 86400000 },
    default: '300000',
    doc: 'How often changed device entities and indicators are put in the outbox.',
  },
  SW_PROVINCE_RETRY_BASE_MS: {
    type: { kind: 'int', min: 10, max: 3600000 },
    default: '5000',
    doc: 'First retry delay of a failed upstream delivery (doubles each attempt, with jitter).',
  },
  SW_PROVINCE_RETRY_MAX_MS: { type: { kind: 'int', min: 10, max: 86400000 }, default: '600000', doc: 'Longest delay between upstream delivery attempts.' },
  SW_PROVINCE_AUDIO_HOSTS: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[A-Za-z0-9.-]+(:\d{1,5})?(,[A-Za-z0-9.-]+(:\d{1,5})?)*$/, hint: 'comma-separated host or host:port' },
    default: '',
    doc: 'Hosts the ward fetches province bulletin audio from. Empty: only the host of SW_PROVINCE_BROKER_URL.',
  },
  SW_PROVINCE_INBOUND_TOKEN: {
    type: {
      kind: 'string',
      allowEmpty: true,
      pattern: /^[A-Za-z0-9._~+/=-]{32,256}$/,
      hint: '32–256 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)',
    },
    default: '',
    secret: true,
    doc: "Bearer token the province's radio system presents on /api/v1/province/*. Empty: the inbound API is closed.",
  },
  // Cluster (issue 12, docs/scale.md): several service processes behind a TCP load balancer, one Redis, one PostgreSQL.
  SW_CLUSTER_REDIS_URL: {
    type: { kind: 'url', protocols: ['redis:', 'rediss:'], allowEmpty: true },
    default: '',
    secret: true,
    doc: 'Redis for the broker cluster (shared MQTT bus and sessions) and cross-node live events, e.g. redis://redis:6379/0. Empty: one process, nothing shared. Needs SW_DATABASE_URL.',
  },
  SW_CLUSTER_NODE_ID: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: '1–64 of A-Z a-z 0-9 . _ -' },
    default: '',
    doc: "This process's name in the cluster (connection ownership, job leases). Empty: host name and process id.",
  },
  SW_CLUSTER_LEASE_MS: {
    type: { kind: 'int', min: 1000, max: 120000 },
    default: '5000',
    doc: "Lifetime of a node's and a job's lease in PostgreSQL: a dead node's jobs and devices move to a survivor after about this long.",
  },
  // API security (README "Security"): login throttling, machine tokens, outbound address allow-lists.
  SW_LOGIN_USER_MAX_FAILURES: {
    type: { kind: 'int', min: 1, max: 1000 },
    default: '10',
    doc: 'Failed logins for one username (from any address) within SW_LOGIN_LOCKOUT_S before that username is locked for SW_LOGIN_LOCKOUT_S.',
  },
  SW_LOGIN_ADDRESS_MAX_FAILURES: {
    type: { kind: 'int', min: 1, max: 100000 },
    default: '30',
    doc: 'Failed logins from one client address within SW_LOGIN_LOCKOUT_S before that address may not log in for SW_LOGIN_LOCKOUT_S.',
  },
  SW_LOGIN_LOCKOUT_S: {
    type: { kind: 'int', min: 1, max: 86400 },
    default: '900',
    doc: 'Window over which failed logins are counted, and how long a lockout lasts.',
  },
  SW_LOGIN_HASH_CONCURRENCY: {
    type: { kind: 'int', min: 1, max: 64 },
    default: '2',
    doc: 'Password hashes (scrypt, 32 MiB each) computed at once; further logins wait in a queue.',
  },
  SW_LOGIN_HASH_QUEUE: {
    type: { kind: 'int', min: 0, max: 100000 },
    default: '64',
    doc: 'Logins that may wait for a password hash; beyond it a login is refused with 503 and Retry-After.',
  },
  SW_API_TOKEN_MAX_DAYS: {
    type: { kind: 'int', min: 1, max: 3650 },
    default: '365',
    doc: 'Longest lifetime of a machine (API) token; a token created without an expiry gets 90 days (or this, if shorter).',
  },
  SW_NETWORKS_LIVE_SOURCE: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[0-9a-fA-F:./,]*$/, hint: 'comma-separated CIDR blocks, e.g. 0.0.0.0/0,::/0' },
    default: '0.0.0.0/0,::/0',
    doc: 'Networks a live broadcast source URL may point to. Loopback, link-local, unspecified and multicast addresses are refused unless a block listed here is no wider than theirs (e.g. 127.0.0.0/8).',
  },
  SW_NETWORKS_CAMERA: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[0-9a-fA-F:./,]*$/, hint: 'comma-separated CIDR blocks, e.g. 10.20.0.0/16' },
    default: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7',
    doc: 'Networks camera addresses may be in (the camera LAN). Same rule for loopback and link-local as SW_NETWORKS_LIVE_SOURCE.',
  },
  SW_NETWORKS_WEBHOOK: {
    type: { kind: 'string', allowEmpty: true, pattern: /^[0-9a-fA-F:./,]*$/, hint: 'comma-separated CIDR blocks' },
    default: '0.0.0.0/0,::/0',
    doc: 'Networks alarm webhook URLs may point to. Same rule for loopback and link-local as SW_NETWORKS_LIVE_SOURCE.',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
