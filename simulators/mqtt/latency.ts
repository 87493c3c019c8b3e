/**
 * Publish→PUBACK latency, recorded cheaply enough for tens of thousands of samples per second: a log-linear histogram
 * (8 sub-buckets per power of two, so any percentile is within ~9 % of the true value) rather than a list of samples.
 */
/** Anything that takes latency samples: a histogram, or several at once (a run's total and its progress window). */
export interface LatencySink {
  record(ms: number): void;
}

const SUB = 8;
/** Up to 2^24 ms (~4.6 h): far beyond any PUBACK timeout. */
const MAX_EXP = 24;

/** Bucket index for a latency in ms: 0 holds < 1 ms; then 8 linear buckets per power of two. */
function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  const exp = Math.min(MAX_EXP - 1, Math.floor(Math.log2(ms)));
  const base = 2 ** exp;
  const sub = Math.min(SUB - 1, Math.floor(((ms - base) / base) * SUB));
  return 1 + exp * SUB + sub;
}

/** Upper edge of a bucket, in ms: what a percentile reports (never optimistic). */
function upperEdge(bucket: number): number {
  if (bucket === 0) return 1;
  const exp = Math.floor((bucket - 1) / SUB);
  const sub = (bucket - 1) % SUB;
  const base = 2 ** exp;
  return base + ((sub + 1) * base) / SUB;
}

export class LatencyHistogram implements LatencySink {
  private counts = new Float64Array(1 + MAX_EXP * SUB);
  private n = 0;
  private sum = 0;
  private maxMs = 0;

  record(ms: number): void {
    const i = bucketOf(ms);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
    this.sum += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxMs;
  }

  get mean(): number {
    return this.n ? this.sum / this.n : 0;
  }

  /** The latency p (0..1) of the samples are at or under, to the bucket's upper edge; 0 with no samples. */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(upperEdge(i), this.maxMs);
    }
    return this.maxMs;
  }

  /** Adds another histogram's samples (several load processes report one latency distribution). */
  merge(other: LatencyHistogram): this {
    other.counts.forEach((c, i) => (this.counts[i] = (this.counts[i] ?? 0) + c));
    this.n += other.n;
    this.sum += other.sum;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.sum = 0;
    this.maxMs = 0;
  }

  /** Plain data, to send between processes (a bench's load client reports to its orchestrator). */
  toJSON(): { counts: number[]; n: number; sum: number; max: number } {
    return { counts: Array.from(this.counts), n: this.n, sum: this.sum, max: this.maxMs };
  }

  static fromJSON(j: { counts: number[]; n: number; sum: number; max: number }): LatencyHistogram {
    const h = new LatencyHistogram();
    h.counts = Float64Array.from(j.counts);
    h.n = j.n;
    h.sum = j.sum;
    h.maxMs = j.max;
    return h;
  }
}
