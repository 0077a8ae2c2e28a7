import { execFile, spawnSync } from 'node:child_process';
import { resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedDatabaseError, OR_EXTERNAL } from './errors.ts';

const run = promisify(execFile);

/** The OS user PostgreSQL runs as when we are root (it refuses to run as root). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

const POSTGRES_USER = 'postgres';

async function lookup(name: string): Promise<RunAs | undefined> {
  try {
    // `id` asks NSS, so users from LDAP or sssd count too (reading /etc/passwd would miss them).
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

async function groupExists(name: string): Promise<boolean> {
  try {
    await run('getent', ['group', name]);
    return true;
  } catch {
    return false;
  }
}

/**
 * undefined when we are not root (PostgreSQL then runs as we do); as root, the `postgres` user, created as
 * a system user without a home or login shell when the machine has none.
 */
export async function postgresOsUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookup(POSTGRES_USER);
  if (existing) return existing;
  const group = (await groupExists(POSTGRES_USER)) ? ['--gid', POSTGRES_USER] : ['--user-group'];
  try {
    await run('useradd', [
      '--system',
      ...group,
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      POSTGRES_USER,
    ]);
  } catch (error) {
    const detail =
      firstLine((error as { stderr?: string }).stderr).replace(/^useradd:\s*/, '') ||
      (error as Error).message;
    throw new EmbeddedDatabaseError(
      `running as root, the embedded PostgreSQL must run as the OS user "${POSTGRES_USER}", which does not exist, and creating it failed (useradd: ${detail}); create it (useradd --system --user-group ${POSTGRES_USER}), start as a non-root user, ${OR_EXTERNAL}`,
    );
  }
  const created = await lookup(POSTGRES_USER);
  if (!created) {
    throw new EmbeddedDatabaseError(
      `useradd reported success but the OS user "${POSTGRES_USER}" still cannot be found; check the machine's user database (id ${POSTGRES_USER}), ${OR_EXTERNAL}`,
    );
  }
  return created;
}

/**
 * Whether `user` can reach `path` (search permission on every parent directory, execute permission on the
 * path itself), asked of the kernel by running `test -x` as that user, spawned exactly as PostgreSQL will
 * be (same uid, gid and no supplementary groups): permission bits and ACLs all count, which a check
 * rebuilt from stat() results would get wrong.
 */
export function reachableBy(user: RunAs, path: string): boolean {
  const probe = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'probe', path], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
    timeout: 10_000,
  });
  return probe.status === 0;
}

/** The outermost directory on the way to `path` that `user` cannot enter (undefined: it reaches `path`). */
export function firstUnreachable(user: RunAs, path: string): string | undefined {
  const parts = resolve(path).split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = `${sep}${parts.slice(0, i).join(sep)}`;
    if (!reachableBy(user, dir)) return dir;
  }
  return undefined;
}

export function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]?.trim() ?? '';
}
