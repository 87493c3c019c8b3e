/**
 * Server side of WS-UsernameToken (OASIS WSS UsernameToken Profile 1.0 §3.1, ONVIF Core §5.9.4).
 * Written independently of the driver's token builder so the integration tests check one against the other.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { section, text } from './soap-envelope.ts';

const PASSWORD_DIGEST_TYPE = '#PasswordDigest';
/** UsernameToken Profile §3.1 recommends a freshness limit; ±5 min is what common firmware uses. */
export const DEFAULT_CLOCK_WINDOW_MS = 5 * 60_000;

export type TokenCheck = { ok: true; username: string } | { ok: false; reason: string };

export interface VerifierOptions {
  username: () => string;
  password: () => string;
  /** The camera's own clock (may be skewed on purpose). */
  now: () => number;
  clockWindowMs?: number;
}

export class UsernameTokenVerifier {
  /** Nonces seen inside the freshness window; profile §3.1 says a nonce must be used once. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: VerifierOptions) {}

  verify(xml: string): TokenCheck {
    const token = section(xml, 'UsernameToken');
    if (token === undefined) return { ok: false, reason: 'no UsernameToken' };
    const username = text(token, 'Username') ?? '';
    const passwordEl = /<(?:[\w.-]+:)?Password\b([^>]*)>([^<]*)</.exec(token);
    const nonce = text(token, 'Nonce') ?? '';
    const created = text(token, 'Created') ?? '';
    if (!passwordEl) return { ok: false, reason: 'no Password' };
    if (!(passwordEl[1] ?? '').includes(PASSWORD_DIGEST_TYPE)) return { ok: false, reason: 'PasswordText is not accepted' };
    if (username !== this.opts.username()) return { ok: false, reason: 'unknown user' };
    const createdMs = Date.parse(created);
    if (Number.isNaN(createdMs)) return { ok: false, reason: 'bad Created' };
    const now = this.opts.now();
    const window = this.opts.clockWindowMs ?? DEFAULT_CLOCK_WINDOW_MS;
    if (Math.abs(now - createdMs) > window) return { ok: false, reason: 'Created outside the clock window' };
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(this.opts.password(), 'utf8')]))
      .digest();
    const given = Buffer.from((passwordEl[2] ?? '').trim(), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'digest mismatch' };
    this.expire(now, window);
    if (this.seen.has(nonce)) return { ok: false, reason: 'nonce replayed' };
    this.seen.set(nonce, now + 2 * window);
    return { ok: true, username };
  }

  private expire(now: number, window: number): void {
    if (this.seen.size < 1000) return;
    for (const [nonce, until] of this.seen) if (until < now - window) this.seen.delete(nonce);
  }
}
