import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { MemoryCache } from './adapters/cache/memory.ts';
import { FilesystemObjectStore } from './adapters/object-store/filesystem.ts';
import { Database, poolConfig } from './adapters/postgres/database.ts';
import type { EmbeddedDatabase } from './adapters/postgres/embedded.ts';
import { migrate } from './adapters/postgres/migrate.ts';
import type { Config } from './config.ts';
import { Health } from './health.ts';
import { Metrics } from './metrics.ts';
import type { Cache } from './ports/cache.ts';
import type { ObjectStore } from './ports/object-store.ts';
import { ApiKeyStore, generateKey } from './store/api-keys.ts';
import { AssetStore } from './store/assets.ts';
import { DocumentStore } from './store/documents.ts';
import { InvestorStore } from './store/investors.ts';
import { LedgerStore } from './store/ledger.ts';

/** Everything a running instance holds: adapters behind their ports, stores, health and metrics. */
export interface Runtime {
  config: Config;
  db: Database;
  cache: Cache;
  objectStore: ObjectStore;
  metrics: Metrics;
  health: Health;
  stores: {
    assets: AssetStore;
    investors: InvestorStore;
    ledger: LedgerStore;
    documents: DocumentStore;
    apiKeys: ApiKeyStore;
  };
  /** Set when this start generated the embedded admin key (to be shown once), or where it is kept. */
  adminKey?: { generated: boolean; key?: string; path: string };
  embedded: boolean;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  cache?: Cache;
  objectStore?: ObjectStore;
}

async function createCache(config: Config, metrics: Metrics, log: FastifyBaseLogger): Promise<Cache> {
  if (config.cache.url.startsWith('memory://') && !config.cache.sentinels) return new MemoryCache();
  const { RedisCache } = await import('./adapters/cache/redis.ts');
  return new RedisCache(config.cache, metrics, log);
}

async function createObjectStore(config: Config): Promise<ObjectStore> {
  const store = config.objectStore;
  switch (store.driver) {
    case 'filesystem':
      return new FilesystemObjectStore(resolve(config.dataDir));
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
  let embedded: EmbeddedDatabase | undefined;
  const external = config.database.external;
  if (!external) {
    log.info({ dataDir: resolve(config.dataDir) }, 'no database configured: starting embedded PostgreSQL');
    // Loaded only when used: the embedded server's package must not touch production processes.
    const { startEmbeddedPostgres } = await import('./adapters/postgres/embedded.ts');
    embedded = await startEmbeddedPostgres(config.dataDir, (m) =>
      log.debug({ component: 'embedded-postgres' }, m),
    );
  }
  const connection = external ?? {
    connectionString: embedded!.connectionString,
    port: 0,
    sslMode: 'disable' as const,
  };

  let health: Health | undefined;
  const db = new Database(poolConfig(config.database, connection), {
    onConnectionError: (error) => {
      metrics.dbConnectionErrors.inc();
      health?.databaseObserved('down');
      log.warn(
        { err: { message: error.message, code: (error as { code?: string }).code } },
        'database connection error',
      );
    },
    onSuccess: () => health?.databaseObserved('up'),
  });
  metrics.trackPool(() => db.stats());

  const cache = overrides.cache ?? (await createCache(config, metrics, log));
  const objectStore = overrides.objectStore ?? (await createObjectStore(config));
  health = new Health(db, cache, metrics);

  // Transfers of clients that went away while queued still complete (or fail) before the pool closes.
  const ledger = new LedgerStore(db, {
    batch: (transfers) => metrics.ledgerBatchTransfers.observe(transfers),
    retried: (reason) => metrics.ledgerBatchRetries.inc({ reason }),
  });
  const closeAll = async () => {
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
    const apiKeys = new ApiKeyStore(db);
    let adminKey: Runtime['adminKey'];
    if (config.bootstrapAdminKey) {
      await apiKeys.ensureBootstrap(config.bootstrapAdminKey);
    } else if (embedded) {
      adminKey = await embeddedAdminKey(config.dataDir);
      await apiKeys.ensureBootstrap(adminKey.key!);
    }
    return {
      config,
      db,
      cache,
      objectStore,
      metrics,
      health,
      stores: {
        assets: new AssetStore(db),
        investors: new InvestorStore(db),
        ledger,
        documents: new DocumentStore(db),
        apiKeys,
      },
      adminKey,
      embedded: Boolean(embedded),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
