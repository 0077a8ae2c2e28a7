import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CHECKS_DOC, renderChecksDoc } from '../../src/docs.ts';
import { RULES } from '../../src/score/registry.ts';

test('docs/checks.md is generated from the rule modules and up to date', () => {
  const committed = readFileSync(CHECKS_DOC, 'utf8');
  assert.ok(
    committed === renderChecksDoc(),
    'docs/checks.md is stale: run `npm run docs -w @dalp/check` and commit the result',
  );
  for (const rule of RULES) assert.ok(committed.includes(`### ${rule.id}\n`), `${rule.id} missing`);
});
