import { describe, expect, it } from 'vitest';
import { DigestSession, digestResponse, parseWwwAuthenticate, selectDigestChallenge } from '../../services/cameras/http-digest.ts';
import { HttpDigestVerifier } from '../../simulators/onvif/http-digest-verifier.ts';

describe('WWW-Authenticate parsing', () => {
  it("keeps '=' inside a quoted Base64 nonce", () => {
    const [ch] = parseWwwAuthenticate('Digest realm="IP Camera", qop="auth", algorithm=MD5, nonce="dGVzdG5vbmNlMTIzNA==", opaque="a=b"');
    expect(ch?.scheme).toBe('Digest');
    expect(ch?.params).toEqual({ realm: 'IP Camera', qop: 'auth', algorithm: 'MD5', nonce: 'dGVzdG5vbmNlMTIzNA==', opaque: 'a=b' });
  });

  it('splits several challenges in one header and handles escaped quotes and commas in values', () => {
    const list = parseWwwAuthenticate('Basic realm="x, y", Digest realm="a \\"b\\"",nonce="n==" , stale=TRUE');
    expect(list.map((c) => c.scheme)).toEqual(['Basic', 'Digest']);
    expect(list[0]?.params.realm).toBe('x, y');
    expect(list[1]?.params).toEqual({ realm: 'a "b"', nonce: 'n==', stale: 'TRUE' });
  });

  it('prefers SHA-256 over MD5 and ignores Basic', () => {
    const ch = selectDigestChallenge([
      'Basic realm="cam"',
      'Digest qop="auth", realm="cam", nonce="m5==", stale="FALSE"',
      'Digest qop="auth,auth-int", realm="cam", nonce="s256=", algorithm="SHA-256"',
    ]);
    expect(ch).toMatchObject({ algorithm: 'SHA-256', nonce: 's256=', qop: 'auth', stale: false });
  });

  it('finds no usable challenge when only Basic is offered', () => {
    expect(selectDigestChallenge(['Basic realm="cam"'])).toBeUndefined();
    expect(new DigestSession({ username: 'u', password: 'p' }).accept(['Basic realm="cam"'])).toBe(false);
  });
});

describe('Digest response', () => {
  // RFC 7616 §3.9.1 example.
  const ch = {
    realm: 'http-auth@example.org',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: 'auth' as const,
    stale: false,
    opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  };
  const creds = { username: 'Mufasa', password: 'Circle of Life' };
  const cnonce = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

  it('matches the RFC 7616 MD5 and SHA-256 vectors', () => {
    expect(digestResponse({ ...ch, algorithm: 'MD5' }, creds, 'GET', '/dir/index.html', '00000001', cnonce)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...ch, algorithm: 'SHA-256' }, creds, 'GET', '/dir/index.html', '00000001', cnonce)).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('is accepted by the simulator for a nonce with "=" and gives concurrent requests distinct nc values', () => {
    const server = new HttpDigestVerifier('Cam', () => ({ username: 'admin', password: 'pa55=word' }));
    const challenge = server.challenge();
    expect(challenge).toMatch(/nonce="[^"]*=[^"]*"/);
    const session = new DigestSession({ username: 'admin', password: 'pa55=word' });
    expect(session.authorization('GET', '/x')).toBeUndefined(); // nothing, not Basic, before a challenge
    expect(session.accept([challenge])).toBe(true);
    const uri = '/onvif/snapshot?profile=profile_main';
    const headers = [1, 2, 3].map(() => session.authorization('GET', uri) ?? '');
    expect(headers.map((h) => /nc=(\w+)/.exec(h)?.[1])).toEqual(['00000001', '00000002', '00000003']);
    // Verified out of order, as concurrent requests may arrive.
    for (const h of [headers[2], headers[0], headers[1]]) expect(server.verify('GET', uri, h)).toEqual({ ok: true });
    expect(server.verify('GET', uri, headers[0])).toMatchObject({ ok: false, reason: 'nonce count replayed' });
  });

  it('keeps sessions of different cameras independent', () => {
    const a = new DigestSession({ username: 'admin', password: 'a' });
    const b = new DigestSession({ username: 'admin', password: 'b' });
    a.accept(['Digest realm="A", qop="auth", nonce="na=="']);
    b.accept(['Digest realm="B", qop="auth", nonce="nb=="']);
    expect(a.authorization('GET', '/s')).toContain('nonce="na=="');
    expect(b.authorization('GET', '/s')).toContain('nonce="nb=="');
    expect(a.authorization('GET', '/s')).toContain('nc=00000002');
    expect(b.authorization('GET', '/s')).toContain('nc=00000002');
  });
});
