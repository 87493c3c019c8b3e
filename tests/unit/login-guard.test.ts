import { describe, expect, it } from 'vitest';
import type { AppError } from '../../services/common/errors.ts';
import { HashGate, LoginThrottle } from '../../services/auth/login-guard.ts';

const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as AppError).code;
  }
};

describe('password hash gate', () => {
  it('runs at most `concurrency` hashes at once and refuses beyond the queue', async () => {
    const gate = new HashGate(2, 3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = (): Promise<void> =>
      gate.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      });
    const jobs = Array.from({ length: 5 }, job);
    await Promise.resolve();
    expect(gate.busy).toEqual({ running: 2, waiting: 3 });
    await expect(gate.run(async () => 1)).rejects.toMatchObject({ code: 'LOGIN_BUSY', statusCode: 503 });
    while (releases.length || running) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(jobs);
    expect(peak).toBe(2);
    expect(gate.busy).toEqual({ running: 0, waiting: 0 });
  });

  it('frees its slot when a hash throws', async () => {
    const gate = new HashGate(1, 0);
    await expect(
      gate.run(async () => {
        throw new Error('scrypt failed');
      }),
    ).rejects.toThrow('scrypt failed');
    await expect(gate.run(async () => 'ok')).resolves.toBe('ok');
  });
});

describe('login throttle', () => {
  it('locks a username after its failures, from any address, for the window', () => {
    let now = 1_000_000;
    const t = new LoginThrottle({ userMaxFailures: 3, addressMaxFailures: 100, windowMs: 60_000, now: () => now });
    t.failed('admin', '10.0.0.1');
    t.failed('admin', '10.0.0.2');
    expect(codeOf(() => t.check('admin', '10.0.0.3'))).toBeNull();
    expect(t.failed('admin', '10.0.0.3').userLocked).toBe(true);
    expect(codeOf(() => t.check('admin', '10.0.0.9'))).toBe('LOGIN_LOCKED');
    expect(codeOf(() => t.check('operator', '10.0.0.1'))).toBeNull();
    now += 60_001;
    expect(codeOf(() => t.check('admin', '10.0.0.9'))).toBeNull();
  });

  it('locks an address spraying many usernames, and a success does not reset the address', () => {
    const now = 5_000;
    const t = new LoginThrottle({ userMaxFailures: 100, addressMaxFailures: 4, windowMs: 60_000, now: () => now });
    for (const u of ['a', 'b', 'c']) t.failed(u, '198.51.100.7');
    t.succeeded('d');
    expect(t.failed('e', '198.51.100.7').addressLocked).toBe(true);
    expect(codeOf(() => t.check('anyone', '198.51.100.7'))).toBe('LOGIN_LOCKED');
    expect(codeOf(() => t.check('anyone', '198.51.100.8'))).toBeNull();
  });

  it('forgets failures older than the window, and bounds what it tracks', () => {
    let now = 0;
    const t = new LoginThrottle({ userMaxFailures: 2, addressMaxFailures: 1000, windowMs: 1000, now: () => now, maxTracked: 10 });
    t.failed('admin', 'x');
    now = 1500;
    expect(t.failed('admin', 'x').userLocked).toBe(false);
    for (let i = 0; i < 50; i++) t.failed(`spray-${i}`, `a${i}`);
    expect((t as unknown as { users: Map<string, unknown> }).users.size).toBeLessThanOrEqual(10);
  });
});
