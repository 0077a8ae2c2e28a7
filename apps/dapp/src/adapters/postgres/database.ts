import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { type DatabaseConfig, passwordOf } from '../../config.ts';
import { errors } from '../../errors.ts';
import { type DependencyObserver, UNOBSERVED } from '../../ports/dependency-observer.ts';
import {
  isAuthenticationFailure,
  isConnectionError,
  isDataException,
  isStatementTimeout,
  isWriteConflict,
  PASSWORD_FILE_ERROR,
} from './sqlstate.ts';

/** Pauses between logins refused while a rotated password file and the server are out of step. */
const AUTH_RETRY_MS = [50, 100, 200, 400, 800];

/** The longest pause before the nth new attempt of a transaction that lost a race is n times this. */
const CONFLICT_BACKOFF_MS = 10;

// numeric(78,0) columns hold 256-bit amounts; pg returns numeric as text already, and int8 (bigserial ids,
// counts) as text too, which we convert where needed. Nothing here ever goes through a JS float.

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * COMMIT, with the transaction's id read in the same round trip (one simple-query message of two
 * statements, so no extra trip): when the session ends before COMMIT's answer comes back, the id says
 * whether anything could have been written and lets the server be asked whether it was (pg_xact_status).
 * pg's Query emitter is used rather than client.query(text) because a failed query drops the rows it did
 * receive, and the row is what tells "COMMIT never ran" from "COMMIT may have run".
 */
async function commit(client: pg.PoolClient, onXid: (xid: string | null) => void): Promise<void> {
  const query = new pg.Query('SELECT pg_current_xact_id_if_assigned()::text AS xid; COMMIT');
  query.on('row', (row: { xid: string | null }) => onXid(row.xid));
  await new Promise<void>((resolve, reject) => {
    query.on('end', () => resolve());
    query.on('error', reject);
    client.query(query);
  });
}

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

/**
 * The password as node-postgres asks for it on each new connection: read from the file then, so a rotated
 * secret (a Kubernetes Secret volume updated in place, a CSI-mounted vault secret) is used without a
 * restart. A file gone or empty fails that connection attempt only, with an error naming the path and
 * the reason (never the content); connections already open are not touched.
 */
export function passwordFromFile(path: string): () => Promise<string> {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw passwordFileError(`the database password file ${path} cannot be read (${codeOf(error)})`);
    }
    const password = passwordOf(text);
    if (password === '') throw passwordFileError(`the database password file ${path} is empty`);
    return password;
  };
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'unreadable';

function passwordFileError(message: string): Error {
  return Object.assign(new Error(message), { code: PASSWORD_FILE_ERROR });
}

