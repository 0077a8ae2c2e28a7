import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyWithImports, ROOT, violations } from '../../../../scripts/import-directions.ts';

// The import directions of packages/check (docs/architecture.md), enforced by the repository's
// dependency-cruiser configuration. Static analysis of the sources: no process, no server.

describe('import directions in packages/check', () => {
  test('the sources (and the CLI that uses them) break no rule', async () => {
    assert.deepEqual(await violations(ROOT, ['packages/check/src', 'packages/cli/src']), []);
  });

  // The rules must see a wrong import when there is one: add the imports the layering forbids to a copy.
  test('a model importing the context, a rule importing a reporter, a loader importing a rule all fail', async (t) => {
    const src = 'packages/check/src';
    const wrong: Array<[string, string]> = [
      ['model/workload.ts', '../score/context.ts'],
      ['score/replicas/pdb-missing.ts', '../../reporters/text.ts'],
      ['score/replicas/replicas-min-two.ts', '../lifecycle/probe-readiness.ts'],
      ['loaders/chart.ts', '../score/registry.ts'],
      ['reporters/sarif.ts', '../score/registry.ts'],
    ];
    const copy = copyWithImports(
      [src],
      wrong.map(([file, target]) => [`${src}/${file}`, target]),
    );
    t.after(copy.remove);
    const found = await violations(copy.root, [src]);
    const expect = (rule: string, from: string, to: string) =>
      assert.ok(
        found.includes(`${rule}: packages/check/src/${from} -> packages/check/src/${to}`),
        `${rule} missed ${from} -> ${to}; found:\n${found.join('\n')}`,
      );
    expect('check-model-is-the-base', 'model/workload.ts', 'score/context.ts');
    expect('check-score-knows-no-input-or-output', 'score/replicas/pdb-missing.ts', 'reporters/text.ts');
    expect(
      'check-rules-stand-alone',
      'score/replicas/replicas-min-two.ts',
      'score/lifecycle/probe-readiness.ts',
    );
    expect('check-loaders-only-read-input', 'loaders/chart.ts', 'score/registry.ts');
    expect('check-reporters-read-only-the-report', 'reporters/sarif.ts', 'score/registry.ts');
    // The context imports the workload model, so the model importing the context closes a cycle.
    assert.ok(
      found.some((v) => v.startsWith('check-no-cycles: packages/check/src/model/workload.ts')),
      found.join('\n'),
    );
  });
});
