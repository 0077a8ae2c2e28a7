import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCheck } from '../../src/engine.ts';
import { renderChart } from '../../src/loaders/chart.ts';
import { render } from '../../src/reporters/index.ts';
import { DEFAULT_OPTIONS } from '../../src/score/context.ts';
import { FIXTURES } from '../support/check.ts';
import { validateSarif } from '../support/sarif.ts';

// Charts rendered by the real helm binary (through @dalp/helm).

test('chart findings point at the template file and the line of the object', () => {
  const loaded = renderChart({ dir: join(FIXTURES, 'charts', 'web'), values: [], set: [] });
  const report = runCheck(loaded.objects, { ...DEFAULT_OPTIONS, now: new Date() }, loaded.sources);
  const sarif = JSON.parse(render(report, 'sarif'));
  assert.ok(validateSarif(sarif));
  const pdb = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'pdb-missing');
  const location = pdb.locations[0].physicalLocation;
  assert.equal(
    location.artifactLocation.uri,
    'packages/check/test/fixtures/charts/web/templates/deployment.gotmpl',
  );
  assert.equal(location.artifactLocation.uriBaseId, '%SRCROOT%');
  assert.equal(location.region.startLine, 2);
});
