import { describe, expect, it } from 'vitest';
import { passwordDigest, securityHeader } from '../../services/cameras/ws-security.ts';
import { UsernameTokenVerifier } from '../../simulators/onvif/ws-security-verifier.ts';

// Vector computed independently with Python: base64(sha1(bytes(range(16)) + created + password)).
const NONCE = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const CREATED = '2026-01-15T08:30:00.000Z';
const PASSWORD = 'Cam3ra!Sim';
const EXPECTED = 'XQynOda3tR54ZN846FJ/4JPRLUw=';

function envelopeWith(header: string): string {
  return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${header}</s:Header><s:Body/></s:Envelope>`;
}

describe('WS-UsernameToken PasswordDigest', () => {
  it('is Base64(SHA1(raw nonce + created + password))', () => {
    expect(passwordDigest(NONCE, CREATED, PASSWORD)).toBe(EXPECTED);
  });

  it('puts the digest, the Base64 nonce and the Created it signed into the header', () => {
    const xml = securityHeader({ username: 'admin', password: PASSWORD, cameraNowMs: Date.parse(CREATED), nonce: NONCE });
    expect(xml).toContain(`>${EXPECTED}</wsse:Password>`);
    expect(xml).toContain(`>${NONCE.toString('base64')}</wsse:Nonce>`);
    expect(xml).toContain(`<wsu:Created>${CREATED}</wsu:Created>`);
    expect(xml).toContain('#PasswordDigest');
  });

  it('escapes a username that contains XML metacharacters', () => {
    const xml = securityHeader({ username: 'op<&>', password: 'x', cameraNowMs: 0 });
    expect(xml).toContain('<wsse:Username>op&lt;&amp;&gt;</wsse:Username>');
  });

  describe('against the simulator verifier', () => {
    const cameraNow = Date.parse('2026-03-01T00:00:00Z');
    const verifier = () => new UsernameTokenVerifier({ username: () => 'admin', password: () => PASSWORD, now: () => cameraNow });

    it('accepts a token created on the camera clock', () => {
      const xml = envelopeWith(securityHeader({ username: 'admin', password: PASSWORD, cameraNowMs: cameraNow + 1000 }));
      expect(verifier().verify(xml)).toEqual({ ok: true, username: 'admin' });
    });

    it('rejects a replayed nonce', () => {
      const v = verifier();
      const xml = envelopeWith(securityHeader({ username: 'admin', password: PASSWORD, cameraNowMs: cameraNow }));
      expect(v.verify(xml).ok).toBe(true);
      expect(v.verify(xml)).toEqual({ ok: false, reason: 'nonce replayed' });
    });

    it('rejects a token outside the ±5 min window (what an unsynchronised clock produces)', () => {
      const xml = envelopeWith(securityHeader({ username: 'admin', password: PASSWORD, cameraNowMs: cameraNow - 6 * 60_000 }));
      expect(verifier().verify(xml)).toEqual({ ok: false, reason: 'Created outside the clock window' });
    });

    it('rejects a wrong password', () => {
      const xml = envelopeWith(securityHeader({ username: 'admin', password: 'nope', cameraNowMs: cameraNow }));
      expect(verifier().verify(xml)).toEqual({ ok: false, reason: 'digest mismatch' });
    });
  });
});
