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
    // The hit is counted whether it is allowed or not: a later request comes on top of it.
    return this.judge(Number(previous ?? 0), current, current, elapsed);
  }

  /** Judges one more hit for `id` without counting it. */
  async peek(id: string): Promise<Verdict | undefined> {
    const { window, elapsed } = this.position();
    const [current, previous] = await Promise.all([
      this.cache.get(this.key(id, window)),
      this.cache.get(this.key(id, window - 1)),
    ]);
    // The judged hit is not counted: a later request would be judged with the same count.
    const counted = Number(current ?? 0);
    return this.judge(Number(previous ?? 0), counted + 1, counted, elapsed);
  }

  private key(id: string, window: number): string {
    return `${this.prefix}:${id}:${window}`;
  }

  private get windowMs(): number {
    return this.windowSeconds * 1000;
  }

  /** The current window's number, and the whole milliseconds of it gone. */
  private position(): { window: number; elapsed: number } {
    const ms = Math.floor(this.now());
    const window = Math.floor(ms / this.windowMs);
    return { window, elapsed: ms - window * this.windowMs };
  }

  /**
   * `judged` is the current window's count with the hit being judged; `counted` what the window holds once
   * it is judged (`judged` itself when the hit is counted, one less when it is not); `elapsed` is the
   * milliseconds of the current window gone. When refused, Retry-After is the time after which one more
   * request, counted on top of `counted`, would be allowed: the refused hit is not that request.
   *
   * In whole milliseconds, every side multiplied by the window: in floating point a request sent exactly
   * Retry-After later could still be refused (0.4 - 0.25 is not 0.15), or Retry-After be a second long.
   */
  private judge(previous: number, judged: number, counted: number, elapsed: number): Verdict {
    const { limit, windowMs } = this;
    // previous * (1 - elapsed / windowMs) + judged <= limit
    if (previous * (windowMs - elapsed) + judged * windowMs <= limit * windowMs) {
      return { allowed: true, retryAfterSeconds: 0 };
    }
    const next = counted + 1;
    // The first millisecond `at` (from this window's start) at which the next request is allowed. Within
    // this window, once the previous window's weight has fallen enough: previous * (windowMs - at) <=
    // (limit - next) * windowMs, where previous > 0 (else the hit would have been allowed). Else in the next
    // window, where this window's count is the previous one and the request its first hit:
    // counted * (windowMs - (at - windowMs)) <= (limit - 1) * windowMs.
    const at =
      next <= limit
        ? windowMs - Math.floor(((limit - next) * windowMs) / previous)
        : 2 * windowMs - Math.floor(((limit - 1) * windowMs) / counted);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((at - elapsed) / 1000)) };
  }
}
