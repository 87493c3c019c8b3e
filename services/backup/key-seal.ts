/**
 * The service key in a backup. Without it a restored database is useless (device secrets are HMACs keyed with it,
 * camera passwords are encrypted with it), but stored beside the dump it would undo that encryption for anyone who
 * gets the backup. So it is written only when the operator gives a passphrase, sealed with AES-256-GCM under a key
 * derived by scrypt (N=2^17: ~0.3 s and 128 MiB per guess); otherwise the backup records only its fingerprint.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';

const KDF = { N: 131072, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;

export interface SealedKey {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  key: string;
}

/** Names the key without revealing it: a restore checks that the key it will run with is the one the data needs. */
export const keyFingerprint = (key: Buffer): string => createHash('sha256').update('smartward-service-key\0').update(key).digest('hex').slice(0, 16);

export function sealKey(key: Buffer, passphrase: string): SealedKey {
  if (passphrase.length < 12) throw new Error('the backup passphrase must have at least 12 characters');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32, KDF), iv);
  const sealed = Buffer.concat([c.update(key), c.final()]);
  return {
    kdf: 'scrypt',
    N: KDF.N,
    r: KDF.r,
    p: KDF.p,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    key: sealed.toString('base64'),
  };
}

export function unsealKey(s: SealedKey, passphrase: string): Buffer {
  const kek = scryptSync(passphrase, Buffer.from(s.salt, 'base64'), 32, { N: s.N, r: s.r, p: s.p, maxmem: KDF.maxmem });
  const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(s.iv, 'base64'));
  d.setAuthTag(Buffer.from(s.tag, 'base64'));
  try {
    return Buffer.concat([d.update(Buffer.from(s.key, 'base64')), d.final()]);
  } catch {
    throw new Error('wrong backup passphrase (the sealed service key does not open)');
  }
}
