import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../services/broker/rate-limiter.ts';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const takeN = (l: RateLimiter, key: string, n: number): boolean[] => Array.from({ length: n }, () => l.take(key));

describe('RateLimiter', () => {
  it('allows a full burst at once, then refuses', () => {
    const clock = fakeClock();
    const l = new RateLimiter(2, 5, clock.now);
    expect(takeN(l, 'a', 5)).toEqual([true, true, true, true, true]);
    expect(l.take('a')).toBe(false);
  });

  it('refills at the configured rate', () => {
    const clock = fakeClock();
    const l = new RateLimiter(2, 5, clock.now); // one token per 500 ms
    takeN(l, 'a', 5);
    clock.advance(499);
    expect(l.take('a')).toBe(false);
    clock.advance(1);
    expect(l.take('a')).toBe(true);
    expect(l.take('a')).toBe(false);
    clock.advance(1500);
    expect(takeN(l, 'a', 4)).toEqual([true, true, true, false]);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = fakeClock();
    const l = new RateLimiter(10, 3, clock.now);
    takeN(l, 'a', 3);
    clock.advance(3_600_000);
    expect(takeN(l, 'a', 4)).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per key', () => {
    const clock = fakeClock();
    const l = new RateLimiter(1, 2, clock.now);
    expect(takeN(l, '10.0.0.1', 3)).toEqual([true, true, false]);
    expect(takeN(l, '10.0.0.2', 2)).toEqual([true, true]);
  });

  it('does not count refused attempts against the bucket', () => {
    const clock = fakeClock();
    const l = new RateLimiter(1, 1, clock.now);
    l.take('a');
    takeN(l, 'a', 10); // all refused
    clock.advance(1000);
    expect(l.take('a')).toBe(true);
  });
});
