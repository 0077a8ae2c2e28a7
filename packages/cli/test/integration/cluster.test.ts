import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dalp } from '../support/run-cli.ts';

// `--cluster` against an HTTP server that speaks the parts of the Kubernetes API the real
// @kubernetes/client-node uses (discovery + list, bearer auth), serving the objects of a dump fixture.
// No kube-apiserver binary can be installed here; this keeps the real client, kubeconfig handling and
// HTTP path under test, and proves that --cluster and --dump give the same report.

const ROOT = new URL('../../../../', import.meta.url).pathname;
const DUMP = join(ROOT, 'packages/check/test/fixtures/dumps/three-zones-fails.json');
const TOKEN = 'test-token';

const GROUPS: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>> = {
  '/api/v1': [
    { name: 'nodes', kind: 'Node', namespaced: false },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
  ],
  '/apis/storage.k8s.io/v1': [{ name: 'storageclasses', kind: 'StorageClass', namespaced: false }],
  '/apis/apps/v1': [
    { name: 'deployments', kind: 'Deployment', namespaced: true },
    { name: 'statefulsets', kind: 'StatefulSet', namespaced: true },
    { name: 'daemonsets', kind: 'DaemonSet', namespaced: true },
    { name: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  ],
  '/apis/policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  '/apis/autoscaling/v2': [
    { name: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true },
  ],
  '/apis/monitoring.coreos.com/v1': [{ name: 'prometheusrules', kind: 'PrometheusRule', namespaced: true }],
  // velero.io is not installed: discovery answers 404, as a real API server does.
};

let server: Server;
let work: string;
let kubeconfig: string;
const requested: string[] = [];

function startServer(objects: Array<{ kind: string; metadata?: { namespace?: string } }>): Promise<number> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requested.push(url.pathname);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return send(401, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const discovery = GROUPS[url.pathname];
    if (discovery) {
      return send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: url.pathname.replace(/^\/apis?\//, ''),
        resources: discovery.map((r) => ({ ...r, singularName: '', verbs: ['get', 'list'] })),
      });
    }
    for (const [prefix, resources] of Object.entries(GROUPS)) {
      const match = new RegExp(`^${prefix}(?:/namespaces/([^/]+))?/([a-z]+)$`).exec(url.pathname);
      const resource = match && resources.find((r) => r.name === match[2]);
      if (!match || !resource) continue;
      const namespace = match[1];
      const items = objects
        .filter((o) => o.kind === resource.kind && (!namespace || o.metadata?.namespace === namespace))
        // A real list response carries kind/apiVersion on the list, not on its items.
        .map(({ kind: _kind, apiVersion: _apiVersion, ...rest }: Record<string, unknown>) => rest);
      return send(200, { kind: `${resource.kind}List`, apiVersion: 'v1', metadata: {}, items });
    }
    send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function writeKubeconfig(file: string, port: number, token: string): void {
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // Plain HTTP on loopback; the client only allows it with TLS verification explicitly off.
      `- name: lab\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: checker\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: lab\n  context:\n    cluster: lab\n    user: checker',
      'current-context: lab',
      '',
    ].join('\n'),
  );
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'dalp-cluster-'));
  const port = await startServer(JSON.parse(readFileSync(DUMP, 'utf8')).items);
  kubeconfig = join(work, 'kubeconfig');
  writeKubeconfig(kubeconfig, port, TOKEN);
  writeKubeconfig(join(work, 'bad-token'), port, 'wrong');
});
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('dalp check --cluster', () => {
  test('reports exactly what --dump reports for the same objects', async () => {
    const live = await dalp(['check', '--cluster', '--kubeconfig', kubeconfig, '--format', 'json']);
    assert.equal(live.code, 1, live.stderr);
    const dump = await dalp(['check', '--dump', DUMP, '--format', 'json']);
    const strip = (text: string) =>
      JSON.parse(text).findings.map(({ source: _s, ...f }: Record<string, unknown>) => f);
    assert.deepEqual(JSON.parse(live.stdout).summary, JSON.parse(dump.stdout).summary);
    assert.deepEqual(strip(live.stdout), strip(dump.stdout));
    assert.ok(strip(live.stdout).some((f: { rule: string }) => f.rule === 'zone-loss-capacity'));
    // The optional CRDs that are not installed were skipped, Secrets were never requested.
    assert.ok(requested.includes('/apis/velero.io/v1'));
    assert.ok(!requested.some((p) => p.includes('secrets')));
  });

  test('--namespace limits namespaced lists; nodes and pods (capacity) stay cluster-wide', async () => {
    requested.length = 0;
    const run = await dalp([
      'check',
      '--cluster',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'lab',
      '-n',
      'shop',
      '--format',
      'json',
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(requested.includes('/api/v1/nodes'));
    assert.ok(requested.includes('/api/v1/pods'));
    assert.ok(requested.includes('/apis/apps/v1/namespaces/shop/deployments'));
    assert.ok(!requested.includes('/apis/apps/v1/deployments'));
  });

  test('a rejected token, an unknown context and a missing kubeconfig are one-line errors', async () => {
    const denied = await dalp(['check', '--cluster', '--kubeconfig', join(work, 'bad-token')]);
    assert.equal(denied.code, 2);
    assert.match(denied.stderr, /^dalp: cannot list Node from http:\/\/127\.0\.0\.1:\d+: HTTP 401\n$/);
    const context = await dalp(['check', '--cluster', '--kubeconfig', kubeconfig, '--context', 'prod']);
    assert.equal(context.code, 2);
    assert.equal(context.stderr, 'dalp: kubeconfig has no context "prod"\n');
    const missing = await dalp(['check', '--cluster', '--kubeconfig', join(work, 'none')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^dalp: kubeconfig: .*\n$/);
  });
});
