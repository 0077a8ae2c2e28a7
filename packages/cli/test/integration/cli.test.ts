import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dalp, type Run } from '../support/run-cli.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'packages/check/test/fixtures');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

/** The real executable, as users and CI call it. */
function dalpBin(args: string[], input?: string): Run {
  const result = spawnSync(process.execPath, [join(ROOT, 'packages/cli/bin/dalp.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function assertOneLineError(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit ${run.code}: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `more than one line: ${run.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'stack trace printed');
}

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'dalp-cli-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('dalp executable', () => {
  test('npx dalp --help works from the repository root', () => {
    const result = spawnSync('npx', ['--no-install', 'dalp', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Usage: dalp/);
    assert.match(result.stdout, /check \[options\] \[inputs\.\.\.\]/);
  });

  test('reads manifests from standard input with "-"', () => {
    const run = dalpBin(
      ['check', '-', '--format', 'json'],
      readFileSync(fixture('rules/replicas-min-two/fail.yaml'), 'utf8'),
    );
    assert.equal(run.code, 1, run.stderr);
    const json = JSON.parse(run.stdout);
    assert.ok(json.findings.some((f: { rule: string }) => f.rule === 'replicas-min-two'));
  });

  test('invalid YAML: exit 2, one line naming file and line, no stack trace', () => {
    const run = dalpBin(['check', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n');
    assertOneLineError(run, /^dalp: <stdin>:\d+: invalid YAML/);
  });
});

describe('exit codes', () => {
  test('0 when nothing reaches --fail-on, 1 when something does', async () => {
    assert.equal((await dalp(['check', fixture('good/shop.yaml')])).code, 0);
    assert.equal((await dalp(['check', fixture('rules/pdb-missing/fail.yaml')])).code, 1);
    assert.equal(
      (await dalp(['check', fixture('rules/pdb-missing/fail.yaml'), '--fail-on', 'none'])).code,
      0,
    );
    // Only warnings: passes by default, fails with --fail-on warning.
    const warningsOnly = join(work, 'warnings-only.yaml');
    const good = readFileSync(fixture('good/shop.yaml'), 'utf8');
    writeFileSync(warningsOnly, good.replace('maxUnavailable: 0', 'maxUnavailable: 1'));
    const summary = JSON.parse((await dalp(['check', warningsOnly, '--format', 'json'])).stdout).summary;
    assert.deepEqual([summary.errors, summary.warnings], [0, 1]);
    assert.equal((await dalp(['check', warningsOnly])).code, 0);
    assert.equal((await dalp(['check', warningsOnly, '--fail-on', 'warning'])).code, 1);
    const run = await dalp(['check', fixture('good/shop.yaml'), '--set', 'x=1']);
    assertOneLineError(run, /--values and --set apply to a chart directory only/);
  });

  test('a directory of manifests is read recursively', async () => {
    const run = await dalp([
      'check',
      fixture('rules/probe-readiness'),
      '--format',
      'json',
      '--fail-on',
      'none',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(JSON.parse(run.stdout).findings.some((f: { rule: string }) => f.rule === 'probe-readiness'));
  });
});

describe('bad input', () => {
  test('missing file', async () => {
    assertOneLineError(
      await dalp(['check', join(work, 'nope.yaml')]),
      /nope\.yaml: no such file or directory/,
    );
  });

  test('empty input', async () => {
    const empty = join(work, 'empty.yaml');
    writeFileSync(empty, '---\n# nothing here\n');
    assertOneLineError(await dalp(['check', empty]), /no Kubernetes objects in/);
    assertOneLineError(await dalp(['check', '-'], ''), /no Kubernetes objects in -/);
  });

  test('an object without kind is rejected, unknown kinds are accepted and ignored', async () => {
    const nokind = join(work, 'nokind.yaml');
    writeFileSync(nokind, 'apiVersion: v1\nmetadata: {name: x}\n');
    assertOneLineError(await dalp(['check', nokind]), /has no apiVersion\/kind/);
    const unknown = join(work, 'unknown.yaml');
    writeFileSync(
      unknown,
      `${readFileSync(fixture('good/shop.yaml'), 'utf8')}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: 3}\n`,
    );
    const run = await dalp(['check', unknown, '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).findings.length, 0);
  });

  test('fields of the wrong type are rejected with the file, line, object and field', async () => {
    const bad = join(work, 'bad-types.yaml');
    writeFileSync(
      bad,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          ports: http\n',
    );
    assertOneLineError(
      await dalp(['check', bad]),
      /bad-types\.yaml:5: Deployment\/web is not a valid Deployment: spec\.template\.spec\.containers\.0\.ports must be array$/,
    );
  });

  test('a scalar document is not a Kubernetes object', async () => {
    assertOneLineError(await dalp(['check', '-'], 'just a string\n'), /not a Kubernetes object/);
  });

  test('a chart that fails to render', async () => {
    assertOneLineError(
      await dalp(['check', fixture('charts/broken')]),
      /^dalp: helm template .*broken failed: execution error at \(broken\/templates\/deployment\.gotmpl:2:4\): broken: image is required$/,
    );
  });

  test('a directory holding a chart is not read as manifests', async () => {
    assertOneLineError(
      await dalp(['check', fixture('charts')]),
      /charts\/broken is a Helm chart: check it on its own/,
    );
  });

  test('a YAML alias bomb is refused as input, not crashed on', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
      const previous = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const bomb = join(work, 'bomb.yaml');
    writeFileSync(bomb, `${levels.join('\n')}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n`);
    assertOneLineError(await dalp(['check', bomb]), /bomb\.yaml:1: YAML aliases expand too far/);
  });

  test('a quantity that is no quantity is named as such; real dumps’ strings like "3920m" pass', async () => {
    const dump = JSON.parse(readFileSync(fixture('dumps/three-zones-holds.json'), 'utf8'));
    const node = dump.items.find((o: { kind: string }) => o.kind === 'Node');
    node.status.allocatable.cpu = '3920m';
    const good = join(work, 'quantities.json');
    writeFileSync(good, JSON.stringify(dump));
    assert.notEqual((await dalp(['check', '--dump', good])).code, 2);
    node.status.allocatable.cpu = 'abc';
    writeFileSync(good, JSON.stringify(dump));
    assertOneLineError(
      await dalp(['check', '--dump', good]),
      /status\.allocatable\.cpu "abc" is not a Kubernetes quantity \(like 2, "250m", "3920m", "512Mi"\)$/,
    );
  });

  test('a chart without Chart.yaml, and a template given as a manifest, get a hint', async () => {
    const chart = join(work, 'no-chart-yaml');
    cpSync(fixture('charts/web'), chart, { recursive: true });
    rmSync(join(chart, 'Chart.yaml'));
    assertOneLineError(
      await dalp(['check', chart]),
      /looks like a Helm chart \(templates\/ and values\.yaml\) but has no Chart\.yaml/,
    );
    const template = join(work, 'deployment.yaml');
    cpSync(fixture('charts/web/templates/deployment.gotmpl'), template);
    assertOneLineError(
      await dalp(['check', template]),
      /Helm template syntax \(\{\{ \}\}\): check the chart directory \(the folder with Chart\.yaml\), not its templates$/,
    );
  });

  test('enabled dependencies that are not vendored, at any depth', async () => {
    const umbrella = fixture('charts/umbrella');
    assertOneLineError(
      await dalp(['check', umbrella]),
      /umbrella: 1 enabled dependency is not vendored.*umbrella\/edge\/proxy \(1\.2\.3 from https:\/\/127\.0\.0\.1:1\/charts\); vendor it with helm dependency update \S+umbrella\/charts\/edge/,
    );
    const partial = await dalp(['check', umbrella, '--allow-missing-dependencies', '--format', 'json']);
    assert.equal(partial.code, 1, partial.stderr);
    const gap = JSON.parse(partial.stdout).findings.filter(
      (f: { rule: string }) => f.rule === 'render-complete',
    );
    assert.deepEqual(
      gap.map((f: { severity: string; object: { name: string } }) => `${f.severity} ${f.object.name}`),
      ['warning umbrella/edge/proxy'],
    );
    // --dependency-update tries to vendor it and keeps helm's reason when the repository is unreachable.
    const copy = join(work, 'umbrella');
    cpSync(umbrella, copy, { recursive: true });
    assertOneLineError(
      await dalp(['check', copy, '--dependency-update']),
      /^dalp: helm dependency update \S+umbrella\/charts\/edge failed: .+/,
    );
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '--allow-missing-dependencies']),
      /apply to a chart directory only/,
    );
  });

  test('a chart whose file:// dependency is missing', async () => {
    const chart = join(work, 'orphan');
    cpSync(fixture('charts/wrapper'), chart, { recursive: true });
    writeFileSync(
      join(chart, 'Chart.yaml'),
      'apiVersion: v2\nname: orphan\nversion: 0.1.0\ndependencies:\n  - name: gone\n    version: 0.1.0\n    repository: file://../gone\n',
    );
    assertOneLineError(await dalp(['check', chart]), /^dalp: helm dependency build .*orphan failed: /);
  });

  test('an output file that cannot be written', async () => {
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '-o', join(work, 'no-such-dir', 'report.json')]),
      /--output .*report\.json: cannot be written/,
    );
  });

  test('a values file that does not exist', async () => {
    assertOneLineError(
      await dalp(['check', fixture('charts/web'), '-f', join(work, 'none.yaml')]),
      /values file .*none\.yaml: no such file/,
    );
  });

  test('usage errors', async () => {
    assertOneLineError(
      await dalp(['check', '--format', 'xml', fixture('good/shop.yaml')]),
      /^error: option '--format <format>' argument 'xml' is invalid/,
    );
    assertOneLineError(await dalp(['check', '--no-such-flag']), /^error: unknown option '--no-such-flag'/);
    assertOneLineError(await dalp(['chek']), /^error: unknown command 'chek'/);
    assertOneLineError(await dalp(['check']), /nothing to check/);
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '--dump', fixture('dumps/three-zones-holds.json')]),
      /exactly one of/,
    );
    assertOneLineError(await dalp(['check', '--dump', fixture('good/shop.yaml')]), /holds no Node objects/);
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '--max-test-age', 'soon']),
      /--max-test-age must be a positive number/,
    );
  });

  test('a controls file that is not valid', async () => {
    const bad = join(work, 'controls.yaml');
    writeFileSync(bad, 'rows:\n  Replica posture:\n    owner: 3\n');
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '--controls', bad]),
      /controls file .*: \/rows\/Replica posture\/owner must be string/,
    );
    writeFileSync(bad, 'rows:\n  Coffee supply: {owner: me}\n');
    assertOneLineError(
      await dalp(['check', fixture('good/shop.yaml'), '--controls', bad]),
      /unknown row "Coffee supply"/,
    );
  });
});

