/**
 * Token bucket per key (source address, device id): refills `ratePerSec`, holds at most `burst`.
 * Memory is bounded: at most `maxKeys` buckets; past it, full buckets are pruned (at most once a second, so a flood of
 * new keys cannot turn every call into a scan) and then the oldest are dropped. A dropped key starts again with a full
 * bucket, which errs on the side of letting a legitimate sender through.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerSec: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private prunedAt = 0;

  constructor(ratePerSec: number, burst: number, now: () => number = Date.now, maxKeys = 100_000) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.now = now;
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): boolean {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: t };
      if (this.buckets.size >= this.maxKeys) this.makeRoom(t);
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets a key (e.g. a device whose session ended). */
  delete(key: string): void {
    this.buckets.delete(key);
  }

  private makeRoom(t: number): void {
    if (t - this.prunedAt >= 1000) {
      this.prunedAt = t;
      // Buckets that have refilled completely carry no information.
      for (const [k, b] of this.buckets) {
        if (b.tokens + ((t - b.at) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(k);
      }
    }
    // Still full: drop the oldest-inserted tenth (Map iteration is insertion order).
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.max(1, Math.floor(this.maxKeys / 10));
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }
}
