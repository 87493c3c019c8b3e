/** The service key as a backup or restore sees it: read, never generated (services/common/crypto.ts generates it at start). */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CurrentKey {
  key: Buffer | null;
  source: 'config' | 'file' | 'none';
}

export const keyFile = (dataDir: string): string => path.join(dataDir, 'secret.key');

export function currentKey(configured: string, dataDir: string): CurrentKey {
  if (configured) return { key: Buffer.from(configured, 'hex'), source: 'config' };
  const file = keyFile(dataDir);
  if (existsSync(file)) return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'), source: 'file' };
  return { key: null, source: 'none' };
}

export async function writeKeyFile(dataDir: string, key: Buffer): Promise<void> {
  const file = keyFile(dataDir);
  await writeFile(file, key.toString('hex'), { mode: 0o600 });
  await chmod(file, 0o600);
}
