import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from './logger.ts';

/**
 * One service process per data folder. Two would both open the embedded database (PGlite has no lock of its own and
 * corrupts it), replay each other's spool and race on the secret key. The lock is a kernel lock on an open file
 * (Linux OFD / BSD flock, through the fs-native-extensions addon, prebuilt for Linux, macOS and Windows): the kernel
 * drops it when the process ends in any way, kill -9 included, so no stale lock can block the next start. Works across
 * containers that share a volume on one host; the file says who holds it, for the refusal message.
 */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export interface LockHolder {
  pid?: number;
  host?: string;
  startedAt?: string;
  ports?: Record<string, number>;
}

export class DataDirBusyError extends Error {
  readonly holder: LockHolder;
  constructor(dataDir: string, holder: LockHolder) {
    const who = holder.pid ? `pid ${holder.pid} on ${holder.host ?? 'this host'}, started ${holder.startedAt ?? 'at an unknown time'}` : 'another process';
    super(
      `data folder ${dataDir} is in use by another smartward process (${who}). Two processes on one data folder would ` +
        "corrupt the embedded database and replay each other's spool: stop that one first, or give this one its own SW_DATA_DIR.",
    );
    this.name = 'DataDirBusyError';
    this.holder = holder;
  }
}

interface NativeLocks {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

function nativeLocks(): NativeLocks | Error {
  try {
    return createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  } catch (err) {
    return err as Error;
  }
}

export const LOCK_FILE = 'smartward.lock';

/** Takes the data folder's lock or throws DataDirBusyError naming the holder. */
export function lockDataDir(dataDir: string, log: Logger, about: Omit<LockHolder, 'pid' | 'host' | 'startedAt'> = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  const native = nativeLocks();
  if (native instanceof Error) {
    closeSync(fd);
    return pidFileLock(dataDir, file, log, native);
  }
  if (!native.tryLock(fd)) {
    closeSync(fd);
    throw new DataDirBusyError(dataDir, readHolder(file));
  }
  writeHolder(fd, about);
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      ftruncateSync(fd, 0);
      native.unlock(fd);
      closeSync(fd);
    },
  };
}

function writeHolder(fd: number, about: Omit<LockHolder, 'pid' | 'host' | 'startedAt'>): void {
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), ...about };
  ftruncateSync(fd, 0);
  writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
}

function readHolder(file: string): LockHolder {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return {};
  }
}

/**
 * Where the addon has no build (e.g. musl): a pid file, refused while its process is alive on this host. Weaker (a
 * shared volume seen from another host or container is not covered), and said so in the log.
 */
function pidFileLock(dataDir: string, file: string, log: Logger, why: Error): DataDirLock {
  log.warn({ err: why }, 'no kernel file lock on this platform: the data folder is guarded by a pid file only');
  const holder = readHolder(file);
  if (holder.pid && holder.pid !== process.pid && holder.host === os.hostname() && alive(holder.pid)) throw new DataDirBusyError(dataDir, holder);
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  writeHolder(fd, {});
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      ftruncateSync(fd, 0);
      closeSync(fd);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
