/**
 * Just enough MQTT 3.1.1 on a raw socket for load generation: CONNECT (credentials and the last-will the service
 * requires), SUBSCRIBE to the command topic, and QoS 1 PUBLISH with PUBACK tracking. mqtt.js spends more CPU per
 * message than the broker under test (measured: 1.4 cores of load clients for 0.5 core of bare aedes), which would
 * make the load generator, not the broker, the bottleneck; this costs a socket and a few buffer copies per message.
 */
import { connect, type Socket } from 'node:net';

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

const packet = (type: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([type]), varint(body.length), body]);

/** CONNECT, MQTT 3.1.1 §3.1: clean session, will QoS 1 retained on the device's status topic, username + password. */
export function connectPacket(o: { clientId: string; username: string; password: string; keepaliveS: number; willTopic: string; willPayload: string }): Buffer {
  const flags = 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(o.keepaliveS);
  const header = Buffer.concat([str('MQTT'), Buffer.from([4, flags]), keepalive]);
  return packet(0x10, Buffer.concat([header, str(o.clientId), str(o.willTopic), str(o.willPayload), str(o.username), str(o.password)]));
}

/** SUBSCRIBE, §3.8 (fixed header flags 0b0010), one filter at QoS 1. */
export function subscribePacket(packetId: number, topic: string): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0x82, Buffer.concat([id, str(topic), Buffer.from([1])]));
}

/** PUBLISH at QoS 1, §3.3 (flags 0b0010). */
export function publishPacket(topic: Buffer, packetId: number, payload: Buffer): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return packet(0x32, Buffer.concat([topic, id, payload]));
}

/** Splits a byte stream into MQTT packets: [first header byte, body]. Returns the bytes of an incomplete packet. */
export function frames(buf: Buffer, onPacket: (type: number, body: Buffer) => void): Buffer {
  let at = 0;
  for (;;) {
    let len = 0;
    let mul = 1;
    let i = at + 1;
    for (;;) {
      if (i >= buf.length) return buf.subarray(at);
      const b = buf[i++] as number;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (i + len > buf.length) return buf.subarray(at);
    onPacket(buf[at] as number, buf.subarray(i, i + len));
    at = i + len;
  }
}

export interface WireOptions {
  host: string;
  port: number;
  localAddress?: string;
  deviceId: string;
  secret: string;
  keepaliveS: number;
  timeoutMs: number;
}

/** One device on a raw socket. open() resolves after CONNACK (accepted) and SUBACK. */
export class WireDevice {
  readonly socket: Socket;
  readonly deviceId: string;
  private readonly telemetryTopic: Buffer;
  private nextId = 1;
  private readonly inflight = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private rest: Buffer = Buffer.alloc(0);

  private constructor(socket: Socket, deviceId: string) {
    this.socket = socket;
    this.deviceId = deviceId;
    this.telemetryTopic = str(`sw/v1/${deviceId}/telemetry`);
  }

  static open(o: WireOptions): Promise<WireDevice> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: o.host, port: o.port, localAddress: o.localAddress, noDelay: true });
      const d = new WireDevice(socket, o.deviceId);
      let stage: 'CONNACK' | 'SUBACK' | 'open' = 'CONNACK';
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no ${stage} within ${o.timeoutMs} ms`)), o.timeoutMs);
      socket.on('error', (err) => (stage === 'open' ? d.failAll(err) : fail(err)));
      socket.on('close', () => (stage === 'open' ? d.failAll(new Error('connection closed')) : fail(new Error(`closed before ${stage}`))));
      socket.on('connect', () => {
        const topic = `sw/v1/${o.deviceId}`;
        socket.write(
          connectPacket({
            clientId: o.deviceId,
            username: o.deviceId,
            password: o.secret,
            keepaliveS: o.keepaliveS,
            willTopic: `${topic}/status`,
            willPayload: '{"online":false}',
          }),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        d.rest = frames(d.rest.length ? Buffer.concat([d.rest, chunk]) : chunk, (type, body) => {
          const kind = type >> 4;
          if (kind === 2 && stage === 'CONNACK') {
            if (body[1] !== 0) return fail(new Error(`CONNACK refused (return code ${body[1] ?? '?'})`));
            stage = 'SUBACK';
            socket.write(subscribePacket(d.nextId++, `sw/v1/${o.deviceId}/cmd`));
          } else if (kind === 9 && stage === 'SUBACK') {
            if ((body[2] ?? 0x80) > 1) return fail(new Error('SUBACK refused'));
            stage = 'open';
            clearTimeout(timer);
            resolve(d);
          } else if (kind === 4) d.onPuback(body.readUInt16BE(0));
        });
      });
    });
  }

  /** QoS 1 telemetry; resolves on PUBACK. */
  publishTelemetry(payload: Buffer): Promise<void> {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { resolve, reject });
      this.socket.write(publishPacket(this.telemetryTopic, id, payload));
    });
  }

  private onPuback(id: number): void {
    const w = this.inflight.get(id);
    if (!w) return;
    this.inflight.delete(id);
    w.resolve();
  }

  private failAll(err: Error): void {
    for (const w of this.inflight.values()) w.reject(err);
    this.inflight.clear();
  }

  /** DISCONNECT (§3.14: the will is discarded), then close. */
  close(): void {
    this.socket.end(Buffer.from([0xe0, 0x00]));
  }
}
