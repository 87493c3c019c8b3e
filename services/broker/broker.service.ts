import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../common/logger.ts';
import type { TlsContext } from '../common/tls.ts';
import type { Metrics } from '../common/metrics.ts';
import { authorizeDeviceSubscribe, authorizeDevicePublish, type RefusalCode } from './acl.ts';
import { clientAddress, normalizeAddress, PendingConnections } from './conn-guard.ts';
import { FrameGuard, tapStream, type FrameLimits } from './frame-guard.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RefusalLog } from './refusal-log.ts';
import { DEVICE_PUBLISH_CHANNELS, topicFor, type PublishChannel } from './topics.ts';

/** Checks a device's credentials; returns its kind, or null when they are wrong or the device is unknown. */
export interface DeviceAuthenticator {
  verify(deviceId: string, secret: string): Promise<{ kind: string } | null>;
}

export interface InboundMessage {
  deviceId: string;
  kind: string;
  channel: PublishChannel;
  topic: string;
  payload: Buffer;
  qos: number;
  receivedAt: Date;
}

export interface RefusedPublish {
  deviceId: string;
  topic: string;
  payload: Buffer;
  code: RefusalCode;
  reason: string;
}

/** Where the broker hands what devices send. It never learns how that is stored. */
export interface InboundSink {
  /** Resolves once the message is durable (the PUBACK waits for it). Rejects only if it could not be kept anywhere. */
  accept(msg: InboundMessage): Promise<void>;
  /** The same with a callback (no promise per message); the broker uses it when the sink has it. */
  acceptWith?(msg: InboundMessage, done: (err?: Error) => void): void;
  /** A publish the ACL refused: recorded for operators, never stored as data. */
  refused(r: RefusedPublish): void;
  /**
   * Transport-level connection change (clean or abrupt disconnect; last-will arrives separately as a status message).
   * `at`: when it happened, if not now (the cluster passes the database's time of the ownership change).
   */
  connection(deviceId: string, kind: string, connected: boolean, reason: string, at?: Date): void;
}

export interface BrokerOptions {
  host: string;
  port: number;
  wsPort: number;
  maxPayloadBytes: number;
  maxTopicDepth: number;
  connectRate: number;
  connectBurst: number;
  /** Hostile-network limits (issue 11); each has a safe default so tests and benches need not set them. */
  limits?: Partial<BrokerLimits>;
  log: Logger;
  metrics: Metrics;
  auth: DeviceAuthenticator;
  sink: InboundSink;
  /** When the port was not configured and is taken (e.g. by another broker on 1883), take a free one instead. */
  fallbackWhenBusy?: boolean;
  /** Cluster mode (services/cluster): aedes' broker id, shared message bus and session store. Absent: one process. */
  cluster?: { id: string; mq: unknown; persistence: unknown };
  /** MQTT over TLS (mqtts) and over secure WebSocket (wss); ports -1 = off. The context follows SIGHUP reloads. */
  tls?: { context: TlsContext; port: number; wssPort: number; fallbackWhenBusy?: boolean };
}

/** A TLS handshake must finish within this (pre-login connections are bounded; a stalled handshake is one too). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface BrokerLimits {
  /** Largest MQTT packet after CONNECT (fixed header's remaining length); refused as soon as the header is read. */
  maxPacketBytes: number;
  /** Connections not yet logged in, per source address and in total. */
  pendingPerAddress: number;
  pendingTotal: number;
  /** A connection that has not sent a CONNECT by then is closed (aedes connectTimeout). */
  connectTimeoutMs: number;
  /** Per-device PUBLISH token bucket. */
  publishRate: number;
  publishBurst: number;
  /** SUBSCRIBE filters one connection may send (a device needs one: its cmd topic), and how many of them may be refused. */
  subscriptionsPerConnection: number;
  refusedSubscriptionsPerConnection: number;
  /** Addresses whose X-Forwarded-For is believed on WebSocket connections (reverse proxies). */
  trustedProxies: string[];
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxPacketBytes: 262_144,
  pendingPerAddress: 32,
  pendingTotal: 1000,
  connectTimeoutMs: 10_000,
  publishRate: 10,
  publishBurst: 300,
  subscriptionsPerConnection: 32,
  refusedSubscriptionsPerConnection: 8,
  trustedProxies: [],
};