export function poolConfig(
  config: DatabaseConfig,
  connection: NonNullable<DatabaseConfig['external']>,
): pg.PoolConfig {
  const password = connection.passwordFile ? passwordFromFile(connection.passwordFile) : undefined;
  const base: pg.PoolConfig = {
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Every connection logs in again after this long, so none outlives a rotated password by more than
    // the lifetime (a revocation that ends old sessions, or the grace period before the old role is
    // dropped, then finds no connection of ours on the old credentials).
    maxLifetimeSeconds: config.maxLifetimeSeconds,
    keepAlive: true,
    application_name: 'dapp',
    ssl: sslOptions(connection),
  };
  if (connection.connectionString) {
    // sslmode in the URL would override our ssl object inside pg; we already parsed it into `ssl`.
    const url = new URL(connection.connectionString);
    url.searchParams.delete('sslmode');
    url.searchParams.delete('sslrootcert');
    if (!password) return { ...base, connectionString: url.toString() };
    // pg lets a connection string's (absent) password override a `password` option, so the URL is
    // taken apart here and the file's reader set last.
    const { password: _none, ...parts } = parseConnectionString(url.toString());
    return { ...base, ...(parts as pg.PoolConfig), ssl: base.ssl, password };
  }
  return {
    ...base,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: password ?? connection.password,
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
   *
   * A statement whose session ended under it runs again on another connection (withClient). The
   * statements the service runs outside a transaction are reads or writes that a second run cannot
   * double: the ledger's batch write claims its idempotency keys under a unique index (a second run of
   * one that did commit loses that race and is read back, as a stale cache is), the deletes and the
   * bootstrap key's upsert are idempotent, and a session whose insert did commit makes the second insert a
   * duplicate-key error for that one sign-in, never a second session.
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
    let rerunAfterLostCommit = true;
    for (let attempt = 1; ; attempt++) {
      // What COMMIT's round trip said of the transaction's id: undefined before it (or when nothing came
      // back, so the server did not reach COMMIT), null when the transaction wrote nothing, else its id.
      let reached = false;
      let xid: string | null | undefined;
      let result: T | undefined;
      try {
        return await this.withClient(
          async (client) => {
            await client.query('BEGIN');
            try {
              result = await work(client);
              reached = true;
              await commit(client, (id) => (xid = id));
              return result;
            } catch (error) {
              if (!isConnectionError(error)) await client.query('ROLLBACK').catch(() => undefined);
              throw error;
            }
          },
          // A session that ended before COMMIT ran, or a transaction that wrote nothing: running it again
          // on a new connection cannot apply anything twice.
          () => !reached || !xid,
        );
      } catch (error) {
        if (reached && xid && errors.databaseUnavailable.is(error) && rerunAfterLostCommit) {
          // The session ended with the answer to COMMIT of a transaction that wrote: the server knows
          // whether it committed (pg_xact_status exists for exactly this), so ask it on a new connection.
          rerunAfterLostCommit = false;
          const status = await this.statusOf(xid);
          this.log?.warn(
            { transaction: xid, status: status ?? 'unknown' },
            'database session ended at COMMIT; the server says how the transaction ended',
          );
          if (status === 'committed') return result as T;
          if (status === 'aborted') {
            attempt -= 1;
            continue;
          }
          throw error;
        }
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
   * committed or aborted; undefined when the server could not say. A terminated backend is "in progress"
   * until it has aborted and left, which takes a moment on a busy server: waited out for up to 5 s.
   */
  private async statusOf(xid: string): Promise<string | undefined> {
    for (let i = 0; i < 100; i++) {
      const status = await this.withClient(async (client) => {
        const { rows } = await client.query<{ status: string | null }>(
          'SELECT pg_xact_status($1::xid8) AS status',
          [xid],
        );
        return rows[0]?.status ?? undefined;
      }).catch(() => 'not asked');
      if (status === 'committed' || status === 'aborted' || status === undefined) return status;
      await sleep(50);
    }
    return undefined;
  }

  /**
   * Runs `use` on a pooled connection. The connection goes back to the pool unless it broke (a client whose
   * connection broke must not be reused); connection-level failures become errors.databaseUnavailable.
   */
  private async withClient<T>(
    use: (client: pg.PoolClient) => Promise<T>,
    rerunnable: () => boolean = () => true,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.connect();
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
        // The session ended under us (pg_terminate_backend when a credential is revoked, a switchover's
        // fast shutdown): again on another connection, when `use` can run again with no effect counted
        // twice. A revocation ends every session at once, so the pool may hand out more sessions that
        // ended too (each is thrown away): at most one per pooled connection, plus a new one. A database
        // that is really gone ends this at the first connection attempt that fails (a 503, as before).
        if (broken && attempt <= (this.config.max ?? 10) && rerunnable()) {
          this.observer.failed('connection', error);
          this.log?.warn(
            { err: { message: (error as Error).message, code: (error as { code?: string }).code } },
            'database session ended; running the statement again on a new connection',
          );
          continue;
        }
        return this.translate(error);
      } finally {
        client.release(broken ? true : undefined);
      }
    }
  }

  /**
   * A pooled connection. With a password read from a file, a refused login is tried again for up to the
   * connect timeout (re-reading the file each time): a rotation changes the server and the file one after
   * the other, never at once, and a login in between is refused although both sides are right.
   */
  private async connect(): Promise<pg.PoolClient> {
    const deadline = Date.now() + (this.config.connectionTimeoutMillis ?? 5000);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.pool.connect();
      } catch (error) {
        const pause = AUTH_RETRY_MS[Math.min(attempt, AUTH_RETRY_MS.length - 1)]!;
        if (!this.passwordRotates || !isAuthenticationFailure(error) || Date.now() + pause > deadline)
          throw error;
        await sleep(pause);
      }
    }
  }

  private get passwordRotates(): boolean {
    return typeof this.config.password === 'function';
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
