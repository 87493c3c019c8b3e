import type { Logger } from '../common/logger.ts';

/**
 * Refusals are counted in full (metrics) but logged sparingly: an attacker sending 10,000 refused filters once wrote
 * 9,501 log lines. Per key (action + code) at most `perWindow` lines per window; the first line after a quiet window
 * says how many were left out.
 */
export class RefusalLog {
  private readonly log: Logger;
  private readonly windowMs: number;
  private readonly perWindow: number;
  private readonly now: () => number;
  private readonly keys = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(log: Logger, opts: { windowMs?: number; perWindow?: number; now?: () => number } = {}) {
    this.log = log;
    this.windowMs = opts.windowMs ?? 10_000;
    this.perWindow = opts.perWindow ?? 5;
    this.now = opts.now ?? Date.now;
  }

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const t = this.now();
    let k = this.keys.get(key);
    if (!k || t - k.start >= this.windowMs) {
      const suppressed = k?.suppressed ?? 0;
      k = { start: t, logged: 0, suppressed: 0 };
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(key, k);
      if (suppressed > 0) obj = { ...obj, suppressedBefore: suppressed };
    }
    if (k.logged >= this.perWindow) {
      k.suppressed++;
      return;
    }
    k.logged++;
    this.log.warn(obj, msg);
  }
}
