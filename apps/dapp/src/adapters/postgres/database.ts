import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type { DatabaseConfig } from '../../config.ts';
import { errors } from '../../errors.ts';
import { type DependencyObserver, UNOBSERVED } from '../../ports/dependency-observer.ts';
import { isConnectionError, isDataException, isStatementTimeout, isWriteConflict } from './sqlstate.ts';

/** The longest pause before the nth new attempt of a transaction that lost a race is n times this. */
const CONFLICT_BACKOFF_MS = 10;

// numeric(78,0) columns hold 256-bit amounts; pg returns numeric as text already, and int8 (bigserial ids,
// counts) as text too, which we convert where needed. Nothing here ever goes through a JS float.

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
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
 * connection-level failures and statement timeouts into the catalog's 503 errors.
 */
export class Database {
  readonly pool: pg.Pool;

  constructor(
    private readonly config: pg.PoolConfig,
    private readonly observer: DependencyObserver = UNOBSERVED,
    private readonly log?: Pick<FastifyBaseLogger, 'warn'>,
  ) {
    this.pool = new pg.Pool(config);
    // An idle client losing its server emits here; without a listener the process would crash.
    this.pool.on('error', (error) => this.connectionLost(error));
    this.pool.on('connect', (client) => {
      this.open.add(client);
      client.once('end', () => this.open.delete(client));
      // pool.end() only asks clients to end; a server shutting down in the meantime (failover, or the
      // embedded server stopping right after us) reports on a client the pool no longer watches.
      client.on('error', (error) => this.connectionLost(error));
    });
  }

  /** A connection-level failure: counted, the database reported down, one warning line. */
  private connectionLost(error: Error): void {
    this.observer.failed('connection', error);
    this.observer.down();
    this.log?.warn(
      { err: { message: error.message, code: (error as { code?: string }).code } },
      'database connection error',
    );
  }

  private readonly open = new Set<pg.PoolClient>();

  stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  /** Connection failures and statement timeouts become the catalog's 503s; anything else is the caller's. */
  private translate(error: unknown): never {
    if (isConnectionError(error)) {
      this.connectionLost(error as Error);
      throw errors.databaseUnavailable.because(error);
    }
    // statement_timeout: the database is too slow right now, which is a dependency problem, not ours.
    if (isStatementTimeout(error)) throw errors.databaseTimeout.because(error);
    if (isDataException(error)) throw errors.invalidData.because(error);
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
        if (!isWriteConflict(error)) throw error;
        // A lost race (deadlock, serialization failure) is safe to run again: everything rolled back. The
        // pause, random and growing, keeps the same writers from meeting in the same order again.
        if (attempt < attempts) {
          await sleep(Math.random() * CONFLICT_BACKOFF_MS * attempt);
          continue;
        }
        // Still losing after every attempt: the rows are contended right now, which a client can wait out
        // and retry with its idempotency key, so a 503 with Retry-After, never a 500.
        throw errors.writeConflict.because(error);
      }
    }
  }

  /**
   * Runs `use` on a pooled connection. The connection goes back to the pool unless it broke (a client whose
   * connection broke must not be reused); connection-level failures become errors.databaseUnavailable.
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
      this.observer.up();
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      return this.translate(error);
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  private probePool: pg.Pool | undefined;

  /**
   * Asks the server itself whether it answers, on a connection of its own: a health check queued behind a
   * saturated pool would report a busy database as down and take a loaded replica out of service. Failures
   * here are not counted as connection errors (the requests' own failures are).
   */
  async probe(timeoutMs: number): Promise<void> {
    if (!this.probePool) {
      this.probePool = new pg.Pool({
        ...this.config,
        max: 1,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
        query_timeout: timeoutMs,
        application_name: 'dapp health check',
      });
      this.probePool.on('error', () => undefined);
    }
    await this.probePool.query('SELECT 1');
  }

  /** Ends the pool and waits (bounded) until every connection is really closed. */
  async close(): Promise<void> {
    await this.probePool?.end().catch(() => undefined);
    await this.pool.end();
    const deadline = Date.now() + 5000;
    while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
