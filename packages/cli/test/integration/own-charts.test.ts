import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dalp } from '../support/run-cli.ts';

// `dalp check` against this repository's own charts: the local wrapper in the local profile, and the
// document's production overlay with each provider example in the production profile, report no errors;
// the wrapper's bundled-services defaults do in the production profile.

const ROOT = new URL('../../../../', import.meta.url).pathname;
const PROVIDERS = ['aws', 'azure', 'gcp', 'openshift'];

interface Report {
  summary: { errors: number; warnings: number; passed: number };
  findings: Array<{
    rule: string;
    severity: string;
    object: { kind: string; name: string };
    message: string;
  }>;
}

let charts: string;

async function check(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const { code, stdout, stderr } = await dalp(['check', ...args, '--format', 'json']);
  assert.notEqual(code, 2, `dalp check failed: ${stderr}`);
  return { code, report: JSON.parse(stdout) as Report, stderr };
}

const errorsOf = (report: Report) =>
  report.findings
    .filter((f) => f.severity === 'error')
    .map((f) => `${f.rule} ${f.object.kind}/${f.object.name}: ${f.message}`);

before(() => {
  // A copy, so that `helm dependency build` never writes into the work tree while other tests read it.
  charts = join(mkdtempSync(join(tmpdir(), 'dalp-own-charts-')), 'charts');
  cpSync(join(ROOT, 'charts'), charts, { recursive: true, filter: (src) => !src.endsWith('.tgz') });
});
after(() => rmSync(join(charts, '..'), { recursive: true, force: true }));

describe('our own charts', () => {
  test('the charts this test needs exist', () => {
    for (const path of [
      'dalp-local/Chart.yaml',
      'examples/values-production-ha.yaml',
      ...PROVIDERS.map((p) => `examples/providers/${p}.yaml`),
    ]) {
      assert.ok(existsSync(join(ROOT, 'charts', path)), `charts/${path} is missing`);
    }
  });

  test('dalp-local in the local profile reports no errors', async () => {
    const { code, report } = await check([join(charts, 'dalp-local'), '--profile', 'local']);
    assert.deepEqual(errorsOf(report), []);
    assert.equal(code, 0);
    // The bundled services are there, listed as documented singleton dependencies.
    const singletons = report.findings.filter(
      (f) => f.rule === 'singleton-dependencies' && f.severity === 'info',
    );
    assert.equal(singletons.length, 3);
  });

  for (const provider of PROVIDERS) {
    test(`production overlay + ${provider} in the production profile reports no errors`, async () => {
      const { code, report } = await check([
        join(charts, 'dalp-local'),
        '-f',
        join(charts, 'examples', 'values-production-ha.yaml'),
        '-f',
        join(charts, 'examples', 'providers', `${provider}.yaml`),
      ]);
      assert.deepEqual(errorsOf(report), []);
      assert.equal(code, 0);
      assert.ok(report.summary.passed > 20);
    });
  }

  test('the bundled-services defaults are errors in the production profile', async () => {
    const { code, report } = await check([join(charts, 'dalp-local')]);
    assert.equal(code, 1);
    const rules = new Set(report.findings.filter((f) => f.severity === 'error').map((f) => f.rule));
    for (const rule of ['bundled-postgresql', 'bundled-cache', 'bundled-object-storage']) {
      assert.ok(rules.has(rule), `${rule} not reported: ${[...rules].join(', ')}`);
    }
  });

  const production = (provider: string, ...more: string[]) => [
    join(charts, 'dalp-local'),
    '-f',
    join(charts, 'examples', 'values-production-ha.yaml'),
    '-f',
    join(charts, 'examples', 'providers', `${provider}.yaml`),
    ...more,
  ];
  const findingsOf = (report: Report, rule: string) =>
    report.findings
      .filter((f) => f.rule === rule && f.severity !== 'info')
      .map((f) => `${f.severity}: ${f.message}`);

  test('Velero off: backup status is covered by provider-managed backups declared with their alert, and only then (issue 13.4)', async () => {
    const veleroOff = production('aws', '--set', 'dalp.backup.velero.enabled=false');
    const bare = await check(veleroOff);
    assert.deepEqual(findingsOf(bare.report, 'alert-coverage'), [
      'error: no alert rule covers backup status',
    ]);

    const controls = (backups: string) => {
      const file = join(charts, '..', `controls-${backups.length}.yaml`);
      writeFileSync(
        file,
        `recovery: {method: gitops, repository: https://git.example.com/dalp.git}\nproviderBackups:\n${backups}rows: {}\n`,
      );
      return file;
    };
    const watched = controls(
      '  - {name: RDS automated backups with PITR, alert: dalp-rds-backup-age, monitoredBy: CloudWatch alarm}\n' +
        '  - {name: S3 versioning of dalp-documents, alert: DalpObjectStorageErrors}\n',
    );
    const declared = await check([...veleroOff, '--controls', watched]);
    assert.deepEqual(findingsOf(declared.report, 'alert-coverage'), []);

    const unwatched = controls('  - {name: RDS automated backups with PITR, alert: RdsBackupStale}\n');
    const missing = await check([...veleroOff, '--controls', unwatched]);
    assert.deepEqual(findingsOf(missing.report, 'alert-coverage'), [
      'error: provider-managed backups without a watching alert: RDS automated backups with PITR (alert RdsBackupStale is not among the checked alert rules and no monitoredBy says where it lives)',
    ]);
  });

  test('the Velero Schedule takes the Secrets created outside the chart; scoped to the release it is reported (issue 13.4)', async () => {
    const namespace = await check(production('openshift'));
    assert.deepEqual(findingsOf(namespace.report, 'recovery-method'), []);
    const release = await check(production('openshift', '--set', 'dalp.backup.velero.scope=release'));
    const secrets = findingsOf(release.report, 'recovery-method')
      .map((m) => /without Secret (\S+)/.exec(m)?.[1])
      .sort();
    // Every existingSecret and CA secret the OpenShift example names.
    assert.deepEqual(secrets, [
      'dalp-cache-ca',
      'dalp-cache-credentials',
      'dalp-obc',
      'dalp-pg-app',
      'dalp-pg-ca',
    ]);
  });
});
