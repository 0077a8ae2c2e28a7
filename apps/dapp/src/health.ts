import type { Database } from './adapters/postgres/database.ts';
import type { Metrics } from './metrics.ts';
import type { Cache, DependencyState } from './ports/cache.ts';

export interface Readiness {
  ready: boolean;
  shuttingDown: boolean;
  dependencies: {
    database: DependencyState;
    cache: DependencyState;
    objectStore: DependencyState;
  };
}

/**
 * What /readyz reports. Only the database decides readiness: a replica that cannot reach the system of
 * record must leave the load balancer, while a lost cache (slower) or object store (documents only)
 * leaves the instance useful, so they are reported as degraded without taking it out of service.
 */
export class Health {
  private shuttingDown = false;
  private objectStore: DependencyState = 'up';
  private lastDbCheck = 0;
  private lastDbState: DependencyState = 'down';
  private inFlightCheck: Promise<DependencyState> | undefined;

  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly metrics: Metrics,
    /** Probes hitting many replicas at once would each cost a query; reuse a result this fresh. */
    private readonly dbCheckMaxAgeMs = 500,
  ) {}

  beginShutdown(): void {
    this.shuttingDown = true;
    this.metrics.ready.set(0);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Called by the database wrapper on every success or connection failure. */
  databaseObserved(state: DependencyState): void {
    this.lastDbState = state;
    this.metrics.dependencyUp.set({ dependency: 'database' }, state === 'up' ? 1 : 0);
  }

  objectStoreObserved(ok: boolean): void {
    this.objectStore = ok ? 'up' : 'down';
    this.metrics.dependencyUp.set({ dependency: 'object_store' }, ok ? 1 : 0);
  }

  private async checkDatabase(): Promise<DependencyState> {
    if (Date.now() - this.lastDbCheck < this.dbCheckMaxAgeMs) return this.lastDbState;
    this.inFlightCheck ??= this.db
      .ping(2000)
      .then(
        () => 'up' as const,
        () => 'down' as const,
      )
      .then((state) => {
        this.lastDbCheck = Date.now();
        this.databaseObserved(state);
        this.inFlightCheck = undefined;
        return state;
      });
    return this.inFlightCheck;
  }

  async readiness(): Promise<Readiness> {
    const database = await this.checkDatabase();
    const cacheUp = this.cache.state() === 'up';
    this.metrics.dependencyUp.set({ dependency: 'cache' }, cacheUp ? 1 : 0);
    const ready = !this.shuttingDown && database === 'up';
    this.metrics.ready.set(ready ? 1 : 0);
    return {
      ready,
      shuttingDown: this.shuttingDown,
      dependencies: {
        database,
        cache: cacheUp ? 'up' : 'degraded',
        objectStore: this.objectStore === 'up' ? 'up' : 'degraded',
      },
    };
  }
}
