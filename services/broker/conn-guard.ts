import { isIP } from 'node:net';

/**
 * Bounds connections that have not yet authenticated, per source address and in total. Before CONNECT is accepted a
 * connection costs memory and a credential check but proves nothing; a flood of them must not crowd out devices that
 * are already connected, nor those that log in properly.
 */
export interface PendingLimits {
  perAddress: number;
  total: number;
}

export class PendingConnections {
  private readonly limits: PendingLimits;
  private readonly byAddress = new Map<string, number>();
  private count = 0;

  constructor(limits: PendingLimits) {
    this.limits = limits;
  }

  get total(): number {
    return this.count;
  }

  /** Reserves a pending slot for `addr`; the reason when there is none. Each successful admit needs one release. */
  admit(addr: string): string | null {
    if (this.count >= this.limits.total) return `${this.count} connections are waiting to log in (limit ${this.limits.total})`;
    const n = this.byAddress.get(addr) ?? 0;
    if (n >= this.limits.perAddress) return `${n} connections from ${addr} are waiting to log in (limit ${this.limits.perAddress})`;
    this.byAddress.set(addr, n + 1);
    this.count++;
    return null;
  }

  release(addr: string): void {
    const n = this.byAddress.get(addr);
    if (n === undefined) return;
    if (n <= 1) this.byAddress.delete(addr);
    else this.byAddress.set(addr, n - 1);
    this.count--;
  }
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) and IPv4 name the same sender. */
export function normalizeAddress(addr: string | undefined): string {
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4 ? addr.slice(7) : addr;
}

/**
 * The sender of a WebSocket connection. Behind a reverse proxy every connection comes from the proxy, so per-address
 * limits would lump all devices together; X-Forwarded-For is believed only when the TCP peer is a trusted proxy (anyone
 * else could write it), and then the right-most address that is not itself a trusted proxy is the client.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: ReadonlySet<string>): string {
  const p = normalizeAddress(peer);
  if (!trusted.has(p) || forwardedFor === undefined) return p;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => normalizeAddress(s.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i]!;
    if (!isIP(h)) return p; // a malformed hop: do not guess
    if (!trusted.has(h)) return h;
  }
  return p;
}
