import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { runCheck } from '../../src/engine.ts';
import { loadManifestPaths } from '../../src/loaders/manifests.ts';
import type { CheckReport } from '../../src/report.ts';
import { FORMATS, render } from '../../src/reporters/index.ts';
import { DEFAULT_OPTIONS } from '../../src/score/context.ts';
import { RULES } from '../../src/score/registry.ts';
import { checkFiles, FIXTURES } from '../support/check.ts';
import { sarifErrors, validateSarif } from '../support/sarif.ts';

interface Totals {
  errors: number;
  warnings: number;
  passed: number;
}

/** Reads the totals back out of each format, the way a consumer of that format would. */
function totalsOf(format: (typeof FORMATS)[number], text: string): Totals {
  switch (format) {
    case 'text':
    case 'markdown': {
      const m = /(\d+) errors?, (\d+) warnings?, (\d+) passed/.exec(text);
      assert.ok(m, `no summary line in ${format}`);
      return { errors: Number(m[1]), warnings: Number(m[2]), passed: Number(m[3]) };
    }
    case 'json':
      return JSON.parse(text).summary;
    case 'junit': {
      const xml = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '',
        isArray: (n) => ['testsuite', 'testcase'].includes(n),
      }).parse(text);
      const cases = xml.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase) as Array<{
        failure?: { type: string };
      }>;
      return {
        errors: cases.filter((c) => c.failure?.type === 'error').length,
        warnings: cases.filter((c) => c.failure?.type === 'warning').length,
        passed: cases.filter((c) => !c.failure).length,
      };
    }
    case 'sarif': {
      const run = JSON.parse(text).runs[0];
      const results = run.results as Array<{ level: string }>;
      return {
        errors: results.filter((r) => r.level === 'error').length,
        warnings: results.filter((r) => r.level === 'warning').length,
        passed: run.properties.summary.passed,
      };
    }
  }
}

const reports: Array<[string, CheckReport]> = [
  [
    'three-zone dump',
    checkFiles([join(FIXTURES, 'dumps', 'three-zones-fails.json')], { clusterState: true }),
  ],
  [
    'failing manifests',
    checkFiles([
      join(FIXTURES, 'rules', 'pod-security-restricted', 'fail.yaml'),
      join(FIXTURES, 'rules', 'credentials-plain', 'fail.yaml'),
      join(FIXTURES, 'rules', 'singleton-dependencies', 'pass.yaml'),
    ]),
  ],
  ['compliant set', checkFiles([join(FIXTURES, 'good', 'shop.yaml')])],
];

describe('every format reports the same totals', () => {
  for (const [name, report] of reports) {
    test(name, () => {
      assert.ok(report.results.length > 0);
      for (const format of FORMATS) {
        assert.deepEqual(totalsOf(format, render(report, format)), report.summary, `${format} totals differ`);
      }
    });
  }
});

