/**
 * Opening and closing an MQTT 3.1.1 connection the way a device does. mqtt.js's own reconnect is off: it would replay
 * its outgoing store after a reconnect, so a publish the broker refused (and dropped the connection for) would be
 * resent forever. SimulatedDevice reconnects itself, with a fresh client and a fresh birth message.
 */
import { connect } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export interface OpenOptions {
  brokerUrl: string;
  deviceId: string;
  secret: string;
  willTopic: string;
  willPayload: string;
  keepaliveS: number;
  connectTimeoutMs: number;
  /** Receives every client error for the client's whole life (an unhandled 'error' event would crash the process). */
  onError: (err: Error) => void;
}

/** Resolves with a connected client once CONNACK accepted the connection; rejects with the refusal otherwise. */
export function openClient(o: OpenOptions): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId: o.deviceId,
    username: o.deviceId,
    password: o.secret,
    protocolVersion: 4,
    clean: true,
    keepalive: o.keepaliveS,
    connectTimeout: o.connectTimeoutMs,
    reconnectPeriod: 0,
    will: { topic: o.willTopic, payload: Buffer.from(o.willPayload), qos: 1, retain: true },
  };
  return new Promise((resolve, reject) => {
    const client = connect(o.brokerUrl, options);
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      if (!err) return resolve(client);
      client.end(true);
      reject(err);
    };
    client.on('error', (err) => (settled ? o.onError(err) : settle(err)));
    client.once('connect', () => settle(null));
    client.once('close', () => settle(new Error(`connection to ${o.brokerUrl} closed before CONNACK`)));
  });
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} not received within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Ends the connection with DISCONNECT (no will); destroys the socket if the broker does not let it finish in time. */
export async function endCleanly(client: MqttClient, timeoutMs: number): Promise<void> {
  try {
    await withTimeout(client.endAsync(false), timeoutMs, 'clean disconnect');
  } catch {
    client.stream.destroy();
  }
}