/** What the broker knows about one transport connection before and after CONNECT. */
interface ConnState {
  addr: string;
  guard: FrameGuard;
  pending: boolean;
}

/** CONNACK, return code 3 "server unavailable" (MQTT 3.1.1 §3.2.2.3): the refusal a client can read before we close. */
const CONNACK_UNAVAILABLE = Buffer.from([0x20, 0x02, 0x00, 0x03]);

interface DeviceClient extends Client {
  /** Set by preConnect when the CONNECT must be refused; authenticate answers it with a CONNACK return code. */
  swRefusal?: { code: RefusalCode; reason: string; returnCode: 3 | 4 | 5 };
  swSubscriptions?: number;
  swRefusedSubscriptions?: number;
  swFlooding?: boolean;
  swDeviceId?: string;
  swKind?: string;
  /** The device's own publish topics (all checked by the ACL at CONNECT) → their channel: the per-publish fast path. */
  swTopics?: Map<string, PublishChannel>;
  /** Subscribed to its command topic (SUBACK sent, or the subscription restored with its session): commands reach it. */
  swCommandReady?: boolean;
}

const REFUSED = 'sw_mqtt_refused_total';
const REFUSED_HELP = 'Connects, publishes and subscribes the broker refused, by action and reason';

export class BrokerService {
  private aedes: Aedes | undefined;
  private tcp: Server | undefined;
  private http: HttpServer | undefined;
  private wss: WebSocketServer | undefined;
  private tlsServer: TlsServer | undefined;
  private https: HttpsServer | undefined;
  private wssSecure: WebSocketServer | undefined;
  private readonly limiter: RateLimiter;
  private readonly publishLimiter: RateLimiter;
  private readonly opts: BrokerOptions;
  private readonly limits: BrokerLimits;
  private readonly frameLimits: FrameLimits;
  private readonly pending: PendingConnections;
  private readonly conns = new WeakMap<object, ConnState>();
  private readonly trusted: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly refusals: RefusalLog;
  /** When each device's rights were last revoked (credentials rotated or deleted): a CONNECT checked before that is refused. */
  private readonly revokedAt = new Map<string, number>();

