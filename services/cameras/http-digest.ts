/**
 * HTTP Digest client (RFC 7616) for snapshot URIs and for SOAP on firmware that uses Digest instead of WS-Security.
 * Quirks it exists for (all seen with node-onvif 0.1.7): nonces are Base64 and contain '=', so parameters must be
 * parsed as quoted-strings, not split on '='; the auth state must be per camera, never shared; and Basic is never sent,
 * not even first — a camera that offers only Basic gets an error instead of our password in clear text.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: 'auth';
  algorithm: 'MD5' | 'SHA-256';
  opaque?: string;
  stale: boolean;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const WS = /[ \t]*/y;

function readAt(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  const m = re.exec(s);
  return m ? m[0] : undefined;
}

function readQuoted(s: string, at: number): { value: string; end: number } {
  let value = '';
  let i = at + 1;
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\') i += 1; // quoted-pair, RFC 7230 §3.2.6
    value += s[i] ?? '';
    i += 1;
  }
  return { value, end: i + 1 };
}

/**
 * Parses a WWW-Authenticate value into challenges (RFC 7235 §4.1): `Digest realm="x", nonce="ab==", Basic realm="y"`.
 * A token followed by whitespace and another token (not '=') starts a new challenge.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  let current: AuthChallenge | undefined;
  while (i < header.length) {
    i += readAt(WS, header, i)?.length ?? 0;
    if (header[i] === ',') {
      i += 1;
      continue;
    }
    const token = readAt(TOKEN, header, i);
    if (!token) break;
    let j = i + token.length;
    j += readAt(WS, header, j)?.length ?? 0;
    if (header[j] === '=' && current) {
      j += 1;
      j += readAt(WS, header, j)?.length ?? 0;
      if (header[j] === '"') {
        const q = readQuoted(header, j);
        current.params[token.toLowerCase()] = q.value;
        i = q.end;
      } else {
        const raw = readAt(/[^,\s]*/y, header, j) ?? '';
        current.params[token.toLowerCase()] = raw;
        i = j + raw.length;
      }
      continue;
    }
    current = { scheme: token, params: {} };
    out.push(current);
    i = i + token.length;
  }
  return out;
}

/** Picks the Digest challenge we can answer, preferring SHA-256 over MD5 (RFC 7616 §3.7). */
export function selectDigestChallenge(headers: string[]): DigestChallenge | undefined {
  const candidates = headers.flatMap(parseWwwAuthenticate).filter((c) => c.scheme.toLowerCase() === 'digest');
  let best: DigestChallenge | undefined;
  for (const c of candidates) {
    const algorithm = (c.params.algorithm ?? 'MD5').toUpperCase();
    if (algorithm !== 'MD5' && algorithm !== 'SHA-256') continue;
    const qops = (c.params.qop ?? '').split(',').map((q) => q.trim());
    if (c.params.qop !== undefined && !qops.includes('auth')) continue; // auth-int only: we do not hash bodies
    if (!c.params.nonce || c.params.realm === undefined) continue;
    const parsed: DigestChallenge = {
      realm: c.params.realm,
      nonce: c.params.nonce,
      qop: c.params.qop !== undefined ? 'auth' : undefined,
      algorithm,
      opaque: c.params.opaque,
      stale: (c.params.stale ?? '').toLowerCase() === 'true',
    };
    if (!best || (best.algorithm === 'MD5' && algorithm === 'SHA-256')) best = parsed;
  }
  return best;
}

const hash = (alg: DigestChallenge['algorithm'], s: string): string =>
  createHash(alg === 'SHA-256' ? 'sha256' : 'md5')
    .update(s, 'utf8')
    .digest('hex');

/** The request-digest of RFC 7616 §3.4.1 (and RFC 2069 when the server sent no qop). */
export function digestResponse(
  ch: DigestChallenge,
  creds: { username: string; password: string },
  method: string,
  uri: string,
  nc: string,
  cnonce: string,
): string {
  const ha1 = hash(ch.algorithm, `${creds.username}:${ch.realm}:${creds.password}`);
  const ha2 = hash(ch.algorithm, `${method}:${uri}`);
  return ch.qop ? hash(ch.algorithm, `${ha1}:${ch.nonce}:${nc}:${cnonce}:auth:${ha2}`) : hash(ch.algorithm, `${ha1}:${ch.nonce}:${ha2}`);
}

const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/**
 * Digest state for ONE camera. Reuses the last challenge so steady-state snapshots cost one round trip; nc is
 * incremented synchronously per request, so concurrent requests on the same nonce never share a count (RFC 7616 §3.4).
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(private readonly creds: { username: string; password: string }) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** Stores a new challenge from a 401. Returns false when no Digest challenge we can answer was offered. */
  accept(wwwAuthenticate: string[]): boolean {
    const ch = selectDigestChallenge(wwwAuthenticate);
    if (!ch) return false;
    if (ch.nonce !== this.challenge?.nonce) this.nc = 0;
    this.challenge = ch;
    return true;
  }

  forget(): void {
    this.challenge = undefined;
  }

  /** Authorization header for method + request-target (path and query), or undefined before the first challenge. */
  authorization(method: string, uri: string): string | undefined {
    const ch = this.challenge;
    if (!ch) return undefined;
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const parts = [
      `username=${quote(this.creds.username)}`,
      `realm=${quote(ch.realm)}`,
      `nonce=${quote(ch.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${ch.algorithm}`,
      `response=${quote(digestResponse(ch, this.creds, method, uri, nc, cnonce))}`,
    ];
    if (ch.qop) parts.push(`qop=auth`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
