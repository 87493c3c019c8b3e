import { EventEmitter } from 'node:events';
import type { ModuleEventMap } from './modules/events.ts';
import { SharedRegistry } from './modules/shared-registry.ts';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './api/app.ts';
import type { RouteEntry } from './api/security.ts';
import type { ApiDeps } from './api/context.ts';
import { AuditRepository } from './audit/audit.repository.ts';
import { AuthRepository } from './auth/auth.repository.ts';
import { AuthService } from './auth/auth.service.ts';
import { BrokerService } from './broker/broker.service.ts';
import { Cluster } from './cluster/cluster.ts';
import { SOLO_JOBS } from './cluster/job-leases.ts';
import { LIVE_EVENTS } from './api/routes/live.routes.ts';
import { loadServiceKey } from './common/crypto.ts';
import { lockDataDir } from './common/data-dir-lock.ts';
import type { Logger } from './common/logger.ts';
import { Metrics } from './common/metrics.ts';
import { resolveTlsFiles, TlsContext } from './common/tls.ts';
import type { Config } from './config/config.ts';
import type { Db } from './db/db.ts';
import { migrate } from './db/migrator.ts';
import { openDatabase } from './db/open.ts';
import { IngestRepository } from './ingest/ingest.repository.ts';
import { IngestService } from './ingest/ingest.service.ts';
import { Spool } from './ingest/spool.ts';
import { MODULES } from './modules/index.ts';
import type { ModuleContext } from './modules/module.ts';
import { MaintenanceRepository } from './maintenance/maintenance.repository.ts';
import { MaintenanceService } from './maintenance/maintenance.service.ts';
import { readiness } from './readiness.ts';
import { CredentialCache } from './registry/credential-cache.ts';
import { DeviceRepository } from './registry/device.repository.ts';
import { DeviceService } from './registry/device.service.ts';
import { WardRepository } from './registry/ward.repository.ts';
import { WardService } from './registry/ward.service.ts';
import { ZoneRepository } from './registry/zone.repository.ts';
import { TelemetryRepository } from './telemetry/telemetry.repository.ts';
import { TelemetryService } from './telemetry/telemetry.service.ts';

export interface App {
  config: Config;
  db: Db;
  metrics: Metrics;
  broker: BrokerService;
  ingest: IngestService;
  api: FastifyInstance;
  routes: RouteEntry[];
  devices: DeviceService;
  auth: AuthService;
  maintenance: MaintenanceService;
  /** The context feature modules were given (tests reach module services through `ctx.shared`). */
  ctx: ModuleContext;
  /** Set when the first administrator was created by this start with a generated password (print it once). */
  firstAdmin: { username: string; password: string | null } | null;
  /** Listener addresses; `mqtt` and `http` are '' when that plain listener is off (SW_PLAIN_LISTENERS). */
  urls(): { mqtt: string; mqttWs: string | null; http: string; mqtts: string | null; mqttWss: string | null; https: string | null };
  /** The certificate every TLS listener serves (null when all are off). */
  tls: TlsContext | null;
  /** SIGHUP: re-read the TLS certificate and key; open connections stay, new ones get the new pair. */
  reloadTls(): { ok: boolean; error?: string };
  stop(): Promise<void>;
}

/**
 * Wiring in dependency order: database → migrations → repositories → services → broker → API.
 * Shutdown runs in reverse and drains ingest batches before the database closes.
 */