describe('inputs', () => {
  test('a chart with --values and --set', async () => {
    const values = join(work, 'pdb.yaml');
    writeFileSync(values, 'pdb:\n  enabled: true\n');
    const without = await dalp(['check', fixture('charts/web'), '--format', 'json', '--fail-on', 'none']);
    assert.ok(JSON.parse(without.stdout).findings.some((f: { rule: string }) => f.rule === 'pdb-missing'));
    const withPdb = await dalp([
      'check',
      fixture('charts/web'),
      '-f',
      values,
      '--format',
      'json',
      '--fail-on',
      'none',
    ]);
    assert.ok(!JSON.parse(withPdb.stdout).findings.some((f: { rule: string }) => f.rule === 'pdb-missing'));
    const single = await dalp([
      'check',
      fixture('charts/web'),
      '-f',
      values,
      '--set',
      'replicaCount=1',
      '--format',
      'json',
      '--fail-on',
      'none',
    ]);
    const findings = JSON.parse(single.stdout).findings as Array<{ rule: string }>;
    assert.ok(findings.some((f) => f.rule === 'replicas-min-two'));
    assert.ok(!findings.some((f) => f.rule === 'pdb-missing'), 'a single replica needs no PDB');
  });

  test('charts render as for a cluster with the Prometheus Operator and Velero APIs', async () => {
    // The test chart renders its PrometheusRule only when Capabilities has the PrometheusRule API.
    const run = await dalp([
      'check',
      fixture('charts/web'),
      '--format',
      'json',
      '--fail-on',
      'none',
      '--kube-version',
      '1.31.0',
    ]);
    const uncovered = JSON.parse(run.stdout).findings.filter(
      (f: { rule: string }) => f.rule === 'alert-coverage',
    );
    assert.equal(uncovered.length, 6);
    assert.ok(!uncovered.some((f: { object: { name: string } }) => f.object.name === 'pod-restarts'));
  });

  test('a chart with a file:// dependency and no charts/ directory is built first', async () => {
    const copy = join(work, 'charts');
    cpSync(fixture('charts'), copy, { recursive: true });
    const run = await dalp(['check', join(copy, 'wrapper'), '--format', 'json', '--fail-on', 'none']);
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(run.stdout);
    const pdb = json.findings.find((f: { rule: string }) => f.rule === 'pdb-missing');
    assert.equal(pdb.object.name, 'dalp-web');
    // The template is found in the dependency's source directory, not in the built archive.
    assert.match(pdb.source.file, /charts\/web\/templates\/deployment\.gotmpl$/);
    // A change to the dependency's source after its archive was built is picked up (the archive is rebuilt).
    const values = join(copy, 'web', 'values.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace('enabled: false', 'enabled: true'));
    const again = await dalp(['check', join(copy, 'wrapper'), '--format', 'json', '--fail-on', 'none']);
    assert.ok(!JSON.parse(again.stdout).findings.some((f: { rule: string }) => f.rule === 'pdb-missing'));
  });

  test('--output writes the report and prints the summary on stderr', async () => {
    const out = join(work, 'report.sarif');
    const run = await dalp(['check', fixture('rules/pdb-missing/fail.yaml'), '--format', 'sarif', '-o', out]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /report in .*report\.sarif/);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).version, '2.1.0');
  });

  test('--dump runs the cluster rules', async () => {
    const run = await dalp(['check', '--dump', fixture('dumps/three-zones-fails.json'), '--format', 'json']);
    assert.equal(run.code, 1);
    const zone = JSON.parse(run.stdout).findings.find(
      (f: { rule: string }) => f.rule === 'zone-loss-capacity',
    );
    assert.equal(zone.object.name, 'eu-west-1a');
  });

  test('cluster runs judge application namespaces; system pods still take capacity', async () => {
    const dump = JSON.parse(readFileSync(fixture('dumps/three-zones-holds.json'), 'utf8'));
    const labels = { 'k8s-app': 'coredns' };
    const spec = {
      containers: [
        {
          name: 'coredns',
          image: 'registry.k8s.io/coredns/coredns:v1.11.3',
          securityContext: { privileged: true },
          resources: { requests: { cpu: '3', memory: '1Gi' } },
        },
      ],
    };
    dump.items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      spec: { replicas: 4, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
    });
    for (const node of ['b1', 'b2', 'c1', 'c2']) {
      dump.items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `coredns-${node}`,
          namespace: 'kube-system',
          labels,
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'coredns-1', uid: 'u1', controller: true },
          ],
        },
        spec: { ...spec, nodeName: node },
        status: { phase: 'Running' },
      });
    }
    const file = join(work, 'with-system.json');
    writeFileSync(file, JSON.stringify(dump));
    const run = await dalp(['check', '--dump', file, '--format', 'json']);
    const findings = JSON.parse(run.stdout).findings as Array<{
      rule: string;
      object: { name: string; namespace: string };
    }>;
    // The system pods fill zones b and c: losing zone a no longer fits, though they are not judged.
    assert.ok(findings.some((f) => f.rule === 'zone-loss-capacity' && f.object.name === 'eu-west-1a'));
    assert.ok(!findings.some((f) => f.object.namespace === 'kube-system'));
    const all = await dalp(['check', '--dump', file, '--format', 'json', '--system-namespaces']);
    const judged = JSON.parse(all.stdout).findings as Array<{ rule: string; object: { namespace: string } }>;
    assert.ok(
      judged.some((f) => f.rule === 'pod-security-restricted' && f.object.namespace === 'kube-system'),
    );
    const scoped = await dalp(['check', '--dump', file, '--format', 'json', '-n', 'other']);
    const other = JSON.parse(scoped.stdout).findings as Array<{ object: { namespace: string } }>;
    assert.ok(
      !other.some((f) => f.object.namespace === 'shop'),
      'namespace shop judged outside --namespace other',
    );
  });

  test('--skip drops a rule; an annotation exempts one object and keeps it visible as a note', async () => {
    const failing = fixture('rules/spread-hostname/fail.yaml');
    const skipped = await dalp([
      'check',
      failing,
      '--skip',
      'spread-hostname',
      '--skip',
      'pdb-missing',
      '--format',
      'json',
    ]);
    const rules = JSON.parse(skipped.stdout).findings.map((f: { rule: string }) => f.rule);
    assert.ok(!rules.includes('spread-hostname') && !rules.includes('pdb-missing'));
    assertOneLineError(
      await dalp(['check', failing, '--skip', 'spread-everything']),
      /--skip: unknown rule spread-everything/,
    );
    const annotated = join(work, 'annotated.yaml');
    writeFileSync(
      annotated,
      readFileSync(failing, 'utf8').replace(
        '  namespace: shop\n',
        '  namespace: shop\n  annotations:\n    dalp.io/skip-checks: spread-hostname, image-tag-pinned\n    dalp.io/skip-checks-reason: one node per replica by node pool\n',
      ),
    );
    const run = await dalp(['check', annotated, '--format', 'json', '--fail-on', 'none']);
    const exempted = JSON.parse(run.stdout).findings.find(
      (f: { rule: string }) => f.rule === 'spread-hostname',
    );
    assert.equal(exempted.severity, 'info');
    assert.match(
      exempted.message,
      /^exempted by dalp\.io\/skip-checks \(one node per replica by node pool\), was error: /,
    );
  });

  test('--controls with --now evaluates evidence ages reproducibly', async () => {
    const dir = fixture('rules/controls-recovery-test');
    const pass = await dalp([
      'check',
      join(dir, 'pass.yaml'),
      '--controls',
      join(dir, 'pass.controls.yaml'),
      '--now',
      '2026-11-25',
    ]);
    assert.equal(pass.code, 0, pass.stdout);
    const later = await dalp([
      'check',
      join(dir, 'pass.yaml'),
      '--controls',
      join(dir, 'pass.controls.yaml'),
      '--now',
      '2027-06-01',
      '--format',
      'json',
    ]);
    assert.equal(later.code, 1);
    const stale = JSON.parse(later.stdout).findings.filter(
      (f: { rule: string }) => f.rule === 'controls-recovery-test',
    );
    assert.equal(stale.length, 7, 'every row’s test is stale half a year later');
    const bound = await dalp([
      'check',
      join(dir, 'pass.yaml'),
      '--controls',
      join(dir, 'pass.controls.yaml'),
      '--now',
      '2027-06-01',
      '--max-test-age',
      '400',
    ]);
    assert.equal(bound.code, 0);
  });
});
