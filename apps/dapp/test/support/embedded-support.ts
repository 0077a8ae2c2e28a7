import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { processAlive } from '../../src/adapters/postgres/embedded/processes.ts';
import { type ServiceProcess, tempDir, waitUntil } from './helpers.ts';

// Helpers for tests of the embedded PostgreSQL (apps/dapp/src/adapters/postgres/embedded*).

/** Removes database files a start kept outside `dataDir` (a `postgres` symlink, see embedded/placement.ts). */
export function removeRelocatedDatabase(dataDir: string): void {
  const link = join(dataDir, 'postgres');
  try {
    if (!lstatSync(link).isSymbolicLink()) return;
    const home = dirname(readlinkSync(link));
    // Only a directory the service made for this data directory.
    if (readFileSync(join(home, 'belongs-to'), 'utf8').trim() === dataDir) {
      rmSync(home, { recursive: true, force: true });
    }
  } catch {
    // nothing kept elsewhere
  }
}

/**
 * A data directory for a service on embedded defaults. `remove()` also stops a PostgreSQL a failed test
 * left running on it (by PID) and removes files kept elsewhere.
 */
export function embeddedDataDir(prefix: string): { path: string; remove(): void } {
  const dir = tempDir(prefix);
  return {
    path: dir.path,
    remove() {
      try {
        for (const pid of postmastersOn(realpathSync(join(dir.path, 'postgres'))))
          process.kill(pid, 'SIGKILL');
      } catch {
        // never started
      }
      removeRelocatedDatabase(dir.path);
      dir.remove();
    },
  };
}

/** The embedded PostgreSQL of a data directory, as the files show it. */
export function embeddedDatabase(dataDir: string) {
  const pgdata = () => realpathSync(join(dataDir, 'postgres'));
  const pidFile = () => {
    const path = join(pgdata(), 'postmaster.pid');
    if (!existsSync(path)) return undefined;
    const lines = readFileSync(path, 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  };
  return {
    pgdata,
    pidFile,
    /** Direct SQL on the service's database (for what the API does not show). */
    async sql<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: pidFile()!.port,
        user: 'dalp',
        database: 'dalp',
        password: readFileSync(join(dataDir, 'postgres-password'), 'utf8').trim(),
      });
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
  };
}

/** PIDs of the postmasters running on `pgdata` (backends and helpers carry no `-D` in their title). */
export function postmastersOn(pgdata: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const d = args.indexOf('-D');
      if (
        d >= 0 &&
        /postgres$/.test(args[0] ?? '') &&
        args[d + 1] === pgdata &&
        processAlive(Number(entry))
      ) {
        found.push(Number(entry));
      }
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Waits for the start banner; fails at once (with the output) when the service exits instead. */
export async function banner(svc: ServiceProcess): Promise<void> {
  const exited = svc.exited.then((code) => {
    throw new Error(`the service exited (${code}) before its banner:\n${svc.output()}`);
  });
  exited.catch(() => undefined);
  await Promise.race([
    waitUntil(
      'the start banner',
      () => svc.output().includes('DALP is running on embedded defaults'),
      180_000,
    ),
    exited,
  ]);
}
