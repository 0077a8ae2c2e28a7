import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { copyWithImports, ROOT, violations } from '../../../../scripts/import-directions.ts';

// The import directions of apps/dapp and of every package (docs/architecture.md), enforced by the
// repository's dependency-cruiser configuration. Static analysis of the sources: no process, no server.

const PRODUCTION = ['apps/dapp/src', 'apps/dapp/scripts', 'packages', 'charts/scripts'];
const SRC = 'apps/dapp/src';

describe('import directions in apps/dapp and across packages', () => {
  test('the production sources of the repository break no rule', async () => {
    const paths = PRODUCTION.flatMap((p) =>
      p === 'packages'
        ? readdirSync(join(ROOT, p))
            .map((name) => `packages/${name}/src`)
            .filter((src) => existsSync(join(ROOT, src)))
        : [p],
    );
    assert.deepEqual(await violations(ROOT, paths), []);
  });

  // The rules must see a wrong import when there is one: add the imports the layering forbids to a copy.
  test('a domain module importing an adapter, a route importing one, src importing test code ... all fail', async (t) => {
    const wrong: Array<[string, string]> = [
      [`${SRC}/domain/ledger.ts`, '../adapters/postgres/database.ts'],
      [`${SRC}/ports/cache.ts`, '../adapters/cache/redis.ts'],
      [`${SRC}/ports/object-store.ts`, 'pg'],
      [`${SRC}/adapters/cache/redis.ts`, '../../metrics.ts'],
      [`${SRC}/store/ledger/planner.ts`, '../../adapters/postgres/database.ts'],
      [`${SRC}/store/assets.ts`, '../use-cases/assets.ts'],
      [`${SRC}/use-cases/documents.ts`, '../adapters/object-store/s3.ts'],
      [`${SRC}/http/routes/ledger.ts`, '../../adapters/postgres/database.ts'],
      [`${SRC}/main.ts`, '../test/support/helpers.ts'],
      ['packages/helm/src/index.ts', '../../../apps/dapp/src/errors.ts'],
      ['charts/scripts/readmes.ts', '../tests/support/charts.ts'],
    ];
    const copy = copyWithImports(
      [SRC, 'apps/dapp/test/support', 'packages/helm/src', 'charts/scripts', 'charts/tests/support'],
      wrong,
    );
    t.after(copy.remove);
    const found = await violations(copy.root, [SRC, 'packages/helm/src', 'charts/scripts']);
    const expect = (rule: string, from: string, to: string) =>
      assert.ok(
        found.some((v) => v.startsWith(`${rule}: ${from} -> `) && v.includes(to)),
        `${rule} missed ${from} -> ${to}; found:\n${found.join('\n')}`,
      );
    expect('dapp-domain-is-pure', `${SRC}/domain/ledger.ts`, `${SRC}/adapters/postgres/database.ts`);
    expect('dapp-ports-import-nothing-concrete', `${SRC}/ports/cache.ts`, `${SRC}/adapters/cache/redis.ts`);
    expect('dapp-ports-import-nothing-concrete', `${SRC}/ports/object-store.ts`, 'node_modules/pg/');
    expect('dapp-adapters-report-through-ports', `${SRC}/adapters/cache/redis.ts`, `${SRC}/metrics.ts`);
    expect(
      'dapp-ledger-planner-is-pure',
      `${SRC}/store/ledger/planner.ts`,
      `${SRC}/adapters/postgres/database.ts`,
    );
    expect('dapp-store-knows-no-callers', `${SRC}/store/assets.ts`, `${SRC}/use-cases/assets.ts`);
    expect('dapp-use-cases-use-ports', `${SRC}/use-cases/documents.ts`, `${SRC}/adapters/object-store/s3.ts`);
    expect(
      'dapp-routes-do-not-touch-adapters',
      `${SRC}/http/routes/ledger.ts`,
      `${SRC}/adapters/postgres/database.ts`,
    );
    expect('no-test-code-in-production', `${SRC}/main.ts`, 'apps/dapp/test/support/helpers.ts');
    expect('packages-never-import-apps', 'packages/helm/src/index.ts', `${SRC}/errors.ts`);
    expect('no-test-code-in-production', 'charts/scripts/readmes.ts', 'charts/tests/support/charts.ts');
    // store/assets.ts -> use-cases/assets.ts -> store/assets.ts closes a cycle.
    assert.ok(
      found.some((v) => v.startsWith(`dapp-no-cycles: ${SRC}/store/assets.ts`)),
      found.join('\n'),
    );
  });
});

/** Source files of `dir` that write a dependency gauge or counter (health's job alone). */
function gaugeWriters(dir: string): string[] {
  const writes = /\.(dependencyUp|ready|dbConnectionErrors|cacheErrors|objectStoreErrors)\.(set|inc)\(/;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && writes.test(readFileSync(path, 'utf8'))) out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

describe('dependencies report health one way', () => {
  test('health.ts is the only writer of the dependency gauges and counters; adapters report to it', (t) => {
    assert.deepEqual(gaugeWriters(join(ROOT, SRC)), ['health.ts']);
    // The check sees a second writer: an adapter that sets the gauge itself, as the Redis adapter once did.
    const copy = copyWithImports([SRC], []);
    t.after(copy.remove);
    const redis = join(copy.root, SRC, 'adapters/cache/redis.ts');
    const text = readFileSync(redis, 'utf8');
    writeFileSync(redis, `${text}\n// this.metrics.dependencyUp.set({ dependency: 'cache' }, 1);\n`);
    assert.deepEqual(gaugeWriters(join(copy.root, SRC)), ['adapters/cache/redis.ts', 'health.ts']);
  });
});
