import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CORPUS_INPUTS, checkCorpus, keyOf, readSnapshot, writeSnapshot } from '../support/corpus.ts';

// Third-party charts and manifests (test/fixtures/corpus/README.md), rendered with the real helm binary
// and checked; the findings must be exactly the reviewed ones of each input's expected.yaml.

describe('real-world corpus: findings match the reviewed snapshot', () => {
  for (const input of CORPUS_INPUTS) {
    test(input.name, () => {
      const current = checkCorpus(input);
      if (process.env.UPDATE_CORPUS) writeSnapshot(input, current);
      const snapshot = readSnapshot(input);
      assert.ok(snapshot, `${input.name}: no expected.yaml (run with UPDATE_CORPUS=1, then review it)`);
      const unreviewed = snapshot.findings.filter(
        (f) => f.verdict !== 'true-positive' && !(f.verdict === 'accepted' && f.reason?.trim()),
      );
      assert.deepEqual(
        unreviewed.map(keyOf),
        [],
        `${input.name}: findings without a verdict (true-positive, or accepted with a reason)`,
      );
      const expected = new Set(snapshot.findings.map(keyOf));
      const actual = new Set(current.findings.map(keyOf));
      const added = [...actual].filter((k) => !expected.has(k));
      const vanished = [...expected].filter((k) => !actual.has(k));
      assert.deepEqual(
        { added, vanished },
        { added: [], vanished: [] },
        `${input.name}: the findings changed; review them (UPDATE_CORPUS=1 rewrites expected.yaml)`,
      );
      assert.deepEqual(current.summary, snapshot.summary, `${input.name}: totals changed`);
    });
  }
});
