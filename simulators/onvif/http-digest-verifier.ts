/**
 * Server side of HTTP Digest (RFC 7616) as IP cameras do it: MD5, qop="auth", Base64 nonces that end in '='.
 * Basic credentials are never accepted, and every Basic attempt is counted so tests can prove the client never sent one.
 */
import { createHash, randomBytes } from 'node:crypto';

const NONCE_LIFETIME_MS = 5 * 60_000;

export type DigestCheck = { ok: true } | { ok: false; stale: boolean; reason: string };

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** Minimal auth-param parser for the simulator (RFC 7235 §2.1); the driver has its own stricter one. */
function parseParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    out[(m[1] ?? '').toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

export class HttpDigestVerifier {
  private readonly nonces = new Map<string, { issuedAt: number; usedNc: Set<string> }>();
  private readonly opaque = randomBytes(8).toString('hex');
  basicAttempts = 0;

  constructor(
    private readonly realm: string,
    private readonly credentials: () => { username: string; password: string },
  ) {}

  /** WWW-Authenticate value. 16 random bytes → 24 Base64 chars ending in "==", the case that broke node-onvif. */
  challenge(stale = false): string {
    const nonce = randomBytes(16).toString('base64');
    this.nonces.set(nonce, { issuedAt: Date.now(), usedNc: new Set() });
    this.expire();
    const staleParam = stale ? ', stale=true' : '';
    return `Digest realm="${this.realm}", qop="auth", algorithm=MD5, nonce="${nonce}", opaque="${this.opaque}"${staleParam}`;
  }

  verify(method: string, url: string, header: string | undefined): DigestCheck {
    if (header === undefined) return { ok: false, stale: false, reason: 'no credentials' };
    if (/^Basic\s/i.test(header)) {
      this.basicAttempts += 1;
      return { ok: false, stale: false, reason: 'Basic is not accepted' };
    }
    if (!/^Digest\s/i.test(header)) return { ok: false, stale: false, reason: 'unknown scheme' };
    const p = parseParams(header.slice(7));
    const entry = this.nonces.get(p.nonce ?? '');
    if (!entry || Date.now() - entry.issuedAt > NONCE_LIFETIME_MS) return { ok: false, stale: true, reason: 'stale nonce' };
    const { username, password } = this.credentials();
    if (p.username !== username || p.realm !== this.realm) return { ok: false, stale: false, reason: 'bad user or realm' };
    if (p.uri !== url) return { ok: false, stale: false, reason: 'uri does not match request-target' };
    if (p.qop !== 'auth' || !p.nc || !p.cnonce) return { ok: false, stale: false, reason: 'qop=auth required' };
    // RFC 7616 §3.4: nc lets the server detect replays; concurrent requests may arrive out of order, so remember each.
    if (entry.usedNc.has(p.nc)) return { ok: false, stale: false, reason: 'nonce count replayed' };
    const ha1 = md5(`${username}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${url}`);
    const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    if (expected !== p.response) return { ok: false, stale: false, reason: 'response mismatch' };
    entry.usedNc.add(p.nc);
    return { ok: true };
  }

  private expire(): void {
    const now = Date.now();
    for (const [nonce, e] of this.nonces) if (now - e.issuedAt > NONCE_LIFETIME_MS) this.nonces.delete(nonce);
  }
}
