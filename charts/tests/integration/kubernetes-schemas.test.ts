import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChartWorkspace, type K8sObject } from '../support/charts.ts';
import { crdValidator } from '../support/crd-schemas.ts';
import { KubernetesSchema, kubernetesVersions } from '../support/kubernetes-schema.ts';
import { renderableCases } from '../support/matrix.ts';

let ws: ChartWorkspace;
let schemas: KubernetesSchema[];
before(() => {
  ws = new ChartWorkspace();
  schemas = kubernetesVersions.map((v) => new KubernetesSchema(v));
});
after(() => ws.dispose());

const label = (o: K8sObject) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`;

describe('every rendered object against the Kubernetes and CRD schemas', () => {
  for (const c of renderableCases) {
    it(c.name, () => {
      const result = ws.render(c.chart, { values: c.values, set: c.set });
      assert.equal(result.status, 0, result.stderr);
      const problems: string[] = [];
      let crdCount = 0;
      for (const object of result.objects) {
        const crd = crdValidator(object);
        if (crd) {
          crdCount++;
          for (const e of crd(object)) problems.push(`${label(object)} (CRD): ${e}`);
          continue;
        }
        for (const schema of schemas) {
          for (const e of schema.validate(object))
            problems.push(`${label(object)} (Kubernetes ${schema.version}): ${e}`);
        }
      }
      assert.deepEqual(problems, []);
      assert.ok(result.objects.length - crdCount > 0);
    });
  }
});

describe('the validators reject what the API server would reject', () => {
  let deployment: K8sObject;
  before(() => {
    deployment = ws.render('dalp-local').objects.find((o) => o.kind === 'Deployment')!;
  });

  it('a misspelt field and a wrong type, on both versions', () => {
    const bad = structuredClone(deployment);
    bad.spec.template.spec.topologySpreadConstraint = [];
    bad.spec.replicas = 'two';
    for (const schema of schemas) {
      const errors = schema.validate(bad);
      assert.ok(
        errors.some((e) => e.includes('topologySpreadConstraint')),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((e) => e.includes('/spec/replicas')),
        errors.join('\n'),
      );
    }
  });

  it('a missing required field', () => {
    const bad = structuredClone(deployment);
    delete bad.spec.selector;
    for (const schema of schemas) assert.ok(schema.validate(bad).some((e) => e.includes('selector')));
  });

  it('API versions removed before 1.29', () => {
    for (const [apiVersion, kind] of [
      ['policy/v1beta1', 'PodDisruptionBudget'],
      ['autoscaling/v2beta2', 'HorizontalPodAutoscaler'],
      ['extensions/v1beta1', 'Ingress'],
    ] as const) {
      for (const schema of schemas) {
        assert.match(schema.validate({ apiVersion, kind, metadata: { name: 'x' } }).join(), /is not served/);
      }
    }
  });

  it('CRD objects with a wrong field', () => {
    const objects = ws.render('dalp', {
      values: ['dalp/ci/external-datastores-values.yaml'],
      set: {
        'dapp.route.enabled': 'true',
        'backup.velero.enabled': 'true',
        'metrics.prometheusRule.enabled': 'true',
      },
    }).objects;
    const route = structuredClone(objects.find((o) => o.kind === 'Route')!);
    route.spec.tls.termination = 'offload';
    assert.notDeepEqual(crdValidator(route)!(route), []);
    const schedule = structuredClone(objects.find((o) => o.kind === 'Schedule')!);
    schedule.spec.template.ttl = 'thirty days';
    schedule.spec.template.excludeResources = ['events'];
    assert.equal(crdValidator(schedule)!(schedule).length, 2);
    const rule = structuredClone(objects.find((o) => o.kind === 'PrometheusRule')!);
    rule.spec.groups[0].rules[0].for = 'five minutes';
    assert.notDeepEqual(crdValidator(rule)!(rule), []);
  });
});
