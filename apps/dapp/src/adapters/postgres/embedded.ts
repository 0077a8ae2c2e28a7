import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { binariesReachableBy, locateBinaries } from './embedded/binaries.ts';
import { EmbeddedDatabaseError } from './embedded/errors.ts';
import { postgresOsUser } from './embedded/os-user.ts';
import { acquireOwnerLock } from './embedded/owner-lock.ts';
import { placeDataDirectory } from './embedded/placement.ts';
import {
  type EmbeddedLog,
  initialise,
  SUPERUSER,
  startPostmaster,
  stopLeftoverPostmaster,
} from './embedded/postmaster.ts';

export { EmbeddedDatabaseError } from './embedded/errors.ts';
export type { EmbeddedLog } from './embedded/postmaster.ts';
export { watchdogAvailable } from './embedded/postmaster.ts';

export interface EmbeddedDatabase {
  connectionString: string;
  /** The PostgreSQL data directory. */
  dataDirectory: string;
  /** Set when the data directory is not `<dataDir>/postgres` itself: why, for the start-up banner. */
  relocatedBecause?: string;
  /** Stops PostgreSQL (fast shutdown) and then gives up the data directory. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  log: EmbeddedLog;
  /** The HTTP port of this service: told to a second start that finds the data directory in use. */
  httpPort?: number;
  /** Chooses PostgreSQL's port (default: a free loopback port, so two copies on a machine never clash). */
  choosePort?: () => Promise<number>;
}

/** A free port chosen by the kernel, so a second copy on the same machine never clashes. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('no free port on 127.0.0.1')),
      );
    });
  });
}

async function readOrCreateSecret(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const secret = randomBytes(24).toString('base64url');
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Creates the service's database on a new cluster (or on one whose first start ended before it did). */
async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [SUPERUSER]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${SUPERUSER}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts the embedded PostgreSQL for laptop use: data in `<dataDir>/postgres` (or where the `postgres` OS
 * user can reach it, when we are root: see embedded/placement.ts), a generated password kept beside it,
 * listening on loopback only, on a free port chosen at each start, and tied to this process's lifetime.
 * One service per data directory: a second start is refused with the first one's PID and port, and a
 * server left running by a killed service is stopped cleanly before a new one starts.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedOptions,
): Promise<EmbeddedDatabase> {
  const { log } = options;
  if (process.platform === 'win32') {
    throw new EmbeddedDatabaseError('the embedded PostgreSQL does not run on Windows here; set DATABASE_URL');
  }
  const binaries = await locateBinaries();
  const user = await postgresOsUser();
  const root = resolve(dataDir);
  // As root, PostgreSQL (another user) must pass through this directory to its data; it lists nothing.
  await mkdir(root, { recursive: true, mode: user ? 0o711 : 0o700 });
  const lock = await acquireOwnerLock(realpathSync(root), { pid: process.pid, port: options.httpPort });
  try {
    const placement = await placeDataDirectory(root, user);
    const { pgdata } = placement;
    if (placement.relocatedBecause) log.info(`database files in ${pgdata} (${placement.relocatedBecause})`);
    const runnable = user ? await binariesReachableBy(binaries, user) : binaries;
    await stopLeftoverPostmaster(pgdata, [pgdata, join(root, 'postgres')], log);
    const password = await readOrCreateSecret(join(root, 'postgres-password'));
    if (!existsSync(join(pgdata, 'PG_VERSION'))) {
      log.info(`creating the embedded PostgreSQL cluster in ${pgdata}`);
      await initialise(runnable, pgdata, user, password, log);
    }
    const postmaster = await startPostmaster(runnable, pgdata, options.choosePort ?? freePort, user, log);
    try {
      await ensureDatabase(postmaster.port, password);
    } catch (error) {
      await postmaster.stop();
      throw new EmbeddedDatabaseError(
        `the embedded PostgreSQL started but refuses the service's login (${(error as Error).message}); if ${join(root, 'postgres-password')} was deleted or replaced, remove ${root} to start afresh (this deletes the data)`,
      );
    }
    return {
      connectionString: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${postmaster.port}/${SUPERUSER}`,
      dataDirectory: pgdata,
      relocatedBecause: placement.relocatedBecause,
      stop: async () => {
        try {
          await postmaster.stop();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
