import type { Cache } from './ports/cache.ts';

/** What a limit says about one more request. */
export interface Verdict {
  allowed: boolean;
  /** Whole seconds until a request would be allowed again (at least 1 when refused). */
  retryAfterSeconds: number;
}

/**
 * At most `limit` hits per `windowSeconds` for each id, counted in the cache so that every replica shares
 * the count: a sliding window, estimated from two fixed-window counters (the previous window's count,
 * weighted by how much of it still lies within the last `windowSeconds`, plus the current one's). A
 * fixed window alone lets twice the limit through across a boundary; this never lets through more than
 * the limit plus the estimate's error, and needs no per-hit storage. Without a cache answer there is no
 * verdict: a limit protects the service and must not take it down (the Cache port's increment).
 */
export class SlidingWindowLimit {
  constructor(
    private readonly cache: Cache,
    private readonly prefix: string,
    readonly limit: number,
    private readonly windowSeconds = 60,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a hit for `id` and judges it. */
  async hit(id: string): Promise<Verdict | undefined> {
    const { window, elapsed } = this.position();
    // Each counter lives two windows: through its own, and through the next, where it is the previous one.
    const [current, previous] = await Promise.all([
      this.cache.increment(this.key(id, window), 2 * this.windowSeconds),
      this.cache.get(this.key(id, window - 1)),
    ]);
    if (current === undefined) return undefined;
    return this.judge(Number(previous ?? 0), current, elapsed, this.limit);
  }

  /** Judges one more hit for `id` without counting it. */
  async peek(id: string): Promise<Verdict | undefined> {
    const { window, elapsed } = this.position();
    const [current, previous] = await Promise.all([
      this.cache.get(this.key(id, window)),
      this.cache.get(this.key(id, window - 1)),
    ]);
    return this.judge(Number(previous ?? 0), Number(current ?? 0) + 1, elapsed, this.limit);
  }

  private key(id: string, window: number): string {
    return `${this.prefix}:${id}:${window}`;
  }

  private position(): { window: number; elapsed: number } {
    const seconds = this.now() / 1000;
    const window = Math.floor(seconds / this.windowSeconds);
    return { window, elapsed: (seconds - window * this.windowSeconds) / this.windowSeconds };
  }

  /** `current` includes the hit being judged; `elapsed` is the fraction of the current window gone. */
  private judge(previous: number, current: number, elapsed: number, limit: number): Verdict {
    if (previous * (1 - elapsed) + current <= limit) return { allowed: true, retryAfterSeconds: 0 };
    // When the previous window's weight has fallen enough, or, if the current window alone is over the
    // limit, when it has become the previous one and decayed as far.
    const fraction = current <= limit ? 1 - (limit - current) / previous : 1 + (1 - limit / current);
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((fraction - elapsed) * this.windowSeconds)),
    };
  }
}