  constructor(opts: BrokerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ module: 'broker' });
    this.refusals = new RefusalLog(this.log);
    this.limiter = new RateLimiter(opts.connectRate, opts.connectBurst);
    this.limits = { ...DEFAULT_BROKER_LIMITS, ...opts.limits };
    this.publishLimiter = new RateLimiter(this.limits.publishRate, this.limits.publishBurst);
    // The packet cap must let an over-long payload through to ingest, which dead-letters it with a reason.
    const packetMax = Math.max(this.limits.maxPacketBytes, opts.maxPayloadBytes + 1024);
    // CONNECT carries the client id, credentials and a will (a status message): the payload cap plus headroom.
    const connectMax = Math.min(packetMax, opts.maxPayloadBytes + 1024);
    this.frameLimits = { connectMaxBytes: connectMax, packetMaxBytes: packetMax, preAuthMaxBytes: connectMax + 2 * packetMax };
    this.pending = new PendingConnections({ perAddress: this.limits.pendingPerAddress, total: this.limits.pendingTotal });
    this.trusted = new Set(this.limits.trustedProxies.map(normalizeAddress));
  }

  /** Connections that have not logged in yet (for tests and drills). */
  get pendingConnections(): number {
    return this.pending.total;
  }

  /** Listening ports; `port` is 0 and the others null when that listener is off. */
  get address(): { port: number; wsPort: number | null; tlsPort: number | null; wssPort: number | null } {
    const portOf = (s: Server | HttpServer | undefined): number | null => (s ? ((s.address() as AddressInfo | null)?.port ?? null) : null);
    return { port: portOf(this.tcp) ?? 0, wsPort: portOf(this.http), tlsPort: portOf(this.tlsServer), wssPort: portOf(this.https) };
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({
      ...(this.opts.cluster ?? {}),
      maxClientsIdLength: 64,
      maxTopicLevels: this.opts.maxTopicDepth,
      connectTimeout: this.limits.connectTimeoutMs,
      preConnect: (client, _packet, cb) => this.preConnect(client, cb),
      authenticate: (client, username, password, cb) => this.authenticate(client as DeviceClient, username, password, cb),
      authorizePublish: (client, packet, cb) => this.authorizePublish(client as DeviceClient | null, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.authorizeSubscribe(client as DeviceClient, sub, cb),
    });
    this.aedes = aedes;
    this.wireEvents(aedes);
    this.opts.metrics.onCollect(() => this.opts.metrics.set('sw_mqtt_connections', 'Connected MQTT clients', aedes.connectedClients));
    if (this.opts.port >= 0) {
      // noDelay: Nagle's algorithm adds ~40 ms to every QoS1 round trip (DESIGN.md).
      this.tcp = createServer({ noDelay: true }, (socket) => this.accept(socket, normalizeAddress(socket.remoteAddress)));
      await this.listenOrFallback(this.tcp, this.opts.port, this.opts.fallbackWhenBusy, 'SW_MQTT_PORT');
    }
    if (this.opts.wsPort >= 0) await this.startWebSocket();
    if (this.opts.tls) await this.startTls(this.opts.tls);
    this.log.info({ ...this.address }, 'MQTT broker listening');
  }

  private async listenOrFallback(server: Server | HttpServer, port: number, fallback: boolean | undefined, key: string): Promise<void> {
    try {
      await listen(server, port, this.opts.host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback) throw err;
      this.log.warn({ port }, `${key}: port is in use (another broker?): listening on a free port instead; set ${key} to choose`);
      await listen(server, 0, this.opts.host);
    }
  }

  private async startTls(t: NonNullable<BrokerOptions['tls']>): Promise<void> {
    if (t.port >= 0) {
      const server = createTlsServer({ ...t.context.options, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, noDelay: true });
      server.on('secureConnection', (socket: TLSSocket) => {
        socket.setNoDelay(true);
        this.accept(socket, normalizeAddress(socket.remoteAddress));
      });
      this.countTlsErrors(server);
      t.context.attach(server);
      this.tlsServer = server;
      await this.listenOrFallback(server, t.port, t.fallbackWhenBusy, 'SW_MQTT_TLS_PORT');
    }
    if (t.wssPort >= 0) {
      const server = createHttpsServer({ ...t.context.options, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
      this.wssSecure = this.webSocketOn(server);
      this.countTlsErrors(server as unknown as TlsServer);
      t.context.attach(server);
      this.https = server;
      await this.listenOrFallback(server, t.wssPort, t.fallbackWhenBusy, 'SW_MQTT_WSS_PORT');
    }
  }

  /** Failed handshakes (wrong CA, plain MQTT on the TLS port, scanners): counted and logged sparingly, never fatal. */
  private countTlsErrors(server: TlsServer): void {
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      const addr = normalizeAddress(socket.remoteAddress);
      this.opts.metrics.inc(REFUSED, REFUSED_HELP, { action: 'tls', reason: 'HANDSHAKE_FAILED' });
      this.refusals.warn('tls:HANDSHAKE_FAILED', { action: 'tls', addr, tlsError: err.code ?? err.message }, 'TLS handshake failed');
    });
  }

  private async startWebSocket(): Promise<void> {
    this.http = createHttpServer();
    this.wss = this.webSocketOn(this.http);
    await listen(this.http, this.opts.wsPort, this.opts.host);
  }

  private webSocketOn(server: HttpServer): WebSocketServer {
    // maxPayload: one WebSocket frame never needs more than the largest MQTT packet (ws buffers a frame whole).
    const wss = new WebSocketServer({ server, path: '/mqtt', maxPayload: this.frameLimits.packetMaxBytes + 8 });
    wss.on('connection', (ws, req) => {
      const stream = createWebSocketStream(ws);
      // Keyed by the real sender: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy.
      this.accept(stream, clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trusted), req);
    });
    return wss;
  }

  /**
   * Every transport (TCP, TLS, WebSocket) comes through here: the pending-login bounds, then aedes, then the frame guard
   * on the bytes aedes is about to parse.
   */
  private accept(stream: Duplex, addr: string, req?: IncomingMessage): void {
    const aedes = this.aedes;
    if (!aedes) return void stream.destroy();
    const full = this.pending.admit(addr);
    if (full) {
      this.refuse('connect', 'TOO_MANY_PENDING', full, undefined, addr);
      // Read and discard what it sends (closing on unread data would reset the connection before our CONNACK is read).
      stream.on('error', () => undefined);
      stream.resume();
      stream.end(CONNACK_UNAVAILABLE);
      setTimeout(() => stream.destroy(), 2000).unref();
      return;
    }
    const state: ConnState = { addr, guard: new FrameGuard(this.frameLimits), pending: true };
    this.conns.set(stream, state);
    stream.once('close', () => this.loggedIn(state));
    aedes.handle(stream, req);
    tapStream(stream, state.guard, (v) => {
      this.refuse('packet', v.code, v.reason, undefined, addr);
      stream.destroy();
    });
  }

  /** The connection left the pending-login pool: accepted, or closed. */
  private loggedIn(state: ConnState): void {
    if (!state.pending) return;
    state.pending = false;
    this.pending.release(state.addr);
  }

  private wireEvents(aedes: Aedes): void {
    aedes.on('clientReady', (client) => {
      const c = client as DeviceClient;
      // A persistent session restored its subscriptions before this event (no SUBSCRIBE will come).
      if (c.swDeviceId && (c as unknown as { subscriptions?: Record<string, unknown> }).subscriptions?.[topicFor(c.swDeviceId, 'cmd')]) c.swCommandReady = true;
      if (c.swDeviceId && c.swKind) this.opts.sink.connection(c.swDeviceId, c.swKind, true, 'connected');
    });
    // Emitted once the subscription is in place (with a cluster: also on the Redis bus), right before the SUBACK.
    aedes.on('subscribe', (subs, client) => {
      const c = client as DeviceClient | null;
      if (c?.swDeviceId && subs.some((s) => s.topic === topicFor(c.swDeviceId ?? '', 'cmd'))) c.swCommandReady = true;
    });
    aedes.on('clientDisconnect', (client) => {
      const c = client as DeviceClient;
      if (c.swDeviceId && c.swKind) this.opts.sink.connection(c.swDeviceId, c.swKind, false, 'disconnected');
    });
    aedes.on('clientError', (client, err) => {
      this.log.debug({ deviceId: (client as DeviceClient).swDeviceId, err }, 'client error');
    });
    aedes.on('connectionError', (_client, err) => {
      this.log.debug({ err }, 'connection error before CONNECT');
    });
  }

  /** Publishes from the service itself (commands): no ACL, the service is trusted. */
  publishToDevice(deviceId: string, channel: 'cmd', payload: unknown, qos: 0 | 1 = 1): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('broker not started'));
    return new Promise((resolve, reject) => {
      aedes.publish(
        { cmd: 'publish', topic: topicFor(deviceId, channel), payload: Buffer.from(JSON.stringify(payload)), qos, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** Counted in full; logged at most a few lines per action and code every 10 s (RefusalLog). */
  private refuse(action: 'connect' | 'publish' | 'subscribe' | 'packet', code: RefusalCode, reason: string, deviceId?: string, addr?: string): void {
    this.opts.metrics.inc(REFUSED, REFUSED_HELP, { action, reason: code });
    this.refusals.warn(`${action}:${code}`, { action, code, deviceId, addr, reason }, 'MQTT refused');
  }

  private connState(client: Client): ConnState | undefined {
    return this.conns.get(client.conn as object);
  }

  private preConnect(client: Client, cb: (err: Error | null, ok: boolean) => void): void {
    const addr = this.connState(client)?.addr ?? normalizeAddress((client.conn as { remoteAddress?: string }).remoteAddress);
    if (this.limiter.take(addr)) return cb(null, true);
    // Let the CONNECT go on to authenticate, which answers with CONNACK "server unavailable" instead of silence.
    (client as DeviceClient).swRefusal = { code: 'RATE_LIMITED', reason: `more than ${this.opts.connectRate}/s connects from ${addr}`, returnCode: 3 };
    cb(null, true);
  }

  /**
   * A device may subscribe only to its own cmd topic, so a client that sends many filters, or many refused ones, is
   * flooding: it is disconnected (10,000 refused filters in one SUBSCRIBE used to be answered one by one).
   */
  private authorizeSubscribe(c: DeviceClient, sub: Subscription, cb: (err: Error | null, sub?: Subscription | null) => void): void {
    // aedes checks every filter of a SUBSCRIBE in parallel: once flooding, the rest are refused without a word.
    if (c.swFlooding) return cb(new Error('subscription flood'));
    const n = (c.swSubscriptions = (c.swSubscriptions ?? 0) + 1);
    if (n > this.limits.subscriptionsPerConnection) {
      c.swFlooding = true;
      this.refuse('subscribe', 'SUBSCRIBE_FLOOD', `more than ${this.limits.subscriptionsPerConnection} filters on one connection`, c.swDeviceId);
      return cb(new Error('subscription flood'));
    }
    const d = authorizeDeviceSubscribe(c.swDeviceId ?? '', sub.topic, this.opts.maxTopicDepth);
    if (d.ok) return cb(null, sub);
    this.refuse('subscribe', d.code, d.reason, c.swDeviceId);
    const refused = (c.swRefusedSubscriptions = (c.swRefusedSubscriptions ?? 0) + 1);
    if (refused > this.limits.refusedSubscriptionsPerConnection) {
      c.swFlooding = true;
      this.refuse('subscribe', 'SUBSCRIBE_FLOOD', `more than ${this.limits.refusedSubscriptionsPerConnection} refused filters on one connection`, c.swDeviceId);
      return cb(new Error('too many refused subscriptions'));
    }
    // MQTT 3.1.1 §3.9.3: a refused subscription is answered with return code 0x80, the connection stays.
    cb(null, null);
  }

  private authenticate(
    client: DeviceClient,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const fail = (code: RefusalCode, reason: string, returnCode: 3 | 4 | 5): void => {
      this.refuse('connect', code, reason, username);
      const err = new Error(reason) as AuthenticateError;
      err.returnCode = returnCode;
      cb(err, null);
    };
    if (client.swRefusal) return fail(client.swRefusal.code, client.swRefusal.reason, client.swRefusal.returnCode);
    if (!username || !password) return fail('BAD_CREDENTIALS', 'username and password are required', 4);
    // The client id is the device id, so one device can never take over another's session.
    if (client.id !== username) return fail('CLIENT_ID_MISMATCH', `client id '${client.id}' must equal the device id '${username}'`, 5);
    const checkedAt = Date.now();
    this.opts.auth.verify(username, password.toString('utf8')).then(
      (found) => {
        if (!found) return fail('BAD_CREDENTIALS', `wrong credentials for '${username}'`, 4);
        // The credentials were rotated or deleted while they were being checked: the answer may be stale.
        if ((this.revokedAt.get(username) ?? -1) >= checkedAt) return fail('CREDENTIALS_REVOKED', `credentials of '${username}' changed during the check`, 4);
        const will = (client as unknown as { will?: { topic: string } | null }).will;
        if (will && will.topic !== topicFor(username, 'status')) {
          return fail('BAD_WILL', `last-will topic must be ${topicFor(username, 'status')}`, 5);
        }
        client.swDeviceId = username;
        client.swKind = found.kind;
        client.swTopics = ownTopics(username, this.opts.maxTopicDepth);
        const st = this.connState(client);
        if (st) {
          st.guard.authenticated = true;
          this.loggedIn(st);
        }
        cb(null, true);
      },
      (err: Error) => {
        this.log.error({ err, deviceId: username }, 'credential check failed');
        const e = new Error('server unavailable') as AuthenticateError;
        e.returnCode = 3;
        cb(e, null);
      },
    );
  }

  /**
   * Runs before aedes sends PUBACK (the only hook that does), so the ack waits for the sink to make the
   * message durable. Refusals disconnect the client: MQTT 3.1.1 has no negative PUBACK.
   */
  private authorizePublish(client: DeviceClient | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    if (!client) return cb(null);
    const deviceId = client.swDeviceId ?? '';
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (packet.qos === 2) {
      this.refuse('publish', 'QOS2_NOT_SUPPORTED', 'devices publish with QoS 0 or 1', deviceId);
      return cb(new Error('QoS 2 is not supported'));
    }
    // Per-device flood limit. MQTT 3.1.1 has no negative PUBACK: the message is not stored and the connection closes,
    // so a QoS 1 sender keeps it and resends after reconnecting (subject to the connect rate limit).
    if (!this.publishLimiter.take(deviceId)) {
      this.refuse('publish', 'RATE_LIMITED', `more than ${this.limits.publishRate}/s (burst ${this.limits.publishBurst}) publishes`, deviceId);
      return cb(new Error('publish rate exceeded'));
    }
    // A device's own topics were checked once at CONNECT; anything else goes through the full ACL.
    let channel = client.swTopics?.get(packet.topic);
    if (channel === undefined) {
      const d = authorizeDevicePublish(deviceId, packet.topic, this.opts.maxTopicDepth);
      if (!d.ok) {
        this.refuse('publish', d.code, d.reason, deviceId);
        this.opts.sink.refused({ deviceId, topic: packet.topic, payload, code: d.code, reason: d.reason });
        return cb(new Error(d.reason));
      }
      channel = d.value;
    }
    const msg: InboundMessage = {
      deviceId,
      kind: client.swKind ?? '',
      channel,
      topic: packet.topic,
      payload,
      qos: packet.qos,
      receivedAt: new Date(),
    };
    const sink = this.opts.sink;
    // Inline (unnamed) callbacks: tsx's keepNames would wrap a named per-message closure in a costly __name() call.
    if (sink.acceptWith) sink.acceptWith(msg, (err) => this.settled(err, deviceId, cb));
    else
      sink.accept(msg).then(
        () => this.settled(undefined, deviceId, cb),
        (err: Error) => this.settled(err, deviceId, cb),
      );
  }

  /** The PUBACK once the message is durable; without one (neither database nor spool took it) the device resends. */
  private settled(err: Error | undefined, deviceId: string, cb: (err?: Error | null) => void): void {
    if (!err) return cb(null);
    // Withhold the PUBACK and drop the connection so the device resends.
    this.log.error({ err, deviceId }, 'message could not be made durable');
    cb(err);
  }

  async stop(): Promise<void> {
    const aedes = this.aedes;
    // Stop accepting first, then let aedes end the open device connections, then wait for the servers to finish.
    const closing = Promise.all([closeServer(this.tcp), closeServer(this.http), closeServer(this.tlsServer), closeServer(this.https)]);
    this.wss?.close();
    this.wssSecure?.close();
    if (this.tlsServer) this.opts.tls?.context.detach(this.tlsServer);
    if (this.https) this.opts.tls?.context.detach(this.https);
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    await closing;
  }

  /**
   * Ends a device's live session at once (its credentials were rotated or it was deleted): rights end with the session,
   * not at its next CONNECT. A CONNECT whose credential check started before this is refused too.
   */
  disconnectDevice(deviceId: string, reason: string): boolean {
    this.revokedAt.set(deviceId, Date.now());
    if (this.revokedAt.size > 100_000) this.revokedAt.clear();
    const clients = (this.aedes as unknown as { clients?: Record<string, DeviceClient> } | undefined)?.clients;
    const c = clients?.[deviceId];
    if (c?.swDeviceId !== deviceId) return false;
    this.log.info({ deviceId, reason }, 'device session ended: its rights changed');
    this.opts.metrics.inc('sw_mqtt_sessions_revoked_total', 'Live device sessions ended because their credentials were rotated or deleted');
    c.close();
    return true;
  }

  /**
   * Can a command reach this device through this process now: connected here and subscribed to its command topic
   * (a command published between CONNACK and SUBACK would reach no subscriber; with a cluster the subscription also
   * has to reach Redis first). O(1): a device's client id is its device id (enforced at CONNECT), and aedes keys its
   * live clients by client id.
   */
  isConnected(deviceId: string): boolean {
    const clients = (this.aedes as unknown as { clients?: Record<string, DeviceClient> } | undefined)?.clients;
    const c = clients?.[deviceId];
    return c?.swDeviceId === deviceId && c.swCommandReady === true;
  }
}

/** Every topic a device may publish on, mapped to its channel (each passed through the ACL, so the rules stay in one place). */
function ownTopics(deviceId: string, maxDepth: number): Map<string, PublishChannel> {
  const topics = new Map<string, PublishChannel>();
  for (const channel of DEVICE_PUBLISH_CHANNELS) {
    const d = authorizeDevicePublish(deviceId, topicFor(deviceId, channel), maxDepth);
    if (d.ok) topics.set(topicFor(deviceId, channel), d.value);
  }
  return topics;
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server | HttpServer | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
