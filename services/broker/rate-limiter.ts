/** Token bucket per key (source address): refills `ratePerSec`, holds at most `burst`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerSec: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(ratePerSec: number, burst: number, now: () => number = Date.now) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.now = now;
  }

  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.prune(t);
    return ok;
  }

  /** Drops buckets that have refilled completely: they carry no information. */
  private prune(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(k);
    }
  }
}
