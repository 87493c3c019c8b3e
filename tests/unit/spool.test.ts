import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyBatch, type Batch } from '../../services/ingest/batch.ts';
import { Spool, SpoolRefusedError } from '../../services/ingest/spool.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'sw-spool-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function batchOf(bytes: number): Batch {
  const b = emptyBatch();
  b.deadLetters.push({
    receivedAt: '2026-11-21T00:00:00.000Z',
    deviceId: 'x',
    topic: 't',
    reasonCode: 'r',
    reason: 'r',
    payload: 'p'.repeat(bytes),
    payloadSize: bytes,
  });
  return b;
}

describe('Spool', () => {
  it('refuses a batch past SW_SPOOL_MAX_BYTES, counting quarantined batches, and leaves nothing behind', async () => {
    const dir = tmp();
    const spool = new Spool(dir, { maxBytes: 10_000, minFreeBytes: 0 });
    await spool.append(batchOf(4000));
    await spool.append(batchOf(4000));
    await expect(spool.append(batchOf(4000))).rejects.toMatchObject({ reason: 'max_bytes' });
    expect(spool.size).toBe(2);
    spool.quarantine(spool.files()[0]!);
    // Quarantined batches still take disk: still full.
    await expect(spool.append(batchOf(4000))).rejects.toBeInstanceOf(SpoolRefusedError);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(spool.bytes).toBeGreaterThan(4000);
    expect(spool.quarantined.batches).toBe(1);
  });

  it('refuses below the free-disk floor', async () => {
    const spool = new Spool(tmp(), { maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: Number.MAX_SAFE_INTEGER });
    await expect(spool.append(batchOf(10))).rejects.toMatchObject({ reason: 'disk_floor' });
    expect(spool.size).toBe(0);
  });

  it('removes temporary files left by a crash at start, and counts the batches already there', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'poison'), { recursive: true });
    writeFileSync(path.join(dir, '.000000000000001-1-00000000.json.tmp'), '{"telem');
    writeFileSync(path.join(dir, '000000000000002-1-00000000.json'), JSON.stringify(emptyBatch()));
    const spool = new Spool(dir);
    expect(readdirSync(dir).sort()).toEqual(['000000000000002-1-00000000.json', 'poison']);
    expect(spool.size).toBe(1);
  });

  // ENOSPC for real: a 1 MiB tmpfs of the test's own (needs root and mount; said so when it cannot run).
  it('removes its temporary file when the disk is full (ENOSPC) and says why', async () => {
    const mnt = tmp();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      console.warn('[spool] SKIPPED the ENOSPC part: cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const spool = new Spool(mnt, { maxBytes: Number.MAX_SAFE_INTEGER, minFreeBytes: 0 });
      await spool.append(batchOf(600_000));
      const err = await spool.append(batchOf(600_000)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpoolRefusedError);
      expect((err as SpoolRefusedError).reason).toBe('write_error');
      expect((err as Error).message).toContain('ENOSPC');
      expect(readdirSync(mnt).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(spool.size).toBe(1);
    } finally {
      execFileSync('umount', [mnt]);
    }
    expect(existsSync(mnt)).toBe(true);
  });
});
