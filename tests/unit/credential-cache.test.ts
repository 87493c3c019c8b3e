import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../../services/registry/credential-cache.ts';
import { classifyWriteError } from '../../services/ingest/write-errors.ts';

const cred = (n: number) => ({ kind: 'streetlight', secretHash: `hmac-sha256$${n}` });

describe('CredentialCache', () => {
  it('keeps at most its size, dropping the least recently verified device first', () => {
    const c = new CredentialCache(2);
    c.remember('a', cred(1), c.stamp);
    c.remember('b', cred(2), c.stamp);
    c.remember('a', cred(1), c.stamp); // verified again: now the most recent
    c.remember('c', cred(3), c.stamp);
    expect(c.get('a')).toBeDefined();
    expect(c.get('b')).toBeUndefined();
    expect(c.get('c')).toBeDefined();
    expect(c.size).toBe(2);
  });

  it('never puts back a hash read by a lookup that began before the device was forgotten (rotation race)', () => {
    const c = new CredentialCache(10);
    const before = c.stamp;
    c.forget('a'); // rotation commits while the lookup of the old hash is in flight
    c.remember('a', cred(1), before);
    expect(c.get('a')).toBeUndefined();
    c.remember('a', cred(2), c.stamp);
    expect(c.get('a')?.secretHash).toBe('hmac-sha256$2');
  });

  it('stores nothing when its size is 0', () => {
    const c = new CredentialCache(0);
    c.remember('a', cred(1), c.stamp);
    expect(c.size).toBe(0);
  });
});

describe('classifyWriteError', () => {
  it.each([
    ['22007', 'data'],
    ['23503', 'data'],
    ['22P02', 'data'],
    ['40001', 'conflict'],
    ['40P01', 'conflict'],
    ['25006', 'unavailable'],
    ['55000', 'unavailable'],
    ['58030', 'unavailable'],
    ['08006', 'unavailable'],
    ['57P01', 'unavailable'],
    ['53100', 'unavailable'],
    ['42501', 'unavailable'],
    ['XX000', 'unavailable'],
    ['', 'unavailable'],
  ])('SQLSTATE %s is %s', (code, cls) => {
    expect(classifyWriteError(Object.assign(new Error('x'), code ? { code } : {}))).toBe(cls);
  });
});
