import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { DatabaseConfig } from '../../config.ts';

// numeric(78,0) columns hold 256-bit amounts; pg returns numeric as text already, and int8 (bigserial ids,
// counts) as text too, which we convert where needed. Nothing here ever goes through a JS float.

/** The database cannot be reached or lost the connection; the request may be retried (503). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is going down (switchover, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '25006', // read_only_sql_transaction: we reached a replica that was (or became) read-only after failover
  '53300', // too_many_connections
]);

/** True when an error means "the database is not there right now" rather than "the query is wrong". */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended/i.test(
    error.message,
  );
}

const RETRYABLE_TX_CODES = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/** True when a statement lost a race with another writer (serialization failure, deadlock): re-running is safe. */
export function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code !== undefined && RETRYABLE_TX_CODES.has(code);
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface DatabaseEvents {
  onConnectionError?: (error: Error) => void;
  onSuccess?: () => void;
}

function sslOptions(config: NonNullable<DatabaseConfig['external']>): pg.PoolConfig['ssl'] {
  switch (config.sslMode) {
    case 'disable':
      return false;
    case 'require':
      // libpq semantics: encrypt, but do not verify the server certificate.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // Verify the chain against our CA but not the host name (libpq verify-ca).
      return {
        ca: readFileSync(config.sslRootCert!, 'utf8'),
        rejectUnauthorized: true,
        checkServerIdentity: () => undefined,
      };
    case 'verify-full':
      return { ca: readFileSync(config.sslRootCert!, 'utf8'), rejectUnauthorized: true };
  }
}

export function poolConfig(
  config: DatabaseConfig,
  connection: NonNullable<DatabaseConfig['external']>,
): pg.PoolConfig {
  const base: pg.PoolConfig = {
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'dapp',
    ssl: sslOptions(connection),
  };
  if (connection.connectionString) {
    // sslmode in the URL would override our ssl object inside pg; we already parsed it into `ssl`.
    const url = new URL(connection.connectionString);
    url.searchParams.delete('sslmode');
    url.searchParams.delete('sslrootcert');
    return { ...base, connectionString: url.toString() };
  }
  return {
    ...base,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: connection.password,
  };
}

/**
 * The database handle the rest of the service uses: a pool, a transaction helper that retries
 * serialization failures and deadlocks (safe: the whole transaction re-runs), and a uniform translation of
 * connection-level failures into DatabaseUnavailableError so handlers answer 503 instead of 500.
 */
export class Database {
  readonly pool: pg.Pool;

  constructor(
    config: pg.PoolConfig,
    private readonly events: DatabaseEvents = {},
  ) {
    this.pool = new pg.Pool(config);
    // An idle client losing its server emits here; without a listener the process would crash.
    this.pool.on('error', (error) => this.events.onConnectionError?.(error));
    this.pool.on('connect', (client) => {
      this.open.add(client);
      client.once('end', () => this.open.delete(client));
      // pool.end() only asks clients to end; a server shutting down in the meantime (failover, or the
      // embedded server stopping right after us) reports on a client the pool no longer watches.
      client.on('error', (error) => this.events.onConnectionError?.(error));
    });
  }

  private readonly open = new Set<pg.PoolClient>();

  stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  private translate(error: unknown): never {
    if (isConnectionError(error)) {
      this.events.onConnectionError?.(error as Error);
      throw new DatabaseUnavailableError('database unavailable', { cause: error });
    }
    throw error;
  }

  /**
   * One statement outside any transaction; a `{ name, text, values }` config makes it a prepared statement.
   *
   * Not pool.query(): that destroys the connection on every failed statement, even a constraint violation or
   * an optimistic ledger write that lost a race, and the next request then pays a new connection (fork,
   * authentication, statements prepared again). After a failed statement outside a transaction the session
   * is clean, so only a broken connection is thrown away.
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    query: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.withClient((client) =>
      typeof query === 'string' ? client.query<R>(query, values) : client.query<R>(query),
    );
  }

  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, attempts = 5): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withClient(async (client) => {
          await client.query('BEGIN');
          try {
            const result = await work(client);
            await client.query('COMMIT');
            return result;
          } catch (error) {
            if (!isConnectionError(error)) await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        });
      } catch (error) {
        if (isWriteConflict(error) && attempt < attempts) continue;
        throw error;
      }
    }
  }

  /**
   * Runs `use` on a pooled connection. The connection goes back to the pool unless it broke (a client whose
   * connection broke must not be reused); connection-level failures become DatabaseUnavailableError.
   */
  private async withClient<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      return this.translate(error);
    }
    let broken = false;
    try {
      const result = await use(client);
      this.events.onSuccess?.();
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      return this.translate(error);
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new DatabaseUnavailableError('database ping timed out')),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the pool and waits (bounded) until every connection is really closed. */
  async close(): Promise<void> {
    await this.pool.end();
    const deadline = Date.now() + 5000;
    while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
