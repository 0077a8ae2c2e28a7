import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { LIBRARY, LIBRARY_COPIES } from '../../scripts/vendor-common.ts';

// charts/common is written once; the charts that use it carry copies (charts/scripts/vendor-common.ts says
// why). A copy that differs from the library would let the two charts disagree on the contract between
// them, so any difference fails here.

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('the dalp-common library chart', () => {
  const library = files(LIBRARY);

  it('is a library chart that every chart using it declares', () => {
    const chart = parse(library.get('Chart.yaml')!);
    assert.equal(chart.type, 'library');
    for (const copy of LIBRARY_COPIES) {
      const user = parse(readFileSync(join(copy, '..', '..', 'Chart.yaml'), 'utf8'));
      assert.ok(
        user.dependencies?.some(
          (d: { name: string; version: string }) => d.name === chart.name && d.version === chart.version,
        ),
        `${copy}: its chart does not declare ${chart.name} ${chart.version}`,
      );
    }
  });

  for (const copy of LIBRARY_COPIES) {
    it(`${relative(join(LIBRARY, '..'), copy)} is charts/common to the byte`, () => {
      const vendored = files(copy);
      assert.deepEqual([...vendored.keys()].sort(), [...library.keys()].sort());
      for (const [file, text] of library) {
        assert.ok(
          vendored.get(file) === text,
          `${file} differs: run node --import tsx charts/scripts/vendor-common.ts`,
        );
      }
    });
  }
});
