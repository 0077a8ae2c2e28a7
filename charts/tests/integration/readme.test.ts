import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  chartNames,
  chartReadmePath,
  expectedReadme,
  paramsOf,
  renderedDefault,
  valueAt,
} from '../../scripts/readmes.ts';

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

describe('chart READMEs show the real default of every parameter (issue 13.5)', () => {
  for (const chart of chartNames) {
    it(`charts/${chart}/README.md: each Value cell is the default in values.yaml`, () => {
      const valuesFile = new URL(`../../${chart}/values.yaml`, import.meta.url).pathname;
      const values = parse(readFileSync(valuesFile, 'utf8'));
      const readme = readFileSync(chartReadmePath(chart), 'utf8');
      const cells = new Map(
        [...readme.matchAll(/^\|\s*`([^`]+)`\s*\|.*\|\s*`([^`]*)`\s*\|$/gm)].map((m) => [m[1]!, m[2]!]),
      );
      const wrong = paramsOf(valuesFile)
        .filter((p) => cells.get(p.name) !== renderedDefault(valueAt(values, p.name)))
        .map(
          (p) =>
            `${p.name}: README says ${cells.get(p.name)}, values.yaml has ${renderedDefault(valueAt(values, p.name))}`,
        );
      assert.deepEqual(wrong, []);
    });
  }
});
