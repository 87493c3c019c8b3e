/**
 * Outbound address allow-lists, one per purpose (live broadcast sources, cameras, alarm webhooks). An operator who
 * may type a URL must not be able to make the service read from, or probe, what only the service can reach: its own
 * loopback (the database, the control socket, a local admin page), link-local cloud metadata, or another network.
 *
 * Rule: an address is allowed when a listed block contains it. Loopback, link-local, unspecified, multicast and
 * broadcast addresses are special: a listed block unlocks one only when it is no wider than the special range it is in
 * (so 0.0.0.0/0 does not open 127.0.0.1, but 127.0.0.0/8 does). Names are checked at connect time on every address
 * they resolve to, through the socket's own lookup, so a name that resolves differently later (DNS rebinding) is
 * checked again. Refusals say "not allowed" without telling whether anything listens there.
 */
import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { AppError } from './errors.ts';

interface Block {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

const width = (f: 4 | 6): number => (f === 4 ? 32 : 128);

function addressBits(ip: string): { family: 4 | 6; bits: bigint } | null {
  const v = net.isIP(ip);
  if (v === 4) return { family: 4, bits: ip.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (v !== 6) return null;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return addressBits(mapped[1] as string);
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) counts as two groups.
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].flatMap((g) => {
    if (g.includes('.')) {
      const b = addressBits(g)!.bits;
      return [((b >> 16n) & 0xffffn).toString(16), (b & 0xffffn).toString(16)];
    }
    return [g];
  });
  const bits = groups.slice(0, 8).reduce((a, g) => (a << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  // IPv4-mapped in hex form (URL() writes [::ffff:127.0.0.1] as [::ffff:7f00:1]).
  if (bits >> 32n === 0xffffn) return { family: 4, bits: bits & 0xffffffffn };
  return { family: 6, bits };
}

export function parseCidr(cidr: string): Block {
  const [ip, p] = cidr.trim().split('/');
  const a = ip ? addressBits(ip) : null;
  if (!a) throw new Error(`'${cidr}' is not a CIDR block (e.g. 10.20.0.0/16 or fd00::/8)`);
  const prefix = p === undefined ? width(a.family) : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width(a.family)) throw new Error(`'${cidr}' has a bad prefix length`);
  return { family: a.family, bits: a.bits, prefix };
}

const contains = (b: Block, a: { family: 4 | 6; bits: bigint }): boolean => {
  if (b.family !== a.family) return false;
  const shift = BigInt(width(b.family) - b.prefix);
  return a.bits >> shift === b.bits >> shift;
};

const SPECIAL = ['127.0.0.0/8', '0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4', '::1/128', '::/128', 'fe80::/10', 'ff00::/8'].map(parseCidr);

export type Purpose = 'live-source' | 'camera' | 'webhook';

const LABEL: Record<Purpose, { vi: string; en: string; key: string }> = {
  'live-source': { vi: 'nguồn phát trực tiếp', en: 'live source', key: 'SW_NETWORKS_LIVE_SOURCE' },
  camera: { vi: 'camera', en: 'camera', key: 'SW_NETWORKS_CAMERA' },
  webhook: { vi: 'webhook', en: 'webhook', key: 'SW_NETWORKS_WEBHOOK' },
};

export class NetGuard {
  readonly purpose: Purpose;
  private readonly blocks: Block[];

  constructor(purpose: Purpose, cidrs: readonly string[]) {
    this.purpose = purpose;
    this.blocks = cidrs.map(parseCidr);
  }

  allows(ip: string): boolean {
    const a = addressBits(ip);
    if (!a) return false;
    const special = SPECIAL.find((s) => contains(s, a));
    return this.blocks.some((b) => contains(b, a) && (!special || b.prefix >= special.prefix));
  }

  refusal(): AppError {
    const l = LABEL[this.purpose];
    return new AppError(
      'ADDRESS_NOT_ALLOWED',
      400,
      `Địa chỉ ${l.vi} này không nằm trong các mạng được phép (${l.key}). / This ${l.en} address is not in the allowed networks (${l.key}).`,
    );
  }

  /**
   * Checks a URL before it is stored: scheme, and the host when it is an address. A name is checked when connecting
   * (lookup()), since what it resolves to may change.
   */
  checkUrl(raw: string, protocols: readonly string[] = ['http:', 'https:']): URL {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new AppError('BAD_URL', 400, 'Địa chỉ URL không hợp lệ. / The URL is not valid');
    }
    if (!protocols.includes(u.protocol))
      throw new AppError('BAD_URL', 400, `Chỉ chấp nhận ${protocols.join(' ')}. / Only ${protocols.join(' ')} URLs are accepted`);
    if (u.username || u.password) {
      // Credentials in the URL would be stored and shown in clear; cameras have their own encrypted password field.
      if (this.purpose !== 'camera')
        throw new AppError('BAD_URL', 400, 'URL không được chứa tên đăng nhập/mật khẩu. / The URL must not carry a username or password');
    }
    this.checkHost(u.hostname);
    return u;
  }

  /** An address host is checked now; a name is left to lookup(). */
  checkHost(hostname: string): void {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host) && !this.allows(host)) throw this.refusal();
    if (!net.isIP(host) && /^(localhost|.*\.localhost)$/i.test(host) && !this.allows('127.0.0.1')) throw this.refusal();
  }

  /** Resolves a URL's host now and refuses it when any address is outside the list (for clients without a lookup hook). */
  async checkResolved(raw: string): Promise<void> {
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host)) {
      if (!this.allows(host)) throw this.refusal();
      return;
    }
    const list = await dns.promises.lookup(host, { all: true });
    if (list.length === 0 || list.some((a) => !this.allows(a.address))) throw this.refusal();
  }

  /** A `lookup` for http.request / net.connect that refuses every resolved address outside the allow-list. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => !this.allows(a.address));
      if (bad || list.length === 0) {
        callback(Object.assign(this.refusal(), { code: 'ADDRESS_NOT_ALLOWED' }) as NodeJS.ErrnoException, '', 0);
        return;
      }
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Every allow-list of the config parses (refused at start with the key's name otherwise). */
export function networkProblems(lists: Record<string, string[]>): string[] {
  const problems: string[] = [];
  for (const [key, cidrs] of Object.entries(lists)) {
    for (const c of cidrs) {
      try {
        parseCidr(c);
      } catch (err) {
        problems.push(`${key}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}