describe('SARIF', () => {
  test('validates against the SARIF 2.1.0 schema, every result has a file location', () => {
    for (const [name, report] of reports) {
      const sarif = JSON.parse(render(report, 'sarif', { fallbackFile: 'input.yaml' }));
      const ok = validateSarif(sarif);
      assert.ok(ok, `${name}: ${sarifErrors()}`);
      assert.equal(sarif.version, '2.1.0');
      for (const result of sarif.runs[0].results) {
        const location = result.locations[0].physicalLocation;
        assert.ok(location?.artifactLocation?.uri, 'result without a file');
        assert.ok(location.region.startLine >= 1);
        assert.equal(sarif.runs[0].tool.driver.rules[result.ruleIndex].id, result.ruleId);
      }
    }
  });

  test('only Security rules carry a security-severity', () => {
    const sarif = JSON.parse(render(reports[1]![1], 'sarif'));
    const rules = sarif.runs[0].tool.driver.rules as Array<{
      id: string;
      properties: Record<string, unknown>;
    }>;
    const byId = new Map(rules.map((r) => [r.id, r.properties]));
    assert.equal(byId.get('pod-security-restricted')?.['security-severity'], '7.5');
    assert.equal(byId.get('zone-loss-capacity')?.['security-severity'], undefined);
  });

  test('rule metadata comes from the report: a run with two rules describes exactly those two', () => {
    const chosen = RULES.filter((r) => r.id === 'pdb-missing' || r.id === 'replicas-min-two');
    const loaded = loadManifestPaths([join(FIXTURES, 'rules', 'replicas-min-two', 'fail.yaml')], () => '');
    const report = runCheck(
      loaded.objects,
      { ...DEFAULT_OPTIONS, now: new Date('2026-11-25T12:00:00Z') },
      loaded.sources,
      chosen,
    );
    const sarif = JSON.parse(render(report, 'sarif'));
    assert.ok(validateSarif(sarif), sarifErrors());
    const driver = sarif.runs[0].tool.driver;
    assert.deepEqual(
      driver.rules.map((r: { id: string }) => r.id),
      chosen.map((r) => r.id),
    );
    for (const result of sarif.runs[0].results)
      assert.equal(driver.rules[result.ruleIndex].id, result.ruleId);
  });

  test('manifest findings point at the line where the object starts', () => {
    const report = checkFiles([join(FIXTURES, 'rules', 'replicas-min-two', 'fail.yaml')]);
    const sarif = JSON.parse(render(report, 'sarif'));
    const lines = sarif.runs[0].results
      .filter((r: { ruleId: string }) => r.ruleId === 'replicas-min-two')
      .map(
        (r: { locations: Array<{ physicalLocation: { region: { startLine: number } } }> }) =>
          r.locations[0]!.physicalLocation.region.startLine,
      )
      .sort((a: number, b: number) => a - b);
    const text = readFileSync(join(FIXTURES, 'rules', 'replicas-min-two', 'fail.yaml'), 'utf8').split('\n');
    // The fixture's workloads (its Service passes): each finding sits on the first line of its object.
    const starts = text.flatMap((l, i) =>
      l.startsWith('apiVersion:') && /^kind: (Deployment|Pod)$/.test(text[i + 1] ?? '') ? [i + 1] : [],
    );
    assert.deepEqual(lines, starts);
  });
});

describe('JUnit', () => {
  test('one test case per rule and object, failures carry the severity and the fix', () => {
    const report = checkFiles([join(FIXTURES, 'rules', 'pod-security-restricted', 'fail.yaml')]);
    const xml = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (n) => ['testsuite', 'testcase'].includes(n),
    }).parse(render(report, 'junit'));
    const cases = xml.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase) as Array<{
      name: string;
      failure?: { type: string; message: string; '#text': string };
    }>;
    assert.equal(cases.length, report.results.length);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'test case names repeat');
    const privileged = cases.find((c) => c.name === 'pod-security-restricted Deployment/shop/web');
    assert.equal(privileged?.failure?.type, 'error');
    assert.match(privileged!.failure!.message, /web: privileged/);
    assert.match(privileged!.failure!['#text'], /^fix: /);
  });
});

describe('text and markdown', () => {
  test('text groups findings under their table row, in the document’s order', () => {
    const text = render(reports[0]![1], 'text');
    const scheduling = text.indexOf('Scheduling posture\n');
    const observability = text.indexOf('Observability\n');
    assert.ok(scheduling >= 0 && observability > scheduling);
    assert.match(text.slice(scheduling, observability), /zone-loss-capacity/);
  });

  test('json has the documented stable shape', () => {
    const json = JSON.parse(render(reports[1]![1], 'json'));
    assert.deepEqual(Object.keys(json), ['summary', 'findings']);
    assert.deepEqual(Object.keys(json.summary), ['errors', 'warnings', 'passed']);
    for (const f of json.findings) {
      assert.deepEqual(Object.keys(f).slice(0, 6), ['rule', 'row', 'severity', 'object', 'message', 'fix']);
      assert.deepEqual(Object.keys(f.object), ['kind', 'name', 'namespace']);
      assert.ok(['error', 'warning', 'info'].includes(f.severity));
    }
  });
});
