import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadManifestPaths } from '../../src/loaders/manifests.ts';
import { CheckContext, DEFAULT_OPTIONS } from '../../src/score/context.ts';
import { RULES } from '../../src/score/registry.ts';
import { checkFiles, FIXTURES } from '../support/check.ts';

// Workloads are classed serving, worker, job or hook, and each rule judges the classes it declares
// (docs/checks.md lists them). One workload of each class, each with every flaw a rule could find.

const FILE = join(FIXTURES, 'classes', 'every-class.yaml');

describe('workload classes', () => {
  test('each workload gets its class from its kind, its hook annotation and the Services that select it', () => {
    const loaded = loadManifestPaths([FILE], () => '');
    const ctx = new CheckContext(loaded.objects, { ...DEFAULT_OPTIONS, now: new Date() });
    const classes = Object.fromEntries(ctx.workloads.map((w) => [`${w.kind}/${w.name}`, w.workloadClass]));
    assert.deepEqual(classes, {
      'Deployment/web': 'serving',
      'Deployment/loadgen': 'worker',
      'Deployment/controller': 'worker',
      'Job/migrate': 'job',
      'CronJob/report': 'job',
      'Pod/once': 'job',
      'Pod/web-test': 'hook',
      'Job/pre-upgrade': 'hook',
    });
  });

  test('every rule judges only the classes it declares', () => {
    const report = checkFiles([FILE]);
    const loaded = loadManifestPaths([FILE], () => '');
    const ctx = new CheckContext(loaded.objects, { ...DEFAULT_OPTIONS, now: new Date() });
    const classOf = new Map(ctx.workloads.map((w) => [`${w.kind}/${w.name}`, w.workloadClass]));
    for (const result of report.results) {
      const workloadClass = classOf.get(`${result.object.kind}/${result.object.name}`);
      if (!workloadClass) continue;
      const rule = RULES.find((r) => r.id === result.rule)!;
      assert.ok(rule.appliesTo, `${rule.id} judges workloads but declares no classes`);
      assert.ok(
        rule.appliesTo.includes(workloadClass),
        `${rule.id} judged the ${workloadClass} ${result.object.kind}/${result.object.name}`,
      );
    }
  });

  test('hooks, jobs and workers are not held to a serving workload’s replicas, probes and shutdown', () => {
    const report = checkFiles([FILE]);
    const rulesOn = (name: string) =>
      [...new Set(report.findings.filter((f) => f.object.name === name).map((f) => f.rule))].sort();
    assert.deepEqual(rulesOn('web'), [
      'image-tag-pinned',
      'pod-security-restricted',
      'probe-liveness',
      'probe-readiness',
      'replicas-min-two',
      'resources-memory-limit',
      'resources-requests',
    ]);
    for (const worker of ['loadgen', 'controller']) {
      assert.deepEqual(rulesOn(worker), [
        'image-tag-pinned',
        'pod-security-restricted',
        'resources-memory-limit',
        'resources-requests',
      ]);
    }
    for (const finite of ['migrate', 'report', 'once', 'web-test', 'pre-upgrade']) {
      assert.deepEqual(rulesOn(finite), ['image-tag-pinned', 'pod-security-restricted'], finite);
    }
  });
});
