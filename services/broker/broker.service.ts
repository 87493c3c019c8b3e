import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { authorizeDeviceSubscribe, authorizeDevicePublish, type RefusalCode } from './acl.ts';
import { RateLimiter } from './rate-limiter.ts';
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
  log: Logger;
  metrics: Metrics;
  auth: DeviceAuthenticator;
  sink: InboundSink;
  /** When the port was not configured and is taken (e.g. by another broker on 1883), take a free one instead. */
  fallbackWhenBusy?: boolean;
  /** Cluster mode (services/cluster): aedes' broker id, shared message bus and session store. Absent: one process. */
  cluster?: { id: string; mq: unknown; persistence: unknown };
}

interface DeviceClient extends Client {
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
  private readonly limiter: RateLimiter;
  private readonly opts: BrokerOptions;
  private readonly log: Logger;

  constructor(opts: BrokerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ module: 'broker' });
    this.limiter = new RateLimiter(opts.connectRate, opts.connectBurst);
  }

  get address(): { port: number; wsPort: number | null } {
    const port = (this.tcp?.address() as AddressInfo | null)?.port ?? 0;
    const wsPort = this.http ? ((this.http.address() as AddressInfo | null)?.port ?? null) : null;
    return { port, wsPort };
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({
      ...(this.opts.cluster ?? {}),
      maxClientsIdLength: 64,
      maxTopicLevels: this.opts.maxTopicDepth,
      preConnect: (client, _packet, cb) => this.preConnect(client, cb),
      authenticate: (client, username, password, cb) => this.authenticate(client as DeviceClient, username, password, cb),
      authorizePublish: (client, packet, cb) => this.authorizePublish(client as DeviceClient | null, packet, cb),
      authorizeSubscribe: (client, sub, cb) => {
        const c = client as DeviceClient;
        const d = authorizeDeviceSubscribe(c.swDeviceId ?? '', sub.topic, this.opts.maxTopicDepth);
        if (d.ok) return cb(null, sub);
        this.refuse('subscribe', d.code, d.reason, c.swDeviceId);
        // MQTT 3.1.1 §3.9.3: a refused subscription is answered with return code 0x80, the connection stays.
        cb(null, null);
      },
    });
    this.aedes = aedes;
    this.wireEvents(aedes);
    this.opts.metrics.onCollect(() =>
      this.opts.metrics.set('sw_mqtt_connections', 'Connected MQTT clients', aedes.connectedClients),
    );
    // noDelay: Nagle's algorithm adds ~40 ms to every QoS1 round trip (DESIGN.md).
    this.tcp = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
    try {
      await listen(this.tcp, this.opts.port, this.opts.host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.opts.fallbackWhenBusy) throw err;
      this.log.warn({ port: this.opts.port }, 'MQTT port is in use (another broker?): listening on a free port instead; set SW_MQTT_PORT to choose');
      await listen(this.tcp, 0, this.opts.host);
    }
    if (this.opts.wsPort >= 0) await this.startWebSocket(aedes);
    this.log.info({ ...this.address }, 'MQTT broker listening');
  }

  private async startWebSocket(aedes: Aedes): Promise<void> {
    this.http = createHttpServer();
    this.wss = new WebSocketServer({ server: this.http, path: '/mqtt' });
    this.wss.on('connection', (ws, req) => {
      const stream = createWebSocketStream(ws);
      aedes.handle(stream, req);
    });
    await listen(this.http, this.opts.wsPort, this.opts.host);
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

  private refuse(action: 'connect' | 'publish' | 'subscribe', code: RefusalCode, reason: string, deviceId?: string): void {
    this.opts.metrics.inc(REFUSED, REFUSED_HELP, { action, reason: code });
    this.log.warn({ action, code, deviceId, reason }, 'MQTT refused');
  }

  private preConnect(client: Client, cb: (err: Error | null, ok: boolean) => void): void {
    const addr = (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    if (this.limiter.take(addr)) return cb(null, true);
    this.refuse('connect', 'RATE_LIMITED', `more than ${this.opts.connectRate}/s connects from ${addr}`);
    cb(new Error('connect rate exceeded'), false);
  }

  private authenticate(
    client: DeviceClient,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const fail = (code: RefusalCode, reason: string, returnCode: 4 | 5): void => {
      this.refuse('connect', code, reason, username);
      const err = new Error(reason) as AuthenticateError;
      err.returnCode = returnCode;
      cb(err, null);
    };
    if (!username || !password) return fail('BAD_CREDENTIALS', 'username and password are required', 4);
    // The client id is the device id, so one device can never take over another's session.
    if (client.id !== username) return fail('CLIENT_ID_MISMATCH', `client id '${client.id}' must equal the device id '${username}'`, 5);
    this.opts.auth.verify(username, password.toString('utf8')).then(
      (found) => {
        if (!found) return fail('BAD_CREDENTIALS', `wrong credentials for '${username}'`, 4);
        const will = (client as unknown as { will?: { topic: string } | null }).will;
        if (will && will.topic !== topicFor(username, 'status')) {
          return fail('BAD_WILL', `last-will topic must be ${topicFor(username, 'status')}`, 5);
        }
        client.swDeviceId = username;
        client.swKind = found.kind;
        client.swTopics = ownTopics(username, this.opts.maxTopicDepth);
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
    else sink.accept(msg).then(() => this.settled(undefined, deviceId, cb), (err: Error) => this.settled(err, deviceId, cb));
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
    const closing = Promise.all([closeServer(this.tcp), closeServer(this.http)]);
    this.wss?.close();
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    await closing;
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