export async function startApp(config: Config, log: Logger, opts: { db?: Db; instrumentApi?: ApiDeps['instrument'] } = {}): Promise<App> {
  // Before anything touches the data folder (embedded database, spool, secret key): one process per folder.
  const lock = lockDataDir(config.dataDir, log);
  const metrics = new Metrics({ process: true });
  const db = opts.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, log }));
  log.info({ database: db.description }, 'database opened');
  await migrate(db, log);
  // Province tenancy: the configured ward exists before any user, device or zone is read.
  const wards = new WardService(new WardRepository(db));
  await wards.start(config.ward, log);
  const key = loadServiceKey(config.secretKey, config.dataDir);
  // Cluster mode (SW_CLUSTER_REDIS_URL): job leases and this node's row exist before any job or device connection.
  const cluster = config.cluster.redisUrl ? new Cluster(config, db, log, metrics) : null;
  await cluster?.start();

  const deviceRepo = new DeviceRepository(db);
  const devices = new DeviceService(deviceRepo, key, wards, {
    credentialCache: new CredentialCache(config.authCacheDevices),
    metrics,
    log: log.child({ module: 'registry' }),
  });
  const auth = new AuthService(new AuthRepository(db), config.tokenTtlHours, log, config.security);
  const firstAdmin = await auth.bootstrapAdmin(config.admin.username, config.admin.password);
  const reads = new TelemetryRepository(db, config.ward.timezone);
  const zones = new ZoneRepository(db);
  const audit = new AuditRepository(db);

  const ingest = new IngestService({
    repo: new IngestRepository(db),
    spool: new Spool(path.join(config.dataDir, 'spool'), { maxBytes: config.ingest.spoolMaxBytes, minFreeBytes: config.ingest.spoolMinFreeBytes }),
    log,
    metrics,
    batchRows: config.ingest.batchRows,
    batchWaitMs: config.ingest.batchWaitMs,
    replayIntervalMs: config.ingest.replayIntervalMs,
    ackDeadlineMs: config.ingest.ackDeadlineMs,
    slowWriteMs: config.ingest.slowWriteMs,
    limits: { maxPayloadBytes: config.mqtt.maxPayloadBytes, maxFutureSkewMs: 5 * 60_000, maxAgeMs: config.storage.retentionDays * 86400_000 },
    personalKey: key,
  });
  ingest.start();

  const maintenance = new MaintenanceService({
    repo: new MaintenanceRepository(db),
    capabilities: db.capabilities,
    log,
    intervalMs: config.storage.rollupRefreshMs,
    retentionDays: config.storage.retentionDays,
    compressAfterDays: config.storage.compressAfterDays,
    ...(cluster ? { owns: (job: 'rollups' | 'retention') => cluster.jobs.owns(job) } : {}),
  });
  await maintenance.start();

  // One certificate for MQTT/TLS, MQTT/WSS and HTTPS: the operator's files, or a self-signed pair made at first start.
  const tlsWanted = config.mqtt.tlsPort >= 0 || config.mqtt.wssPort >= 0 || config.http.httpsPort >= 0;
  const tls = tlsWanted ? new TlsContext(resolveTlsFiles({ ...config.tls, dataDir: config.dataDir, log }), log) : null;

  const broker = new BrokerService({
    host: config.mqtt.host,
    port: config.mqtt.port,
    wsPort: config.mqtt.wsPort,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    // The payload cap is enforced by ingest (to dead-letter with a reason); the broker enforces the topic depth.
    maxTopicDepth: config.mqtt.maxTopicDepth,
    connectRate: config.mqtt.connectRate,
    connectBurst: config.mqtt.connectBurst,
    limits: {
      maxPacketBytes: config.mqtt.maxPacketBytes,
      pendingPerAddress: config.mqtt.pendingPerAddress,
      pendingTotal: config.mqtt.pendingTotal,
      connectTimeoutMs: config.mqtt.connectTimeoutMs,
      publishRate: config.mqtt.publishRate,
      publishBurst: config.mqtt.publishBurst,
      trustedProxies: config.mqtt.trustedProxies,
    },
    log,
    metrics,
    auth: devices,
    sink: cluster ? cluster.wrapSink(ingest) : ingest,
    fallbackWhenBusy: config.defaulted.includes('SW_MQTT_PORT'),
    ...(cluster ? { cluster: cluster.broker } : {}),
    ...(tls
      ? { tls: { context: tls, port: config.mqtt.tlsPort, wssPort: config.mqtt.wssPort, fallbackWhenBusy: config.defaulted.includes('SW_MQTT_TLS_PORT') } }
      : {}),
  });
  if (cluster) cluster.isLocal = (id) => broker.isConnected(id);
  await broker.start();
  // Rights end with the session: rotated or deleted credentials close the device's live MQTT connection at once.
  devices.onRightsRevoked((deviceId, reason) => broker.disconnectDevice(deviceId, reason));

  // Feature modules: built after the broker (they may send commands), routes mounted with the core's, started last.
  const ctx: ModuleContext = {
    config,
    log,
    db,
    metrics,
    serviceKey: key,
    broker,
    ingest,
    auth,
    devices,
    deviceRepo,
    zones,
    wards,
    reads,
    audit,
    events: new EventEmitter<ModuleEventMap>(),
    shared: new SharedRegistry(),
    jobs: cluster?.jobs ?? SOLO_JOBS,
  };
  ctx.events.setMaxListeners(50);
  // Durable device data, for modules: `ingest.batch` (Batch), `ingest.ack` (CommandAck), `device.status` per status row.
  ingest.onBatch((b) => {
    ctx.events.emit('ingest.batch', b);
    for (const s of b.statuses) ctx.events.emit('device.status', { deviceId: s.deviceId, online: s.online, reason: s.reason, at: new Date(s.time) });
  });
  ingest.onAck((a) => ctx.events.emit('ingest.ack', a));
  const modules = MODULES.map((make) => make());
  for (const m of modules) await m.init(ctx);
  // The dashboard's live stream: this node's events, and in a cluster every other node's too.
  const liveEvents = cluster ? await cluster.startLive(ctx.events, LIVE_EVENTS) : ctx.events;

  const { app: api, routes } = await buildApi(
    {
      config,
      mqttPort: () => broker.address.port,
      metrics,
      auth,
      devices,
      zones,
      wards,
      telemetry: new TelemetryService(reads, deviceRepo),
      reads,
      audit,
      events: liveEvents,
      extraRoutes: modules.flatMap((m) => (m.routes ? [m.routes()] : [])),
      instrument: opts.instrumentApi,
      ready: () => readiness(db, broker, ingest),
      status: () => ({
        database: db.description,
        flavour: db.flavour,
        mqttConnections: broker.connectedClients,
        spooling: ingest.spooling,
        spooledBatches: ingest.readiness().spooledBatches,
        ward: config.ward,
      }),
    },
    log,
  );
  if (config.http.port >= 0) {
    try {
      await api.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !config.defaulted.includes('SW_HTTP_PORT')) throw err;
      log.warn({ port: config.http.port }, 'HTTP port is in use: listening on a free port instead; set SW_HTTP_PORT to choose');
      await api.listen({ host: config.http.host, port: 0 });
    }
  } else {
    await api.ready();
  }
  const httpsServer = tls && config.http.httpsPort >= 0 ? await listenHttps(api, tls, config, log) : null;

  for (const m of modules) await m.start?.();
  const httpPort = (api.server.address() as AddressInfo | null)?.port ?? 0;
  const httpsPort = (httpsServer?.address() as AddressInfo | null)?.port ?? 0;
  const shown = (h: string): string => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
  let stopped = false;
  return {
    config,
    db,
    metrics,
    broker,
    ingest,
    api,
    routes,
    devices,
    auth,
    maintenance,
    ctx,
    firstAdmin,
    tls,
    urls: () => {
      const a = broker.address;
      const m = shown(config.mqtt.host);
      return {
        mqtt: a.port ? `mqtt://${m}:${a.port}` : '',
        mqttWs: a.wsPort ? `ws://${m}:${a.wsPort}/mqtt` : null,
        http: httpPort ? `http://${shown(config.http.host)}:${httpPort}` : '',
        mqtts: a.tlsPort ? `mqtts://${m}:${a.tlsPort}` : null,
        mqttWss: a.wssPort ? `wss://${m}:${a.wssPort}/mqtt` : null,
        https: httpsPort ? `https://${shown(config.http.host)}:${httpsPort}` : null,
      };
    },
    reloadTls: () => (tls ? tls.reload() : { ok: false, error: 'no TLS listener is configured' }),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (httpsServer) {
        tls?.detach(httpsServer);
        httpsServer.closeAllConnections();
        await new Promise<void>((r) => httpsServer.close(() => r()));
      }
      await api.close();
      for (const m of [...modules].reverse()) await m.stop?.();
      await broker.stop();
      await cluster?.stop();
      await ingest.stop();
      await maintenance.stop();
      if (!opts.db) await db.close();
      lock.release();
    },
  };
}

/**
 * HTTPS for the API: the same Fastify instance behind a TLS listener (fastify.routing), so routes, hooks and limits are
 * identical on both; WebSocket upgrades (the microphone) are handed to the API's own upgrade listeners.
 */
async function listenHttps(api: FastifyInstance, tls: TlsContext, config: Config, log: Logger): Promise<HttpsServer> {
  const server = createHttpsServer({ ...tls.options, handshakeTimeout: 10_000 }, (req, res) => api.routing(req, res));
  server.on('upgrade', (req, socket, head) => api.server.emit('upgrade', req, socket, head));
  server.on('tlsClientError', (err: Error & { code?: string }) => log.debug({ tlsError: err.code ?? err.message }, 'HTTPS handshake failed'));
  tls.attach(server);
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(config.http.httpsPort);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !config.defaulted.includes('SW_HTTPS_PORT')) throw err;
    log.warn({ port: config.http.httpsPort }, 'HTTPS port is in use: listening on a free port instead; set SW_HTTPS_PORT to choose');
    await listen(0);
  }
  return server;
}
