// The Kubernetes target's fault code through the real @kubernetes/client-node, against a fake API server
// serving a `kubectl get -o json` dump (no cluster can run here: docs/drills.md says what never ran
// against a real one). What is checked is what the target asks the API for: the patches, evictions
// and deletions, their order and their bodies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { declarative, KubernetesTarget, ZONE_TAINT } from '../../src/targets/kubernetes.ts';
import { type FakeKubeApi, type KubeObject, startFakeKubeApi } from '../support/fake-kube-api.ts';

const DUMP = fileURLToPath(new URL('../fixtures/release.json', import.meta.url));

let api: FakeKubeApi;
let work: string;
let kubeconfig: string;

const connect = (more: Partial<Parameters<typeof KubernetesTarget.connect>[0]> = {}) =>
  KubernetesTarget.connect({
    url: 'http://127.0.0.1:9/',
    namespace: 'dalp',
    release: 'dalp',
    apiKey: 'drill-key',
    kubeconfig,
    ...more,
  });
const node = (name: string) => api.objects.find((o) => o.kind === 'Node' && o.metadata.name === name)!;
const taints = (name: string) => (node(name).spec?.taints ?? []) as { key: string; effect: string }[];
const writes = () => api.requests.filter((r) => r.method !== 'GET');

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'dalp-drill-k8s-'));
  kubeconfig = join(work, 'kubeconfig');
  api = await startFakeKubeApi(DUMP);
  writeFileSync(kubeconfig, api.kubeconfig());
});
after(async () => {
  await api.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the Kubernetes target against a fake API server', () => {
  test('a kubeconfig that cannot be read or lacks the context is a usage error', async () => {
    await assert.rejects(connect({ kubeconfig: join(work, 'missing') }), {
      name: 'KubernetesTargetError',
    });
    await assert.rejects(connect({ context: 'prod' }), {
      name: 'KubernetesTargetError',
      message: 'kubeconfig has no context "prod"',
    });
  });

  test("the topology and the pod a fault takes are read from the release's pods and the nodes' zones", async () => {
    const target = await connect();
    const rows = await target.topology();
    assert.deepEqual(
      rows.map((r) => [r.name, r.zone, r.node, r.health]),
      [
        ['dalp-dapp-7d9f-a1x', 'zone-a', 'a1', 'healthy'],
        ['dalp-dapp-7d9f-b1x', 'zone-b', 'b1', 'healthy'],
        ['dalp-dapp-7d9f-c1x', 'zone-c', 'c1', 'unhealthy'],
      ],
      'only pods of the release (instance and component labels), with their node zone',
    );
    assert.equal(rows[1]!.detail, 'Running, 1 restarts');
    assert.deepEqual(await target.pickPod(), { name: 'dalp-dapp-7d9f-a1x', node: 'a1' });
    assert.equal(await target.zoneOf('b1'), 'zone-b');
    assert.match(target.describe(), /release dalp in namespace dalp \(context fake\)/);
  });

  test('drain: cordon, then evict every pod on the node but DaemonSet and mirror pods, retrying while a PDB refuses', async () => {
    const target = await connect();
    api.requests.length = 0;
    api.budgetRefusals.set('dalp-dapp-7d9f-a1x', 2);
    await target.drainNode('a1', 30_000);
    const [cordon, ...evictions] = writes();
    assert.equal(cordon!.path, '/api/v1/nodes/a1');
    assert.deepEqual(cordon!.body, { spec: { unschedulable: true } });
    assert.equal(cordon!.contentType, 'application/merge-patch+json');
    assert.deepEqual(
      evictions.map((e) => [e.path, e.status]),
      [
        ['/api/v1/namespaces/dalp/pods/dalp-dapp-7d9f-a1x/eviction', 429],
        ['/api/v1/namespaces/dalp/pods/dalp-dapp-7d9f-a1x/eviction', 429],
        ['/api/v1/namespaces/dalp/pods/dalp-dapp-7d9f-a1x/eviction', 201],
        ['/api/v1/namespaces/other/pods/worker-5c4d-a1x/eviction', 201],
      ],
      'the Eviction API (never a plain delete), the DaemonSet and mirror pods left alone',
    );
    assert.deepEqual(await target.cordonedByDrill(), ['a1']);
    await target.uncordon('a1');
    assert.equal(node('a1').spec?.unschedulable, false);
    assert.deepEqual(await target.cordonedByDrill(), []);
  });

  test('a PDB that never allows the eviction ends the drain with a message saying so', async () => {
    const target = await connect();
    api.budgetRefusals.set('dalp-dapp-7d9f-b1x', 1_000);
    await assert.rejects(target.drainNode('b1', 3_000), {
      message: 'evicting dalp/dalp-dapp-7d9f-b1x from b1: the disruption budget never allowed it',
    });
    api.budgetRefusals.clear();
    await target.uncordon('b1');
  });

  test("zone loss taints every node of the zone NoExecute and the undo removes only the drill's taint", async () => {
    const target = await connect();
    await target.taintZone('zone-a');
    for (const name of ['a1', 'a2'])
      assert.ok(
        taints(name).some((t) => t.key === ZONE_TAINT.key && t.effect === 'NoExecute'),
        `${name} tainted`,
      );
    assert.ok(
      taints('a1').some((t) => t.key === 'dedicated'),
      "the node's own taints are kept",
    );
    assert.deepEqual(taints('b1'), [], 'other zones untouched');
    assert.deepEqual(await target.taintedByDrill(), ['zone-a']);
    await target.untaintZone('zone-a');
    assert.deepEqual(
      taints('a1').map((t) => t.key),
      ['dedicated'],
    );
    assert.deepEqual(taints('a2'), []);
  });

  test('a rolling update changes the pod template as `kubectl rollout restart` does and waits for the rollout', async () => {
    const target = await connect();
    api.requests.length = 0;
    assert.equal(await target.restartRollout(10_000), 'dalp-dapp');
    const [patch] = writes();
    assert.equal(patch!.path, '/apis/apps/v1/namespaces/dalp/deployments/dalp-dapp');
    const annotations = (
      patch!.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }
    ).spec.template.metadata.annotations;
    assert.ok(!Number.isNaN(Date.parse(annotations['kubectl.kubernetes.io/restartedAt']!)));
  });

  test('a deleted pod is deleted with the grace period asked for; no request ever touches a Secret', async () => {
    const target = await connect();
    api.requests.length = 0;
    await target.deletePod('dalp-dapp-7d9f-c1x', 0);
    assert.deepEqual(
      writes().map((r) => [r.method, r.path]),
      [['DELETE', '/api/v1/namespaces/dalp/pods/dalp-dapp-7d9f-c1x?gracePeriodSeconds=0']],
    );
    assert.ok(api.requests.every((r) => !r.path.includes('secret')));
  });

  test("app-tier-rebuild deletes the release's objects (never its Secrets) and creates them again from what it read", async () => {
    const target = await connect();
    api.requests.length = 0;
    const notes: string[] = [];
    const ctx = {
      options: { holdMs: 10_000 },
      note: (_kind: string, detail: string) => notes.push(detail),
      writesBack: async () => true,
      record: () => undefined,
      verify: () => undefined,
      assetId: 'none',
      samples: () => [],
      restored: () => undefined,
    };
    const recreated = await target.recreateRelease(ctx);
    assert.equal(
      recreated,
      'Deployment dalp-dapp, Service dalp, ConfigMap dalp-config, PodDisruptionBudget dalp-dapp',
    );
    const deleted = writes()
      .filter((r) => r.method === 'DELETE')
      .map((r) => r.path.split('?')[0]);
    assert.deepEqual(deleted, [
      '/apis/apps/v1/namespaces/dalp/deployments/dalp-dapp',
      '/api/v1/namespaces/dalp/services/dalp',
      '/api/v1/namespaces/dalp/configmaps/dalp-config',
      '/apis/policy/v1/namespaces/dalp/poddisruptionbudgets/dalp-dapp',
    ]);
    const created = writes().filter((r) => r.method === 'POST');
    assert.equal(created.length, 4);
    for (const { body } of created) {
      const object = body as KubeObject;
      assert.equal(object.status, undefined, `${object.kind}: no status sent`);
      assert.equal(object.metadata.uid, undefined, `${object.kind}: no uid sent`);
      assert.equal(object.metadata.resourceVersion, undefined, `${object.kind}: no resourceVersion sent`);
    }
    const service = created.find((r) => (r.body as KubeObject).kind === 'Service')!.body as KubeObject;
    assert.equal(service.spec?.clusterIP, undefined, 'the cluster assigns a new address');
    assert.deepEqual(service.spec?.ports, [{ name: 'http', port: 80, targetPort: 3000 }]);
    assert.ok(
      api.requests.every((r) => !r.path.includes('/secrets')),
      'no request touches a Secret',
    );
    assert.ok(
      api.objects.some((o) => o.kind === 'Secret'),
      'the Secret is still there',
    );
    assert.deepEqual(notes, ['delete 4 objects of release dalp', 'created 4 objects again']);
  });

  test('an object re-applied by app-tier-rebuild keeps what was declared and drops what the cluster set', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'dalp',
        namespace: 'dalp',
        uid: 'u',
        resourceVersion: '7',
        labels: { a: 'b' },
        managedFields: [],
      },
      spec: { clusterIP: '10.0.0.9', clusterIPs: ['10.0.0.9'], ports: [{ port: 80 }] },
      status: { loadBalancer: {} },
    } as unknown as KubeObject;
    assert.deepEqual(declarative(service as never), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dalp', namespace: 'dalp', labels: { a: 'b' }, annotations: undefined },
      spec: { ports: [{ port: 80 }] },
    });
  });
});
