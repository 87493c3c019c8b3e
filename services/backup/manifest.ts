/** manifest.json of a backup folder: what it holds, counted and checksummed, so a restore can prove it kept everything. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DbFlavour } from '../db/db.ts';
import type { FileEntry } from './data-files.ts';
import type { SealedKey } from './key-seal.ts';

export const MANIFEST = 'manifest.json';
export const SEALED_KEY_FILE = 'secret-key.sealed.json';

export interface Manifest {
  format: 'smartward-backup';
  version: 1;
  createdAt: string;
  /** Taken from a running service (online) or from a stopped one's data folder. */
  online: boolean;
  database: {
    flavour: DbFlavour;
    /** database.pgdump (pg_dump custom format) or database.tar.gz (the embedded data folder). */
    file: string;
    bytes: number;
    sha256: string;
    serverVersion: string;
    timescaleVersion: string | null;
    schemaVersion: number | null;
    /** Exact row counts per table, taken in the same snapshot as the dump. */
    tables: Record<string, number>;
  };
  files: FileEntry[];
  key: { fingerprint: string | null; sealed: boolean; source: 'config' | 'file' | 'none' };
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
}

export async function readManifest(dir: string): Promise<Manifest> {
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (err) {
    throw new Error(`${dir} is not a smart-ward backup (cannot read ${MANIFEST}: ${(err as Error).message})`);
  }
  if (m.format !== 'smartward-backup' || m.version !== 1) throw new Error(`${dir}: unsupported backup format ${String(m.format)} v${String(m.version)}`);
  return m;
}

export async function readSealedKey(dir: string): Promise<SealedKey> {
  return JSON.parse(await readFile(path.join(dir, SEALED_KEY_FILE), 'utf8')) as SealedKey;
}

export const totalRows = (tables: Record<string, number>): number => Object.values(tables).reduce((s, n) => s + n, 0);
