import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CATEGORIES } from '../../src/model/categories.ts';
import type { Controls } from '../../src/model/controls.ts';
import { RULES } from '../../src/score/registry.ts';
import { checkFiles, checkFixture, FIXTURES, fixtureMeta, ruleFixtureDir } from '../support/check.ts';

describe('rule modules', () => {
  test('every rule declares id, categories, severity, why and fix, with unique ids', () => {
    const ids = new Set<string>();
    for (const rule of RULES) {
      assert.match(rule.id, /^[a-z0-9-]+$/);
      assert.ok(!ids.has(rule.id), `duplicate id ${rule.id}`);
      ids.add(rule.id);
      assert.ok(
        rule.categories.length > 0 && rule.categories.every((c) => CATEGORIES.includes(c)),
        `${rule.id} categories`,
      );
      assert.ok(rule.why.length > 40 && rule.fix.length > 20 && rule.title.length > 10, `${rule.id} texts`);
    }
  });

  test('each area folder holds rules only, one per file named after its id, all registered', async () => {
    const score = new URL('../../src/score/', import.meta.url);
    const areas = readdirSync(score, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'internal')
      .map((e) => e.name);
    const seen = new Set<string>();
    for (const area of areas) {
      const dir = new URL(`${area}/`, score);
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) {
        const module = (await import(new URL(file, dir).href)) as { rule?: (typeof RULES)[number] };
        // Helpers belong in score/internal: a file here that is no rule would read like one.
        assert.ok(module.rule, `score/${area}/${file} exports no rule (helpers go to score/internal)`);
        assert.equal(`${module.rule.id}.ts`, file, `score/${area}/${file} holds rule ${module.rule.id}`);
        assert.ok(RULES.includes(module.rule), `${file} is not registered in score/${area}/index.ts`);
        seen.add(module.rule.id);
      }
    }
    assert.deepEqual([...seen].sort(), RULES.map((r) => r.id).sort(), 'a registered rule lives elsewhere');
  });

  test('every rule has a failing and a passing fixture', () => {
    const dirs = new Set(readdirSync(join(FIXTURES, 'rules')));
    for (const rule of RULES) {
      assert.ok(dirs.has(rule.id), `no fixtures for ${rule.id}`);
      const dir = ruleFixtureDir(rule.id);
      for (const which of ['pass', 'fail']) {
        assert.ok(
          existsSync(join(dir, `${which}.yaml`)) || existsSync(join(dir, `${which}.json`)),
          `${rule.id}: no ${which} fixture`,
        );
      }
    }
  });
});

describe('rule fixtures', () => {
  for (const rule of RULES) {
    test(`${rule.id}: the failing fixture raises it, the passing one does not`, () => {
      const expected = fixtureMeta(rule.id).failSeverity ?? rule.severity;
      const failing = checkFixture(rule.id, 'fail').findings.filter((f) => f.rule === rule.id);
      assert.ok(failing.length > 0, `${rule.id} raised nothing on its failing fixture`);
      assert.ok(
        failing.some((f) => f.severity === expected),
        `${rule.id}: expected a ${expected}, got ${failing.map((f) => f.severity).join(',')}`,
      );
      for (const f of failing)
        assert.ok(
          rule.categories.includes(f.category),
          `${rule.id} finding in foreign category ${f.category}`,
        );
      const passing = checkFixture(rule.id, 'pass');
      const raised = passing.findings.filter((f) => f.rule === rule.id && f.severity !== 'info');
      assert.deepEqual(raised, [], `${rule.id} raised on its passing fixture`);
      // The passing case must actually exercise the rule, or it proves nothing.
      assert.ok(
        passing.results.some((r) => r.rule === rule.id),
        `${rule.id} evaluated nothing on its passing fixture`,
      );
    });
  }
});

