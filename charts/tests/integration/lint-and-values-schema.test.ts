import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runHelm } from '../../../packages/helm/src/index.ts';
import { ChartWorkspace } from '../support/charts.ts';

let ws: ChartWorkspace;
before(() => {
  ws = new ChartWorkspace();
});
after(() => ws.dispose());

describe('helm lint', () => {
  // The dalp chart alone needs external data services (it refuses to run replicas on embedded stores),
  // so it is linted with its ci values; the other charts lint on their defaults.
  const charts: [string, string[]][] = [
    ['dalp', ['--values', 'dalp/ci/external-datastores-values.yaml']],
    ['support', []],
    ['dalp-local', []],
    ['dalp-staging', []],
    ...['aws', 'azure', 'gcp', 'openshift'].map((provider): [string, string[]] => [
      'dalp-staging',
      ['--values', 'examples/values-production-ha.yaml', '--values', `examples/providers/${provider}.yaml`],
    ]),
  ];
  for (const [chart, extra] of charts) {
    it(`${chart} ${extra.filter((a) => a.endsWith('.yaml')).join(' + ')}`.trim(), () => {
      const args = [
        'lint',
        '--strict',
        ws.chart(chart),
        ...extra.map((a) => (a.endsWith('.yaml') ? ws.chart(a) : a)),
      ];
      const result = runHelm(args);
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
});

describe('values.schema.json rejects bad values with a clear message', () => {
  const cases: { name: string; chart: string; set: Record<string, string>; message: RegExp }[] = [
    {
      name: 'unknown anti-affinity preset',
      chart: 'dalp-local',
      set: { 'dalp.dapp.podAntiAffinityPreset': 'medium' },
      message: /dapp\/podAntiAffinityPreset.*must be one of '', 'soft', 'hard'/,
    },
    {
      name: 'unknown node affinity preset type',
      chart: 'dalp-staging',
      set: { 'dalp.dapp.nodeAffinityPreset.type': 'sometimes' },
      message: /dapp\/nodeAffinityPreset\/type.*must be one of/,
    },
    {
      name: 'replicaCount of the wrong type',
      chart: 'dalp-local',
      set: { 'dalp.dapp.replicaCount': 'two' },
      message: /dapp\/replicaCount.*got string, want integer/,
    },
    {
      name: 'a misspelt key',
      chart: 'dalp-local',
      set: { 'dalp.dapp.replicacount': '3' },
      message: /additional properties 'replicacount' not allowed/,
    },
    {
      name: 'support switch of the wrong type',
      chart: 'dalp-local',
      set: { 'support.postgresql.enabled': 'maybe' },
      message: /support\/postgresql\/enabled.*got string, want boolean/,
    },
    {
      name: 'probe type outside tcp/http',
      chart: 'dalp',
      set: { 'dapp.readinessProbe.type': 'exec' },
      message: /readinessProbe\/type.*must be one of 'tcp', 'http'/,
    },
    {
      name: 'PostgreSQL TLS mode',
      chart: 'dalp',
      set: { 'global.datastores.default.postgresql.sslMode': 'prefer' },
      message: /sslMode.*must be one of/,
    },
    {
      name: 'a misspelt data service key through a wrapper',
      chart: 'dalp-staging',
      set: { 'global.datastores.default.postgresql.sslmode': 'require' },
      message: /additional properties 'sslmode' not allowed/,
    },
    {
      name: 'bundled image without a tag',
      chart: 'support',
      set: { 'redis.image.tag': '' },
      message: /redis\/image\/tag/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = ws.render(c.chart, { set: c.set });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /values don't meet the specifications of the schema/);
      assert.match(result.stderr, c.message);
      assert.doesNotMatch(result.stderr, /panic|goroutine/);
    });
  }

  it('the template guard names the key too when the schema is bypassed by a custom preset', () => {
    // Presets are checked twice: by the schema and by the helper, so a chart vendored without its schema
    // still fails clearly.
    const result = runHelm([
      'template',
      'x',
      ws.chart('dalp'),
      '--skip-schema-validation',
      '--values',
      ws.chart('dalp/ci/external-datastores-values.yaml'),
      '--set',
      'dapp.podAntiAffinityPreset=medium',
    ]);
    assert.notEqual(result.status, 0);
    assert.match(
      result.stderr,
      /dapp\.podAntiAffinityPreset must be one of "", "soft", "hard" \(got "medium"\)/,
    );
  });
});

describe('Kubernetes version floor', () => {
  for (const chart of ['dalp-local', 'dalp-staging', 'support']) {
    it(`${chart} renders for 1.29 and refuses 1.28`, () => {
      const ok = runHelm(['template', 'dalp', ws.chart(chart), '--kube-version', '1.29.0']);
      assert.equal(ok.status, 0, ok.stderr);
      const old = runHelm(['template', 'dalp', ws.chart(chart), '--kube-version', '1.28.9']);
      assert.notEqual(old.status, 0);
      assert.match(old.stderr, /kubeVersion|incompatible with Kubernetes/i);
    });
  }
});
