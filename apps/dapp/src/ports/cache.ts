import type { DependencyState } from './dependency-observer.ts';

/**
 * The cache port. A cache is never the system of record: every method must resolve (never reject) so a
 * cache outage costs latency, not availability. Implementations report their failures and their state
 * changes to a DependencyObserver.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Resolves false when the value could not be stored (the cache is unreachable). */
  set(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Counts a hit against a fixed window and returns the count in the window (`get` of the key reads it
   * too, as a decimal string), or undefined when the cache cannot answer (rate limiting then fails open: the limit protects the service, it must not take it down).
   */
  increment(key: string, windowSeconds: number): Promise<number | undefined>;
  state(): DependencyState;
  /**
   * Asks the cache itself whether it answers within `timeoutMs` (the background health check), updates
   * state() from the answer and resolves with it: a cache that is connected but hangs is not used until it
   * answers again.
   */
  check(timeoutMs: number): Promise<DependencyState>;
  close(): Promise<void>;
}
