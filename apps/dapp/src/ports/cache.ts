/** Health of an outside dependency as the service sees it. */
export type DependencyState = 'up' | 'degraded' | 'down';

/**
 * The cache port. A cache is never the system of record: every method must resolve (never reject) so a
 * cache outage costs latency, not availability. Implementations count their own failures.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Resolves false when the value could not be stored (the cache is unreachable). */
  set(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Counts a hit against a fixed window and returns the count in the window, or undefined when the cache
   * cannot answer (rate limiting then fails open: the limit protects the service, it must not take it down).
   */
  increment(key: string, windowSeconds: number): Promise<number | undefined>;
  state(): DependencyState;
  close(): Promise<void>;
}
