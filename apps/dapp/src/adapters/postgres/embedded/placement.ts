import { chmod, chown, lstat, mkdir, mkdtemp, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmbeddedDatabaseError, OR_EXTERNAL } from './errors.ts';
import { firstUnreachable, type RunAs, reachableBy } from './os-user.ts';

/**
 * Where the embedded PostgreSQL keeps its files. As root, PostgreSQL runs as the `postgres` user, which
 * must be able to enter every parent directory of its data directory. A checkout under a directory only
 * root may enter (root's home is mode 700 on Debian, so is every `mktemp -d`) makes that impossible, and
 * changing the permissions of the user's directories is not ours to do. The data then lives in a
 * directory of its own under a shared base (/var/lib/dalp, else the temp dir), and `<dataDir>/postgres`
 * becomes a symbolic link to it, so the next start (and a person looking) finds it there.
 */
export interface Placement {
  /** The PostgreSQL data directory (PGDATA). */
  pgdata: string;
  /** Set when pgdata is outside the data directory: why, for the start-up log. */
  relocatedBecause?: string;
}

/** Directories we may create shared, root-owned state in, best first. */
function baseCandidates(): string[] {
  return ['/var/lib/dalp', join(tmpdir(), 'dalp')];
}

/** A root-owned directory nobody else can write to: root must not create files where others could swap them. */
async function ownedByUsAlone(path: string): Promise<boolean> {
  const stat = await lstat(path);
  return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

/**
 * The first base directory that exists (or can be made) and that `user` can reach. Used for data that had
 * to move and for the copy of the binaries when the checkout itself cannot be reached.
 */
export async function sharedBaseDirectory(user: RunAs): Promise<string> {
  const problems: string[] = [];
  for (const base of baseCandidates()) {
    try {
      await mkdir(base, { recursive: true, mode: 0o755 });
      if (!(await ownedByUsAlone(base))) {
        problems.push(`${base} is not a directory owned by root alone`);
      } else if (!reachableBy(user, base)) {
        problems.push(`the ${user.name} user cannot enter ${base}`);
      } else {
        return base;
      }
    } catch (error) {
      problems.push(`${base}: ${(error as Error).message}`);
    }
  }
  throw new EmbeddedDatabaseError(
    `no directory the ${user.name} OS user can reach is available for the embedded PostgreSQL (${problems.join('; ')}); start as a non-root user, ${OR_EXTERNAL}`,
  );
}

/** Decides (and prepares) the PostgreSQL data directory for the data directory `root`. */
export async function placeDataDirectory(root: string, user: RunAs | undefined): Promise<Placement> {
  const inPlace = join(root, 'postgres');
  const existing = await lstat(inPlace).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = resolve(root, await readlink(inPlace));
    await mkdir(target, { recursive: true, mode: 0o700 });
    if (user) await chown(target, user.uid, user.gid);
    return { pgdata: target, relocatedBecause: `kept outside ${root}; ${inPlace} links there` };
  }
  if (!user) return { pgdata: inPlace };
  const blocked = firstUnreachable(user, root);
  if (!blocked) {
    await mkdir(inPlace, { recursive: true, mode: 0o700 });
    await chown(inPlace, user.uid, user.gid);
    return { pgdata: inPlace };
  }
  if (existing) {
    throw new EmbeddedDatabaseError(
      `the database files in ${inPlace} cannot be reached by the ${user.name} OS user that PostgreSQL runs as (it cannot enter ${blocked}); move the checkout back to where it was started first, or set DALP_DATA_DIR to a directory other users can traverse, ${OR_EXTERNAL}`,
    );
  }
  const home = await mkdtemp(join(await sharedBaseDirectory(user), 'postgres-'));
  // The postgres user must pass through to its data directory; the directory lists nothing to others.
  await chmod(home, 0o711);
  await writeFile(join(home, 'belongs-to'), `${root}\n`, { mode: 0o644 });
  const pgdata = join(home, 'data');
  await mkdir(pgdata, { mode: 0o700 });
  await chown(pgdata, user.uid, user.gid);
  await symlink(pgdata, inPlace);
  return {
    pgdata,
    relocatedBecause: `the ${user.name} OS user that PostgreSQL runs as cannot enter ${blocked}; ${inPlace} links there`,
  };
}
