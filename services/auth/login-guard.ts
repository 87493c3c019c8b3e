/**
 * What stands between the login route and scrypt:
 * - a gate that lets `concurrency` password hashes run at once and `queue` wait. scrypt runs on libuv's four-thread
 *   pool, which file reads, sharp and DNS share: 32 logins at once held every thread for seconds and snapshot reads
 *   waited 6.5 s behind them (BENCHMARKS.md "Security drills"). Beyond the queue a login is refused at once (503).
 * - failure counters per username and per client address over a sliding window; past the limit that username, or
 *   that address, is locked for the window. A locked login is refused before any hash runs, so a guessing client
 *   costs the service nothing. A success clears the username's counter (not the address's: one right password
 *   must not reset a spray from that address).
 * Both live in this process: one API process per deployment today (README "Security").
 */
import { AppError } from '../common/errors.ts';

export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly queue: number;

  constructor(concurrency: number, queue: number) {
    this.concurrency = concurrency;
    this.queue = queue;
  }

  get busy(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) {
        throw new AppError(
          'LOGIN_BUSY',
          503,
          'Hệ thống đang bận xử lý đăng nhập, vui lòng thử lại sau giây lát. / Too many logins at once; try again in a few seconds.',
          { retryAfterS: 2 },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` never drops below the concurrency while any wait.
      if (next) next();
      else this.running--;
    }
  }
}

interface Window {
  failures: number[];
  lockedUntil: number;
}

export interface ThrottleOptions {
  userMaxFailures: number;
  addressMaxFailures: number;
  windowMs: number;
  now?: () => number;
  /** Most usernames and addresses tracked; the oldest are forgotten first (a spray of random names cannot fill memory). */
  maxTracked?: number;
}

export class LoginThrottle {
  private readonly users = new Map<string, Window>();
  private readonly addresses = new Map<string, Window>();
  private readonly o: Required<ThrottleOptions>;

  constructor(o: ThrottleOptions) {
    this.o = { now: Date.now, maxTracked: 100_000, ...o };
  }

  /** Throws 429 (with the seconds to wait) when the username or the address is locked. */
  check(username: string, address: string): void {
    const now = this.o.now();
    for (const [map, key, who] of [
      [this.users, username, 'user'],
      [this.addresses, address, 'address'],
    ] as const) {
      const w = map.get(key);
      if (w && w.lockedUntil > now) {
        const retryAfterS = Math.ceil((w.lockedUntil - now) / 1000);
        throw new AppError(
          'LOGIN_LOCKED',
          429,
          who === 'user'
            ? `Tài khoản tạm khoá do đăng nhập sai nhiều lần; thử lại sau ${retryAfterS} giây. / Too many failed logins for this account; try again in ${retryAfterS} s.`
            : `Địa chỉ này đăng nhập sai quá nhiều lần; thử lại sau ${retryAfterS} giây. / Too many failed logins from this address; try again in ${retryAfterS} s.`,
          { retryAfterS, locked: who },
        );
      }
    }
  }

  /** Records a failure; returns what became locked by it (for the log and the audit row). */
  failed(username: string, address: string): { userLocked: boolean; addressLocked: boolean } {
    return {
      userLocked: this.bump(this.users, username, this.o.userMaxFailures),
      addressLocked: this.bump(this.addresses, address, this.o.addressMaxFailures),
    };
  }

  succeeded(username: string): void {
    this.users.delete(username);
  }

  /** admin:reset and an administrator re-enabling a user clear the username's lock. */
  clearUser(username: string): void {
    this.users.delete(username);
  }

  private bump(map: Map<string, Window>, key: string, max: number): boolean {
    const now = this.o.now();
    const w = map.get(key) ?? { failures: [], lockedUntil: 0 };
    map.delete(key);
    map.set(key, w); // most recently touched last: the eviction below drops the stalest
    w.failures = w.failures.filter((t) => now - t < this.o.windowMs);
    w.failures.push(now);
    let locked = false;
    if (w.failures.length >= max && w.lockedUntil <= now) {
      w.lockedUntil = now + this.o.windowMs;
      w.failures = [];
      locked = true;
    }
    while (map.size > this.o.maxTracked) map.delete(map.keys().next().value as string);
    return locked;
  }
}
