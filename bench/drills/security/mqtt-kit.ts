/**
 * Raw-socket MQTT attacks for the security drills and the broker's integration tests: headers that declare huge packets,
 * connections that never log in, floods. Loopback only; `localAddress` picks a 127.0.0.0/8 source so an attacker and
 * the valid devices have different addresses, as on a real network.
 */
import { connect, type Socket } from 'node:net';
import { connectPacket, frames, publishPacket } from '../../lib/mqtt-wire.ts';

export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A fixed header declaring `declared` bytes to follow (0x10 = CONNECT, 0x30 = PUBLISH QoS 0). */
export const fixedHeader = (type: number, declared: number): Buffer => Buffer.concat([Buffer.from([type]), varint(declared)]);

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

/** SUBSCRIBE with many filters in one packet (§3.8). */
export function subscribeMany(packetId: number, filters: string[]): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  const body = Buffer.concat([id, ...filters.flatMap((f) => [str(f), Buffer.from([0])])]);
  return Buffer.concat([Buffer.from([0x82]), varint(body.length), body]);
}

/** A device's CONNECT as the service requires it (client id = username = device id, will on its status topic). */
export const deviceConnect = (id: string, password: string): Buffer =>
  connectPacket({ clientId: id, username: id, password, keepaliveS: 60, willTopic: `sw/v1/${id}/status`, willPayload: '{"online":false}' });

export const qos1Publish = (topic: string, packetId: number, payload: string): Buffer => publishPacket(str(topic), packetId, Buffer.from(payload));

export interface RawConn {
  socket: Socket;
  /** Packets received so far: [first header byte, body]. */
  packets: [number, Buffer][];
  closed: Promise<void>;
  isClosed(): boolean;
}

export function rawConnect(port: number, opts: { host?: string; localAddress?: string } = {}): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: opts.host ?? '127.0.0.1', localAddress: opts.localAddress, noDelay: true });
    const packets: [number, Buffer][] = [];
    let rest: Buffer = Buffer.alloc(0);
    let done = false;
    const closed = new Promise<void>((r) => socket.once('close', () => ((done = true), r())));
    socket.on('data', (d: Buffer) => {
      rest = frames(rest.length ? Buffer.concat([rest, d]) : d, (type, body) => packets.push([type, Buffer.from(body)]));
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, packets, closed, isClosed: () => done }));
    socket.once('error', reject);
  });
}

/** Resolves true if the connection closes within `ms`. */
export const closesWithin = (c: RawConn, ms: number): Promise<boolean> =>
  Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

/** The CONNACK return code received on this connection, if any (§3.2.2.3). */
export function connackCode(c: RawConn): number | null {
  const p = c.packets.find(([t]) => t >> 4 === 2);
  return p ? (p[1][1] ?? null) : null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
