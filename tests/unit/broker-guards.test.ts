import { describe, expect, it, vi } from 'vitest';
import { clientAddress, PendingConnections } from '../../services/broker/conn-guard.ts';
import { FrameGuard } from '../../services/broker/frame-guard.ts';
import { RateLimiter } from '../../services/broker/rate-limiter.ts';
import { RefusalLog } from '../../services/broker/refusal-log.ts';
import type { Logger } from '../../services/common/logger.ts';
import { fixedHeader } from '../../bench/drills/security/mqtt-kit.ts';

const LIMITS = { connectMaxBytes: 100, packetMaxBytes: 1000, preAuthMaxBytes: 5000 };
const packet = (type: number, bodyLen: number): Buffer => Buffer.concat([fixedHeader(type, bodyLen), Buffer.alloc(bodyLen)]);

describe('FrameGuard', () => {
  it('refuses a CONNECT declaring 256 MiB from its header alone', () => {
    const g = new FrameGuard(LIMITS);
    expect(g.inspect(fixedHeader(0x10, 268_435_455))).toMatchObject({ code: 'PACKET_TOO_LARGE' });
  });

  it('follows packet boundaries across chunks, a header split byte by byte included', () => {
    const g = new FrameGuard(LIMITS);
    const stream = Buffer.concat([packet(0x10, 100), packet(0x30, 1000), packet(0x30, 999)]);
    for (let i = 0; i < stream.length; i += 7) expect(g.inspect(stream.subarray(i, i + 7))).toBeNull();
    g.authenticated = true;
    const big = fixedHeader(0x30, 1001);
    expect(g.inspect(big.subarray(0, 1))).toBeNull();
    expect(g.inspect(big.subarray(1, 2))).toBeNull();
    expect(g.inspect(big.subarray(2))).toMatchObject({ code: 'PACKET_TOO_LARGE', reason: 'packet declares 1001 bytes; the limit is 1000' });
  });

  it('applies the smaller CONNECT limit to the first packet only', () => {
    expect(new FrameGuard(LIMITS).inspect(packet(0x10, 101))).toMatchObject({ code: 'PACKET_TOO_LARGE' });
    const g = new FrameGuard(LIMITS);
    expect(g.inspect(Buffer.concat([packet(0x10, 50), packet(0x30, 500)]))).toBeNull();
  });

  it('refuses a first packet that is not CONNECT, and a remaining length longer than 4 bytes', () => {
    expect(new FrameGuard(LIMITS).inspect(packet(0x30, 10))).toMatchObject({ code: 'MALFORMED_PACKET' });
    expect(new FrameGuard(LIMITS).inspect(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatchObject({ code: 'MALFORMED_PACKET' });
  });

  it('bounds the bytes sent before the CONNECT is accepted, and lifts the bound after', () => {
    const g = new FrameGuard(LIMITS);
    expect(g.inspect(packet(0x10, 50))).toBeNull();
    let v = null;
    for (let i = 0; i < 6 && !v; i++) v = g.inspect(packet(0x30, 999));
    expect(v).toMatchObject({ code: 'PRELOGIN_TOO_MUCH' });
    const ok = new FrameGuard(LIMITS);
    ok.inspect(packet(0x10, 50));
    ok.authenticated = true;
    for (let i = 0; i < 20; i++) expect(ok.inspect(packet(0x30, 999))).toBeNull();
  });
});

describe('PendingConnections', () => {
  it('bounds waiting logins per address and in total, and frees slots on release', () => {
    const p = new PendingConnections({ perAddress: 2, total: 3 });
    expect(p.admit('a')).toBeNull();
    expect(p.admit('a')).toBeNull();
    expect(p.admit('a')).toMatch(/from a/);
    expect(p.admit('b')).toBeNull();
    expect(p.admit('c')).toMatch(/limit 3/);
    p.release('a');
    expect(p.admit('c')).toBeNull();
    expect(p.total).toBe(3);
    p.release('unknown');
    expect(p.total).toBe(3);
  });
});

describe('clientAddress', () => {
  const trusted = new Set(['10.0.0.1']);
  it('believes X-Forwarded-For only from a trusted proxy, taking the right-most untrusted hop', () => {
    expect(clientAddress('10.0.0.9', '1.2.3.4', trusted)).toBe('10.0.0.9');
    expect(clientAddress('10.0.0.1', '6.6.6.6, 1.2.3.4', trusted)).toBe('1.2.3.4');
    expect(clientAddress('::ffff:10.0.0.1', '1.2.3.4, 10.0.0.1', trusted)).toBe('1.2.3.4');
    expect(clientAddress('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', 'not-an-ip', trusted)).toBe('10.0.0.1');
    expect(clientAddress(undefined, undefined, trusted)).toBe('unknown');
  });
});

describe('RefusalLog', () => {
  it('logs a few lines per key and window, then says how many it left out', () => {
    let t = 0;
    const warn = vi.fn();
    const l = new RefusalLog({ warn } as unknown as Logger, { windowMs: 1000, perWindow: 3, now: () => t });
    for (let i = 0; i < 10_000; i++) l.warn('subscribe:FOREIGN_TOPIC', { i }, 'MQTT refused');
    l.warn('publish:RATE_LIMITED', {}, 'MQTT refused');
    expect(warn).toHaveBeenCalledTimes(4);
    t = 1000;
    l.warn('subscribe:FOREIGN_TOPIC', { i: -1 }, 'MQTT refused');
    expect(warn).toHaveBeenLastCalledWith({ i: -1, suppressedBefore: 9997 }, 'MQTT refused');
  });
});

describe('RateLimiter memory bound', () => {
  it('keeps at most maxKeys buckets under a flood of new keys', () => {
    let t = 0;
    const l = new RateLimiter(1, 5, () => t, 1000);
    for (let i = 0; i < 50_000; i++) {
      l.take(`k${i}`);
      if (i % 100 === 0) t += 1;
    }
    expect(l.size).toBeLessThanOrEqual(1000);
  });
});
