import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/model/objects.ts';
import { simulateZoneLosses } from '../../src/model/zone-loss.ts';
import { checkFiles, FIXTURES } from '../support/check.ts';

const dump = (name: string) => join(FIXTURES, 'dumps', name);

function node(name: string, zone: string, cpu: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone, ...labels },
    },
    status: { allocatable: { cpu, memory: '32Gi', pods: '110' } },
  };
}

function pod(
  name: string,
  nodeName: string,
  app: string,
  cpu: string,
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: { app },
      ownerReferences: [{ kind: 'ReplicaSet', name: `${app}-rs`, controller: true }],
    },
    spec: { nodeName, containers: [{ name: app, resources: { requests: { cpu, memory: '1Gi' } } }], ...spec },
    status: { phase: 'Running' },
  };
}

describe('zone-loss capacity model on three-zone dumps', () => {
  test('losing the biggest zone fails, and the report says by how much', () => {
    const report = checkFiles([dump('three-zones-fails.json')], { clusterState: true });
    const losses = report.results.filter((r) => r.rule === 'zone-loss-capacity');
    assert.deepEqual(
      losses.map((r) => [r.object.name, r.finding ? 'fails' : 'holds']),
      [
        ['eu-west-1a', 'fails'],
        ['eu-west-1b', 'holds'],
        ['eu-west-1c', 'holds'],
      ],
    );
    const message = losses[0]!.finding!.message;
    // Zone a holds 8 web pods of 1 CPU; the 4 surviving nodes have 1.9 CPU free each: 4 fit, 4 do not.
    assert.match(message, /losing zone eu-west-1a: 4 of 8 pods cannot be rescheduled/);
    assert.match(message, /they need 4 CPU and 8Gi more room/);
    assert.match(message, /surviving nodes have 7\.6 CPU/);
  });

  test('with room in the surviving zones every zone loss holds', () => {
    const report = checkFiles([dump('three-zones-holds.json')], { clusterState: true });
    const losses = report.results.filter((r) => r.rule === 'zone-loss-capacity');
    assert.equal(losses.length, 3);
    assert.deepEqual(
      losses.filter((r) => r.finding),
      [],
    );
    assert.equal(report.results.find((r) => r.rule === 'nodes-zone-span')?.finding, undefined);
  });

  test('DaemonSet pods and finished pods are not moved', () => {
    const report = checkFiles([dump('three-zones-holds.json')], { clusterState: true });
    // Zones b and c run only DaemonSet pods (and a finished Job pod): nothing to move, nothing to fail.
    assert.equal(report.findings.filter((f) => f.rule === 'zone-loss-capacity').length, 0);
  });

  test('required anti-affinity on the zone makes any zone loss unplaceable', () => {
    const antiAffinity = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { app: 'quorum' } } },
          ],
        },
      },
    };
    const nodes = [node('a1', 'a', '16'), node('b1', 'b', '16'), node('c1', 'c', '16')];
    const pods = ['a1', 'b1', 'c1'].map((n, i) => pod(`quorum-${i}`, n, 'quorum', '1', antiAffinity));
    const losses = simulateZoneLosses(nodes, pods);
    assert.equal(losses.length, 3);
    for (const loss of losses) {
      assert.equal(loss.unplaced.length, 1);
      assert.equal(loss.unplaced[0]!.reason, 'required pod anti-affinity');
    }
    // Without the anti-affinity the same pods fit easily.
    const free = simulateZoneLosses(
      nodes,
      ['a1', 'b1', 'c1'].map((n, i) => pod(`q-${i}`, n, 'quorum', '1')),
    );
    assert.ok(free.every((l) => l.unplaced.length === 0));
  });

  test('node selectors limit where a lost zone’s pods may go', () => {
    const nodes = [
      node('a1', 'a', '4', { pool: 'blue' }),
      node('b1', 'b', '4', { pool: 'green' }),
      node('c1', 'c', '4', { pool: 'green' }),
    ];
    const pods = [pod('web-0', 'a1', 'web', '1', { nodeSelector: { pool: 'blue' } })];
    const [lossA] = simulateZoneLosses(nodes, pods);
    assert.equal(lossA!.zone, 'a');
    assert.equal(
      lossA!.unplaced[0]!.reason,
      'no surviving node matches its node selector, affinity or tolerations',
    );
    // Tainted survivors are only usable by pods that tolerate the taint.
    const tainted = [
      node('a1', 'a', '4'),
      { ...node('b1', 'b', '4'), spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } },
    ];
    const [lost] = simulateZoneLosses(tainted, [pod('web-0', 'a1', 'web', '1')]);
    assert.equal(lost!.unplaced.length, 1);
    const [tolerated] = simulateZoneLosses(tainted, [
      pod('web-0', 'a1', 'web', '1', { tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
    ]);
    assert.equal(tolerated!.unplaced.length, 0);
  });

  test('nodes in one zone: the zone span rule fails and the capacity model stays silent', () => {
    const report = checkFiles([join(FIXTURES, 'rules', 'nodes-zone-span', 'fail.json')], {
      clusterState: true,
    });
    assert.match(
      report.findings.find((f) => f.rule === 'nodes-zone-span')!.message,
      /3 worker nodes in 1 zone/,
    );
    assert.equal(report.results.filter((r) => r.rule === 'zone-loss-capacity').length, 0);
  });
});
