import { appendFileSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';
import {
  type ManagedProcess,
  makeTempDir,
  postgresUser,
  type RunAs,
  run,
  spawnManaged,
  type TempDir,
  TIMED_OUT,
  waitFor,
  withTimeout,
} from './processes.ts';
import { createCertificates } from './tls.ts';

export const POSTGRES_BIN_DIR = process.env.DALP_LAB_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresOptions {
  /** Superuser password; without it every loopback connection is trusted. */
  password?: string;
  /** Superuser name (default `postgres`). */
  user?: string;
  /** Serve TLS with a freshly generated CA (see `caPath`). */
  tls?: boolean;
  /** Fixed port (default: a free one). */
  port?: number;
  /** Extra `postgresql.conf` settings. */
  settings?: Record<string, string | number>;
  startTimeoutMs?: number;
}

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** CA certificate path when started with `tls: true`. */
  readonly caPath: string | undefined;
  /** Connection URL (password included when one was set). */
  url(options?: { database?: string; sslmode?: SslMode }): string;
  /** pg client settings for this server (for `new pg.Client(...)` / `new pg.Pool(...)`). */
  clientConfig(options?: { database?: string }): pg.ClientConfig;
  running(): boolean;
  /** Starts the postmaster again on the same port and data directory (after `stop` or `kill`). */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT): disconnects clients, checkpoints, exits. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster's process group: a crash, recovered from WAL at the next start. */
  kill(): Promise<void>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/** Starts a standalone PostgreSQL 15 on 127.0.0.1 in a temp directory. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const owner = postgresUser();
  const dir = makeTempDir('postgres', owner);
  try {
    return await initAndStart(dir, owner, options);
  } catch (error) {
    dir.remove();
    throw error;
  }
}

async function initAndStart(
  dir: TempDir,
  owner: RunAs | undefined,
  options: PostgresOptions,
): Promise<PostgresServer> {
  const user = options.user ?? 'postgres';
  const port = options.port ?? (await freePort());
  const dataDir = join(dir.path, 'data');
  const socketDir = join(dir.path, 'socket');
  mkdirSync(socketDir);
  if (owner) chownSync(socketDir, owner.uid, owner.gid);

  const initdbArgs = ['-D', dataDir, '-U', user, '--encoding=UTF8', '--locale=C.UTF-8', '--auth-local=trust'];
  if (options.password !== undefined) {
    const pwfile = join(dir.path, 'pwfile');
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    initdbArgs.push(`--pwfile=${pwfile}`, '--auth-host=scram-sha-256');
  } else {
    initdbArgs.push('--auth-host=trust');
  }
  await run(join(POSTGRES_BIN_DIR, 'initdb'), initdbArgs, { runAs: owner, cwd: dir.path });

  let caPath: string | undefined;
  const settings: Record<string, string | number> = {
    listen_addresses: "'127.0.0.1'",
    port,
    unix_socket_directories: `'${socketDir}'`,
    // A lab server trades durability against an OS crash for speed; a killed postmaster still loses
    // nothing committed because the kernel keeps the written pages.
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    logging_collector: 'off',
    log_min_messages: 'warning',
  };
  if (options.tls) {
    const certs = await createCertificates(dir.path, 'postgres', owner);
    caPath = certs.caPath;
    Object.assign(settings, {
      ssl: 'on',
      ssl_cert_file: `'${certs.certPath}'`,
      ssl_key_file: `'${certs.keyPath}'`,
    });
  }
  Object.assign(settings, options.settings);
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    `\n# dalp lab\n${Object.entries(settings)
      .map(([key, value]) => `${key} = ${value}`)
      .join('\n')}\n`,
  );

  const logPath = join(dir.path, 'postgres.log');
  let postmaster: ManagedProcess | undefined;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const password = options.password;

  const clientConfig = (opts: { database?: string } = {}): pg.ClientConfig => ({
    host: '127.0.0.1',
    port,
    user,
    password,
    database: opts.database ?? 'postgres',
    connectionTimeoutMillis: 2_000,
  });

  const query = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> => {
    const client = new pg.Client(clientConfig());
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };

  const start = async (): Promise<void> => {
    if (postmaster?.running()) throw new Error(`postgres on port ${port} is already running`);
    postmaster = spawnManaged({
      name: `postgres:${port}`,
      command: join(POSTGRES_BIN_DIR, 'postgres'),
      args: ['-D', dataDir],
      logPath,
      cwd: dir.path,
      runAs: owner,
    });
    const current = postmaster;
    try {
      await waitFor(
        async () => {
          await query('SELECT 1');
          return true;
        },
        startTimeoutMs,
        `postgres on 127.0.0.1:${port} to accept connections`,
        { process: current, intervalMs: 100 },
      );
    } catch (error) {
      await current.kill();
      throw error;
    }
  };

  const stop = async (): Promise<void> => {
    if (!postmaster?.running()) return;
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    postmaster.signal('SIGINT');
    if ((await withTimeout(postmaster.exited, 20_000)) === TIMED_OUT) await postmaster.kill();
  };

  await start();

  return {
    host: '127.0.0.1',
    port,
    user,
    dataDir,
    logPath,
    caPath,
    url(opts = {}) {
      const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
      const params = new URLSearchParams();
      if (opts.sslmode) params.set('sslmode', opts.sslmode);
      if (opts.sslmode && opts.sslmode !== 'disable' && opts.sslmode !== 'require' && caPath) {
        params.set('sslrootcert', caPath);
      }
      const search = params.size > 0 ? `?${params.toString()}` : '';
      return `postgres://${auth}@127.0.0.1:${port}/${opts.database ?? 'postgres'}${search}`;
    },
    clientConfig,
    running: () => postmaster?.running() ?? false,
    start,
    stop,
    async kill() {
      await postmaster?.kill();
    },
    query,
    async destroy() {
      await stop();
      dir.remove();
    },
  };
}
