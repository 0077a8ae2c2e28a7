import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from './adapters/postgres/database.ts';
import { LabelledHistogram } from './labelled-histogram.ts';

/** All Prometheus metrics of one service instance (names are the contract in docs/configuration.md). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new LabelledHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by route template and status code.',
    ['method', 'route', 'status_code'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    this.registry,
  );

  readonly ledgerOperations = new Counter({
    name: 'dalp_ledger_operations_total',
    help: 'Ledger writes by kind and outcome (applied, replayed, rejected, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly ledgerBatchTransfers = new Histogram({
    name: 'dalp_ledger_batch_transfers',
    help: 'Transfers per group-commit batch (the first request of each idempotency key).',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  readonly ledgerBatchRetries = new Counter({
    name: 'dalp_ledger_batch_retries_total',
    help: 'Transfer batches planned again: stale_cache (re-read after a conflict on cached state), conflict (row locks after a conflict on fresh state).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly dependencyUp = new Gauge({
    name: 'dalp_dependency_up',
    help: '1 when the dependency answered its last use or probe, 0 when it failed.',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  readonly dependencyChecks = new Counter({
    name: 'dalp_dependency_checks_total',
    help: 'Completed rounds of the background dependency checks (HEALTH_CHECK_INTERVAL_MS apart); a rate of 0 means the gauges are stale.',
    registers: [this.registry],
  });

  readonly dbConnectionErrors = new Counter({
    name: 'dalp_db_connection_errors_total',
    help: 'Connection-level database failures (outage, failover, restart).',
    registers: [this.registry],
  });

  readonly cacheErrors = new Counter({
    name: 'dalp_cache_errors_total',
    help: 'Cache operations that failed and fell back to PostgreSQL.',
    registers: [this.registry],
  });

  readonly objectStoreErrors = new Counter({
    name: 'dalp_object_store_errors_total',
    help: 'Object storage operations that failed.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly documentUploadsInFlight = new Gauge({
    name: 'dalp_document_uploads_in_flight',
    help: 'Document uploads being received and stored right now.',
    registers: [this.registry],
  });

  readonly ready = new Gauge({
    name: 'dalp_ready',
    help: '1 when the instance reports ready on /readyz.',
    registers: [this.registry],
  });

  private poolStats: () => PoolStats | undefined = () => undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: 'dalp_db_pool_connections',
      help: 'Database pool connections by state.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      // Read at scrape time, so the pool gauges are never stale.
      collect() {
        const s = metrics.poolStats();
        if (!s) return;
        this.set({ state: 'in_use' }, s.total - s.idle);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
  }

  trackPool(stats: () => PoolStats | undefined): void {
    this.poolStats = stats;
  }
}
