/**
 * The MQTT connection of one simulated device: connect with the last-will, subscribe to the command topic, publish
 * the retained birth status, send with PUBACK accounting, and end either abruptly (will fires) or cleanly (it does not).
 * Reconnect policy and behaviour live in SimulatedDevice; this class only reports that the connection was lost.
 */
import type { MqttClient } from 'mqtt';
import { topicFor } from '../../services/broker/topics.ts';
import { endCleanly, openClient, withTimeout } from './connection.ts';
import type { LatencySink } from './latency.ts';
import type { StatusPayload } from './protocol.ts';

export type QoS = 0 | 1 | 2;

export interface LinkOptions {
  brokerUrl: string;
  deviceId: string;
  secret: string;
  keepaliveS: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  /** Receives every QoS 1 publish→PUBACK latency (ms); a fleet shares one. */
  latency?: LatencySink;
}

/** Per-channel counts: the last topic level (telemetry, event, status, ack), or 'other' for any other topic. */
export type ChannelCounts = Record<string, number>;

const channelOf = (topic: string): string => {
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  return last === 'telemetry' || last === 'event' || last === 'status' || last === 'ack' ? last : 'other';
};

export interface LinkHandlers {
  message(topic: string, payload: Buffer): void;
  /** The broker or the network closed the connection (not kill/disconnect). */
  lost(): void;
  error(err: Error): void;
}

export const OFFLINE: StatusPayload = { online: false };

export class DeviceLink {
  /** PUBLISH packets sent (telemetry, events, status, acks, raw). */
  publishedCount = 0;
  /** Of those, acknowledged by the broker (PUBACK); QoS 0 publishes never are. */
  ackedCount = 0;
  /** Publishes that failed: connection lost or no PUBACK in time. */
  failedCount = 0;
  /** Acknowledged publishes by channel, so a run can be compared with what each table holds. */
  readonly ackedByChannel: ChannelCounts = {};
  readonly statusTopic: string;
  readonly cmdTopic: string;
  private readonly opts: LinkOptions;
  private readonly handlers: LinkHandlers;
  private client: MqttClient | undefined;

  constructor(opts: LinkOptions, handlers: LinkHandlers) {
    this.opts = opts;
    this.handlers = handlers;
    this.statusTopic = topicFor(opts.deviceId, 'status');
    this.cmdTopic = topicFor(opts.deviceId, 'cmd');
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get open(): boolean {
    return this.client !== undefined;
  }

  /** Connects with the last-will set, subscribes to the command topic, then publishes the retained birth status. */
  async connect(birth: StatusPayload): Promise<void> {
    const client = await openClient({
      brokerUrl: this.opts.brokerUrl,
      deviceId: this.opts.deviceId,
      secret: this.opts.secret,
      willTopic: this.statusTopic,
      willPayload: JSON.stringify(OFFLINE),
      keepaliveS: this.opts.keepaliveS,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      onError: (err) => this.handlers.error(err),
    });
    this.client = client;
    client.on('message', (topic, payload) => this.handlers.message(topic, payload));
    client.on('close', () => this.onClose(client));
    try {
      // Subscribe first: a server that sends queued commands as soon as it sees the birth message must not lose them.
      await withTimeout(client.subscribeAsync(this.cmdTopic, { qos: 1 }), this.opts.ackTimeoutMs, 'SUBACK');
      await this.send(this.statusTopic, JSON.stringify(birth), 1, true);
    } catch (err) {
      this.detach()?.end(true);
      throw err;
    }
  }

  async send(topic: string, payload: string | Buffer, qos: QoS, retain = false): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`${this.opts.deviceId}: not connected`);
    this.publishedCount++;
    const started = performance.now();
    try {
      await withTimeout(client.publishAsync(topic, payload, { qos, retain }), this.opts.ackTimeoutMs, qos > 0 ? 'PUBACK' : 'publish');
    } catch (err) {
      this.failedCount++;
      throw err;
    }
    if (qos > 0) {
      this.ackedCount++;
      const ch = channelOf(topic);
      this.ackedByChannel[ch] = (this.ackedByChannel[ch] ?? 0) + 1;
      this.opts.latency?.record(performance.now() - started);
    }
  }

  /** Destroys the socket without DISCONNECT: to the broker a lost connection, so it publishes the will. */
  async destroy(): Promise<boolean> {
    const client = this.detach();
    if (!client) return false;
    await withTimeout(client.endAsync(true), 5000, 'socket close').catch(() => undefined);
    return true;
  }

  /** Optionally publishes a last status itself (the will will not fire), then sends DISCONNECT. */
  async close(lastStatus: StatusPayload | null): Promise<boolean> {
    if (!this.client) return false;
    if (lastStatus) await this.send(this.statusTopic, JSON.stringify(lastStatus), 1, true).catch((err: Error) => this.handlers.error(err));
    const client = this.detach();
    if (client) await endCleanly(client, 5000);
    return client !== undefined;
  }

  /** Forgets the client, so its 'close' event is taken as intended rather than as a lost connection. */
  private detach(): MqttClient | undefined {
    const client = this.client;
    this.client = undefined;
    return client;
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    // Fails the publishes still waiting for a PUBACK on this connection; mqtt.js would otherwise keep them forever.
    client.end(true);
    this.handlers.lost();
  }
}
