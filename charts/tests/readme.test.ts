import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chartNames, chartReadmePath, expectedReadme } from './support/readme.ts';

describe('chart READMEs are generated from the annotated values.yaml', () => {
  for (const chart of chartNames) {
    it(`charts/${chart}/README.md is up to date`, () => {
      const current = readFileSync(chartReadmePath(chart), 'utf8');
      assert.ok(
        current === expectedReadme(chart),
        `charts/${chart}/README.md is out of date: run node --import tsx charts/scripts/generate-readmes.ts`,
      );
      assert.match(current, /## Parameters\n\n### /);
    });
  }
});