describe('findings say what is wrong', () => {
  const findings = (rule: string) => checkFixture(rule, 'fail').findings.filter((f) => f.rule === rule);

  test('a bare Pod and a one-replica Deployment are both reported', () => {
    const names = findings('replicas-min-two')
      .map((f) => f.object.name)
      .sort();
    assert.deepEqual(names, ['lonely', 'web']);
  });

  test('PDB eviction maths: minAvailable = replicas, 100%, maxUnavailable 0', () => {
    const messages = findings('pdb-allows-eviction').map((f) => `${f.object.name}: ${f.message}`);
    assert.equal(messages.length, 3, messages.join('\n'));
    assert.ok(
      messages.some((m) => m.startsWith('api:') && /HPA minReplicas/.test(m)),
      messages.join('\n'),
    );
  });

  test('the pinning rule names the pinning label', () => {
    const messages = findings('placement-pinned').map((f) => f.message);
    assert.ok(messages.some((m) => m.includes('topology.kubernetes.io/zone=eu-west-1a')));
    assert.ok(messages.some((m) => m.includes('eks.amazonaws.com/nodegroup in [blue]')));
  });

  test('plain credentials are named without their values', () => {
    const all = findings('credentials-plain');
    const text = JSON.stringify(all);
    assert.ok(
      text.includes('DATABASE_PASSWORD') &&
        text.includes('CACHE_URL') &&
        text.includes('S3_SECRET_ACCESS_KEY'),
    );
    assert.ok(
      !text.includes('example-password') && !text.includes('example-not-a-real-key'),
      'a secret leaked',
    );
    assert.deepEqual(all.map((f) => f.category).sort(), ['Managed PostgreSQL', 'Object storage']);
  });

  test('database TLS: absent, disabled in the URL, and prefer are all reported', () => {
    assert.deepEqual(
      findings('database-tls')
        .map((f) => f.object.name)
        .sort(),
      ['api', 'web', 'worker'],
    );
  });

  test('alert coverage names the uncovered item only', () => {
    assert.deepEqual(
      findings('alert-coverage').map((f) => f.object.name),
      ['backup-status'],
    );
  });

  test('floating tags other than latest are named', () => {
    const cart = findings('image-tag-pinned').find((f) => f.object.name === 'cart')!.message;
    assert.match(cart, /proxy: nginx:stable uses the floating tag :stable/);
    assert.match(cart, /cart: redis:alpine uses the floating tag :alpine/);
  });

  test('a liveness script from a ConfigMap that pings another host is followed and named', () => {
    const cache = findings('liveness-independent').find((f) => f.object.name === 'replica-cache')!;
    assert.match(
      cache.message,
      /liveness script \/health\/ping_primary\.sh \(ConfigMap replica-cache-health\) checks another host \(\$CACHE_PRIMARY_HOST = cache-primary-0\./,
    );
  });

  test('volumes: surging onto a ReadWriteOnce claim, and one replica on a zonal volume', () => {
    const files = findings('rolling-update-capacity').find((f) => f.object.name === 'files')!;
    assert.equal(files.severity, 'warning');
    assert.match(
      files.message,
      /^maxSurge 1 starts the new pod while the old one holds the ReadWriteOnce claim files-data/,
    );
    // Recreate is right there: the passing fixture only notes it.
    const note = checkFixture('rolling-update-capacity', 'pass').findings.find(
      (f) => f.rule === 'rolling-update-capacity' && f.object.name === 'files',
    )!;
    assert.equal(note.severity, 'info');
    assert.deepEqual(
      findings('zone-loss-volumes')
        .map((f) => f.object.name)
        .sort(),
      ['ledger-db', 'uploads'],
    );
  });

  test('termination grace shows the arithmetic', () => {
    assert.match(
      findings('termination-grace')[0]!.message,
      /preStop 5s \+ drain 30s = 35s exceeds terminationGracePeriodSeconds 30/,
    );
  });

  test('controls: every kind of missing evidence is reported per row', () => {
    const owner = findings('controls-owner').map((f) => `${f.category}: ${f.message}`);
    assert.deepEqual(owner.sort(), [
      'Object storage: row missing from the controls file',
      'Replica posture: no owner',
    ]);
    const alert = findings('controls-alert').map((f) => f.category);
    assert.deepEqual(alert.sort(), ['Managed cache', 'Object storage', 'Scheduling posture']);
    const tests = findings('controls-recovery-test');
    assert.deepEqual(tests.map((f) => f.category).sort(), [
      'Managed PostgreSQL',
      'Object storage',
      'Observability',
    ]);
    const pg = tests.find((f) => f.category === 'Managed PostgreSQL')!.message;
    assert.match(pg, /old drill: 208 days old \(bound 90\)/);
    assert.match(pg, /failed drill: result fail/);
    assert.match(pg, /lost evidence: evidence file .*missing\.json does not exist/);
  });

  test('velero: a failed latest backup, a stale one and a schedule that never ran', () => {
    const messages = findings('velero-backups')
      .map((f) => `${f.object.name}: ${f.message}`)
      .sort();
    assert.deepEqual(messages, [
      'docs: no backup of this schedule in the dump',
      'ledger: newest completed backup ledger-20261120020000 is 129 hours old (bound 48)',
      'shop: latest backup shop-20261125020000 is PartiallyFailed',
    ]);
  });

  test('recovery: a Velero schedule that leaves out Secrets the pods need is reported, certain gaps as errors with controls', () => {
    const file = join(ruleFixtureDir('recovery-method'), 'restore-gaps.yaml');
    const gaps = (controls?: Controls) =>
      checkFiles([file], controls ? { controls } : {})
        .findings.filter((f) => f.rule === 'recovery-method')
        .map(
          (f) =>
            `${f.severity} ${f.object.name}: ${f.message.replace(/ that Deployment web in shop needs/, '')}`,
        )
        .sort();
    const labels = '({"app.kubernetes.io/instance":"shop"})';
    assert.deepEqual(gaps(), [
      `warning shop-no-secrets: a restore from this schedule comes back without Secret cache-credentials: its excludedResources name secrets`,
      `warning shop-no-secrets: a restore from this schedule comes back without Secret db-credentials: its excludedResources name secrets`,
      `warning shop-release: a restore from this schedule comes back without Secret cache-credentials: it selects by label ${labels} and the object carries none of them`,
      `warning shop-release: a restore from this schedule may come back without Secret db-credentials: it selects by label ${labels} and the object is not among the checked ones (created outside the chart), so it is backed up only if it carries such a label`,
    ]);
    const withControls = gaps({ file: 'controls.yaml', categories: {} });
    assert.deepEqual(
      withControls.map((g) => g.split(' ')[0]),
      ['error', 'error', 'error', 'warning'],
      'certain gaps are errors with a controls file; one that depends on unseen labels stays a warning',
    );
  });

  test('missing zone spread is an error once the nodes show two or more zones', () => {
    const manifest = findings('spread-zone');
    assert.equal(manifest[0]!.severity, 'warning');
    const report = checkFiles(
      [
        join(FIXTURES, 'rules', 'spread-zone', 'fail.yaml'),
        join(FIXTURES, 'rules', 'nodes-zone-span', 'pass.json'),
      ],
      { clusterState: true },
    );
    const inCluster = report.findings.filter((f) => f.rule === 'spread-zone');
    assert.equal(inCluster[0]!.severity, 'error');
    assert.match(inCluster[0]!.message, /the nodes span 3 zones/);
  });

  test('bundled data services are notes outside production', () => {
    const staging = checkFiles([join(ruleFixtureDir('bundled-postgresql'), 'fail.yaml')], {
      profile: 'staging',
    });
    const bundled = staging.findings.filter((f) => f.rule === 'bundled-postgresql');
    assert.equal(bundled.length, 1);
    assert.equal(bundled[0]!.severity, 'info');
  });
});

describe('a fully compliant set', () => {
  test('raises no finding at all', () => {
    const report = checkFiles([join(FIXTURES, 'good', 'shop.yaml')]);
    assert.deepEqual(report.findings, []);
    assert.ok(report.summary.passed >= 20, `only ${report.summary.passed} checks ran`);
  });
});
