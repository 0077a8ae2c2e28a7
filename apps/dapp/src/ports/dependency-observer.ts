/** Health of an outside dependency as the service sees it. */
export type DependencyState = 'up' | 'degraded' | 'down';

/** The outside services every replica depends on (the values of the `dependency` metric label). */
export type Dependency = 'database' | 'cache' | 'object_store';

/**
 * How every adapter reports what it sees of its dependency: one interface for the database, the cache and
 * the object store, implemented once (health.ts), which is the only writer of the dependency gauges and
 * counters. Adapters call it; they never touch metrics or readiness themselves.
 */
export interface DependencyObserver {
  /** The dependency answered: a use that succeeded, or a connection that became ready. */
  up(): void;
  /** The dependency is not there: a connection lost or refused, a use that failed on it. */
  down(): void;
  /**
   * One operation failed and is counted (dalp_db_connection_errors_total, dalp_cache_errors_total,
   * dalp_object_store_errors_total{operation}). Whether the dependency is down is said by up() and down().
   */
  failed(operation: string, error: unknown): void;
}

/** An observer that reports nowhere, for adapters used outside a running service (tests, tools). */
export const UNOBSERVED: DependencyObserver = {
  up: () => undefined,
  down: () => undefined,
  failed: () => undefined,
};
