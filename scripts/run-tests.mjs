#!/usr/bin/env node
// Runs every *.test.ts of the repo with node's test runner (Node 20's `--test` takes no globs, so the
// files are collected here). Arguments filter by substring: `node scripts/run-tests.mjs ledger`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['apps', 'packages', 'charts'];
const skip = new Set(['node_modules', 'dist', '.dalp', 'fixtures']);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

// The longest files start first (each takes minutes: an image build, test passes on two other Node.js
// versions, a Patroni failover, every drill on a lab), so the concurrent slots end together instead of one of them starting
// a long file last.
const LONGEST = [
  'packages/drill/test/drills/lab.test.ts',
  'packages/image/test/integration/node-versions.test.ts',
  'packages/drill/test/drills/restore.test.ts',
  'apps/dapp/test/integration/image.test.ts',
  'packages/lab/test/integration/lab.test.ts',
  'packages/drill/test/drills/credential-rotation.test.ts',
  'apps/dapp/test/drills/database-failover.test.ts',
];
const rank = (f) => (LONGEST.includes(f) ? LONGEST.indexOf(f) : LONGEST.length);

const filters = process.argv.slice(2);
const files = roots
  .flatMap((r) => collect(join(root, r), []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`run-tests: no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
