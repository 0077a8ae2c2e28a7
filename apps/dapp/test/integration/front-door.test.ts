import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@dalp/lab';
import { removeRelocatedDatabase } from '../support/embedded-support.ts';
import { Client, waitUntil } from '../support/helpers.ts';

// Issue 13.1: the README's front door, `npm start` and the tests, from a checkout inside a directory only
// its owner may enter (root's home is mode 700 on Debian, and so is every `mktemp -d`). As root,
// PostgreSQL runs as the postgres OS user, which cannot enter such a directory. The checkout is copied
// with hard links (cp -al: the same files, node_modules included, as a fresh clone after `npm ci` would
// have), without .git and without any .dalp of the original.

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const asRoot = process.getuid?.() === 0;

function copyCheckout(to: string): void {
  mkdirSync(to);
  const entries = readdirSync(REPO).filter((name) => name !== '.git' && name !== '.dalp');
  const copy = spawnSync('cp', ['-al', ...entries.map((name) => join(REPO, name)), to], { encoding: 'utf8' });
  assert.equal(copy.status, 0, copy.stderr);
  // A fresh clone has no console build: `npm start` must make it (other tests may have built one here).
  rmSync(join(to, 'apps', 'console', 'dist'), { recursive: true, force: true });
}

/** The node process below `pid` running `script` (npm runs the script through a shell). */
function nodeBelow(pid: number, script: string): number | undefined {
  const children = (parent: number): number[] =>
    readdirSync(`/proc/${parent}/task`).flatMap((task) => {
      try {
        return readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    });
  for (const child of children(pid)) {
    const args = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    if (/(^|\/)node$/.test(args[0] ?? '') && args.includes(script)) return child;
    const deeper = nodeBelow(child, script);
    if (deeper) return deeper;
  }
  return undefined;
}

interface NpmStart {
  npm: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

async function npmStart(cwd: string): Promise<NpmStart> {
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout!.on('data', (d) => (output += d));
  npm.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const gone = exited.then((code) => {
    throw new Error(`npm start exited (${code}) before it was ready`);
  });
  gone.catch(() => undefined); // its rejection matters only during the wait below
  try {
    await Promise.race([
      waitUntil(
        'npm start to answer /readyz 200',
        async () => (await fetch(`${url}/readyz`)).status === 200,
        180_000,
      ),
      gone,
    ]);
  } catch (error) {
    npm.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { npm, url, output: () => output, exited };
}

/** Stops the service by its PID (SIGTERM: the graceful shutdown); npm then exits with its status. */
async function stopNpmStart(started: NpmStart): Promise<number | null> {
  const service = nodeBelow(started.npm.pid!, 'apps/dapp/src/main.ts');
  assert.ok(service, 'the service process under npm');
  process.kill(service, 'SIGTERM');
  return started.exited;
}

describe('the README quick start from a checkout in a mode-700 directory (issue 13.1)', () => {
  let home: string;
  let checkout: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'dalp-private-'));
    assert.equal(statSync(home).mode & 0o777, 0o700, 'a directory only its owner may enter');
    checkout = join(home, 'dalp');
    copyCheckout(checkout);
  });
  after(() => {
    if (!checkout) return;
    removeRelocatedDatabase(join(checkout, '.dalp'));
    rmSync(home, { recursive: true, force: true });
  });

  test('npm start reaches /readyz 200, keeps its data across restarts, says where it is, changes no permissions', async () => {
    const modes = () => [home, checkout].map((dir) => statSync(dir).mode);
    const before = modes();
    const first = await npmStart(checkout);
    let assetId: string;
    const key = readFileSync(join(checkout, '.dalp', 'admin-api-key'), 'utf8').trim();
    try {
      if (asRoot) {
        assert.match(
          first.output(),
          new RegExp(
            `database files: /\\S+ +\\(the postgres OS user that PostgreSQL runs as cannot enter ${home};`,
          ),
        );
      }
      // The console, built by `npm start` itself, is served at /.
      const page = await fetch(`${first.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, /<title>DALP console<\/title>/);
      const script = /<script type="module" src="\/([^"]+)"/.exec(html)?.[1];
      assert.ok(script, html);
      assert.equal((await fetch(`${first.url}/${script}`)).status, 200, 'the console bundle is served');
      const created = await new Client(first.url, key).post('/api/v1/assets', {
        symbol: 'DOOR',
        name: 'Front door',
        type: 'fund',
        decimals: 0,
      });
      assert.equal(created.status, 201);
      assetId = created.body.id;
    } finally {
      assert.equal(await stopNpmStart(first), 0, first.output());
    }
    const second = await npmStart(checkout);
    try {
      const asset = await new Client(second.url, key).get(`/api/v1/assets/${assetId}`);
      assert.equal(asset.status, 200, 'the data survived the restart');
    } finally {
      assert.equal(await stopNpmStart(second), 0, second.output());
    }
    assert.deepEqual(modes(), before, 'no permission of the user’s directories changed');
  });

  test('the lifecycle tests pass there', () => {
    // A test runner of its own, not a child reporting to this one (Node marks those with NODE_TEST_CONTEXT).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(
      process.execPath,
      ['scripts/run-tests.mjs', 'apps/dapp/test/integration/lifecycle.test.ts'],
      {
        cwd: checkout,
        env,
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    assert.equal(run.status, 0, `${run.error ?? ''}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /ℹ fail 0/);
  });
});
