import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { MemoryCache } from './adapters/cache/memory.ts';
import { FilesystemObjectStore } from './adapters/object-store/filesystem.ts';
import { ObservedObjectStore } from './adapters/object-store/observed.ts';
import { Database, poolConfig } from './adapters/postgres/database.ts';
import type { EmbeddedDatabase } from './adapters/postgres/embedded.ts';
import { migrate } from './adapters/postgres/migrate.ts';
import type { Config } from './config.ts';
import { Health } from './health.ts';
import { Metrics } from './metrics.ts';
import type { Cache } from './ports/cache.ts';
import type { DependencyObserver } from './ports/dependency-observer.ts';
import type { ObjectStore } from './ports/object-store.ts';
import { ReadCache } from './read-cache.ts';
import { ApiKeyStore, generateKey } from './store/api-keys.ts';
import { AssetStore } from './store/assets.ts';
import { DocumentStore } from './store/documents.ts';
import { InvestorStore } from './store/investors.ts';
import { LedgerStore } from './store/ledger/index.ts';
import { PurgeQueueStore } from './store/purge-queue.ts';
import { ReconcileStore } from './store/reconcile.ts';
import { SessionStore } from './store/sessions.ts';
import { ApiKeys } from './use-cases/api-keys.ts';
import { Assets } from './use-cases/assets.ts';
import { Documents } from './use-cases/documents.ts';
import { LedgerWrites } from './use-cases/ledger-writes.ts';
import { DocumentPurge } from './use-cases/purge-documents.ts';
import { Reconcile } from './use-cases/reconcile.ts';

/**
 * Everything a running instance holds, wired once here: adapters behind their ports, stores, the use cases
 * routes call, the read cache, health and metrics.
 */
export interface Runtime {
  config: Config;
  db: Database;
  cache: Cache;
  /** The object store, reporting every use to health. */
  objectStore: ObservedObjectStore;
  metrics: Metrics;
  health: Health;
  stores: {
    assets: AssetStore;
    investors: InvestorStore;
    ledger: LedgerStore;
    documents: DocumentStore;
    apiKeys: ApiKeyStore;
    sessions: SessionStore;
  };
  /** What the routes call when a request is more than one store's read or write. */
  useCases: {
    apiKeys: ApiKeys;
    assets: Assets;
    ledger: LedgerWrites;
    documents: Documents;
    /** The books check (docs/reconcile.md). */
    reconcile: Reconcile;
    /** The deferred deletion of deleted documents' bytes. */
    purge: DocumentPurge;
  };
  /** Cached API reads shared by all replicas through the cache, invalidated by the use cases. */
  reads: ReadCache;
  /** Set when this start generated the embedded admin key (to be shown once), or where it is kept. */
  adminKey?: { generated: boolean; key?: string; path: string };
  /** The embedded PostgreSQL, when no database is configured: where its files are and why there. */
  embedded?: { dataDirectory: string; relocatedBecause?: string };
  /** Runs the purge every DOCUMENT_PURGE_INTERVAL_MS until close (a serving replica; not `dapp migrate`). */
  startBackgroundPurge(): void;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  cache?: Cache;
  objectStore?: ObjectStore;
}

async function createCache(
  config: Config,
  observer: DependencyObserver,
  log: FastifyBaseLogger,
): Promise<Cache> {
  if (config.cache.url.startsWith('memory://') && !config.cache.sentinels) return new MemoryCache();
  const { RedisCache } = await import('./adapters/cache/redis.ts');
  return new RedisCache(config.cache, observer, log);
}

async function createObjectStore(config: Config): Promise<ObjectStore> {
  const store = config.objectStore;
  switch (store.driver) {
    case 'filesystem':
      return FilesystemObjectStore.open(resolve(config.dataDir));
    case 's3': {
      const { S3ObjectStore } = await import('./adapters/object-store/s3.ts');
      return S3ObjectStore.create(store);
    }
    case 'azure': {
      const { AzureBlobObjectStore } = await import('./adapters/object-store/azure.ts');
      return AzureBlobObjectStore.create(store);
    }
  }
}

/** The embedded admin key: created once, kept in the data dir (mode 600), shown once. */
async function embeddedAdminKey(dataDir: string): Promise<NonNullable<Runtime['adminKey']>> {
  const path = join(resolve(dataDir), 'admin-api-key');
  if (existsSync(path)) return { generated: false, key: (await readFile(path, 'utf8')).trim(), path };
  const key = generateKey();
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  return { generated: true, key, path };
}

