import type { Metrics } from './metrics.ts';
import type { Cache } from './ports/cache.ts';
import type { Dependency, DependencyObserver, DependencyState } from './ports/dependency-observer.ts';
import type { ObjectStore } from './ports/object-store.ts';

export interface Readiness {
  ready: boolean;
  shuttingDown: boolean;
  dependencies: {
    database: DependencyState;
    cache: DependencyState;
    objectStore: DependencyState;
  };
}

export interface HealthCheckOptions {
  intervalMs: number;
  timeoutMs: number;
}

/**
 * One dependency's background probe: bounded by the timeout, and never more than one in flight, so a
 * dependency that hangs (a black-holed network, a stopped process) costs one pending request, not one per
 * round; while it still hangs, the dependency counts as down.
 */
class Probe {
  private inFlight: Promise<unknown> | undefined;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly timeoutMs: number,
  ) {}

  async run(): Promise<boolean> {
    if (this.inFlight) return false;
    const attempt = this.probe().finally(() => {
      this.inFlight = undefined;
    });
    this.inFlight = attempt;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeoutMs);
    });
    try {
      return await Promise.race([
        attempt.then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the background checks ask each dependency. */
export interface HealthCheckTargets {
  database: { probe(timeoutMs: number): Promise<void> };
  cache: Cache;
  objectStore: ObjectStore;
}

/**
 * What /readyz reports, and the dependency gauges and counters. Adapters report what they see through the
 * observers this hands out (one DependencyObserver per dependency), and every replica checks its
 * dependencies in the background on a fixed interval, so both stay true without traffic: an idle replica
 * that lost its database leaves the load balancer and fires DalpDatabaseDown like a busy one. This class
 * is the only writer of `dalp_dependency_up`, `dalp_ready` and the dependency error counters.
 *
 * Only the database decides readiness: a replica that cannot reach the system of record must leave the
 * load balancer, while a lost cache (slower) or object store (documents only) leaves the instance useful,
 * so they are reported as degraded without taking it out of service.
 */
export class Health {
  private shuttingDown = false;
  private readonly states: Record<Dependency, DependencyState> = {
    database: 'down',
    cache: 'down',
    object_store: 'up',
  };
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly metrics: Metrics,
    private readonly options: HealthCheckOptions,
  ) {}

  /** The observer a dependency's adapter reports to. */
  observer(dependency: Dependency): DependencyObserver {
    return {
      up: () => this.observed(dependency, 'up'),
      down: () => this.observed(dependency, 'down'),
      failed: (operation) => this.failed(dependency, operation),
    };
  }

  private observed(dependency: Dependency, state: DependencyState): void {
    this.states[dependency] = state;
    this.metrics.dependencyUp.set({ dependency }, state === 'up' ? 1 : 0);
    if (dependency === 'database') this.metrics.ready.set(this.isReady() ? 1 : 0);
  }

  private failed(dependency: Dependency, operation: string): void {
    switch (dependency) {
      case 'database':
        this.metrics.dbConnectionErrors.inc();
        break;
      case 'cache':
        this.metrics.cacheErrors.inc();
        break;
      case 'object_store':
        this.metrics.objectStoreErrors.inc({ operation });
        break;
    }
  }

  /** Checks every dependency now, then every intervalMs until stop(). */
  async start(targets: HealthCheckTargets): Promise<void> {
    const { timeoutMs } = this.options;
    const probes = {
      database: new Probe(() => targets.database.probe(timeoutMs), timeoutMs),
      cache: new Probe(async () => {
        if ((await targets.cache.check(timeoutMs)) !== 'up') throw new Error('cache down');
      }, timeoutMs),
      objectStore: new Probe(() => targets.objectStore.ping(), timeoutMs),
    };
    const checkAll = async () => {
      const [database, , objectStore] = await Promise.all([
        probes.database.run(),
        probes.cache.run(),
        probes.objectStore.run(),
      ]);
      this.observed('database', database ? 'up' : 'down');
      this.observed('object_store', objectStore ? 'up' : 'down');
      // The cache adapter reports its own state changes; the probe made it look again.
      this.observed('cache', targets.cache.state() === 'up' ? 'up' : 'down');
      this.metrics.dependencyChecks.inc();
    };
    await checkAll();
    this.schedule(checkAll);
  }

  private schedule(checkAll: () => Promise<void>): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = checkAll().finally(() => this.schedule(checkAll));
    }, this.options.intervalMs);
    // The checks must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
  }

  beginShutdown(): void {
    this.shuttingDown = true;
    this.metrics.ready.set(0);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private isReady(): boolean {
    return !this.shuttingDown && this.states.database === 'up';
  }

  readiness(): Readiness {
    return {
      ready: this.isReady(),
      shuttingDown: this.shuttingDown,
      dependencies: {
        database: this.states.database,
        cache: this.states.cache === 'up' ? 'up' : 'degraded',
        objectStore: this.states.object_store === 'up' ? 'up' : 'degraded',
      },
    };
  }
}