export async function createRuntime(
  config: Config,
  log: FastifyBaseLogger,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  const metrics = new Metrics();
  // Every adapter reports to health through its observer; health writes the gauges and counters.
  const health = new Health(metrics, config.healthCheck);
  let embedded: EmbeddedDatabase | undefined;
  const external = config.database.external;
  if (!external) {
    log.info({ dataDir: resolve(config.dataDir) }, 'no database configured: starting embedded PostgreSQL');
    // Loaded only when used: the embedded server's package must not touch production processes.
    const { startEmbeddedPostgres } = await import('./adapters/postgres/embedded.ts');
    const embeddedLog = log.child({ component: 'embedded-postgres' });
    embedded = await startEmbeddedPostgres(config.dataDir, {
      httpPort: config.port,
      log: {
        debug: (m) => embeddedLog.debug(m),
        info: (m) => embeddedLog.info(m),
        warn: (m) => embeddedLog.warn(m),
        error: (m) => embeddedLog.error(m),
      },
    });
  }
  const connection = external ?? {
    connectionString: embedded!.connectionString,
    port: 0,
    sslMode: 'disable' as const,
  };

  const db = new Database(poolConfig(config.database, connection), health.observer('database'), log);
  metrics.trackPool(() => db.stats());

  const cache = overrides.cache ?? (await createCache(config, health.observer('cache'), log));
  const objectStore = new ObservedObjectStore(
    overrides.objectStore ?? (await createObjectStore(config)),
    health.observer('object_store'),
  );

  // Transfers of clients that went away while queued still complete (or fail) before the pool closes.
  const ledger = new LedgerStore(db, {
    batch: (transfers) => metrics.ledgerBatchTransfers.observe(transfers),
    retried: (reason) => metrics.ledgerBatchRetries.inc({ reason }),
  });
  let purgeTimer: NodeJS.Timeout | undefined;
  let purging: Promise<unknown> = Promise.resolve();
  const closeAll = async () => {
    clearInterval(purgeTimer);
    await purging;
    await health.stop();
    await ledger.drain();
    await cache.close().catch(() => undefined);
    await objectStore.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
  };

  try {
    if (config.migrateOnStart) {
      const result = await migrate(db.pool);
      if (result.applied.length > 0) log.info({ applied: result.applied }, 'database migrations applied');
    }
    await health.start({ database: db, cache, objectStore });
    const apiKeys = new ApiKeyStore(db);
    let adminKey: Runtime['adminKey'];
    if (config.bootstrapAdminKey) {
      await apiKeys.ensureBootstrap(config.bootstrapAdminKey);
    } else if (embedded) {
      adminKey = await embeddedAdminKey(config.dataDir);
      await apiKeys.ensureBootstrap(adminKey.key!);
    }
    const stores = {
      assets: new AssetStore(db),
      investors: new InvestorStore(db),
      ledger,
      documents: new DocumentStore(db),
      apiKeys,
      sessions: new SessionStore(db),
    };
    const reads = new ReadCache(cache, config.cache.ttlSeconds);
    const purge = new DocumentPurge(
      new PurgeQueueStore(db),
      objectStore.unobserved,
      config.documentPurgeAfterHours,
    );
    const purgeLog = log.child({ component: 'document-purge' });
    return {
      config,
      db,
      cache,
      objectStore,
      metrics,
      health,
      stores,
      useCases: {
        apiKeys: new ApiKeys(apiKeys, config.apiKeyCacheMs),
        assets: new Assets(stores.assets, reads),
        ledger: new LedgerWrites(ledger, reads, (kind, outcome) =>
          metrics.ledgerOperations.inc({ kind, outcome }),
        ),
        documents: new Documents(
          stores.documents,
          objectStore,
          objectStore.unobserved,
          config.documentMaxBytes,
          metrics.documentUploadsInFlight,
        ),
        reconcile: new Reconcile(new ReconcileStore(db), objectStore),
        purge,
      },
      reads,
      adminKey,
      embedded: embedded && {
        dataDirectory: embedded.dataDirectory,
        relocatedBecause: embedded.relocatedBecause,
      },
      startBackgroundPurge() {
        if (purgeTimer) return;
        purgeTimer = setInterval(() => {
          purging = purge
            .run(purgeLog)
            .then((r) => {
              if (r.purged > 0 || r.failed > 0) purgeLog.info(r, 'deleted documents purged');
            })
            // A database or store outage: the next run tries again; nothing is lost by waiting.
            .catch((error) => purgeLog.warn({ err: error }, 'document purge failed; will run again'));
        }, config.documentPurgeIntervalMs);
        // A pending purge never keeps the process alive.
        purgeTimer.unref();
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
