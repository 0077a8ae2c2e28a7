// A stand-in for the Kubernetes API server, the one component that cannot run on this machine: it
// serves the objects of a `kubectl get ... -o json` dump over the API's own paths, applies merge patches,
// evictions and deletions to them, and records every request, so the drills' Kubernetes target is
// exercised through the real @kubernetes/client-node over HTTP. It implements only the calls the target
// makes; it is no scheduler and no controller (nothing is re-created after an eviction).
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body?: unknown;
  contentType?: string;
  status: number;
}

export interface FakeKubeApi {
  url: string;
  objects: KubeObject[];
  requests: RecordedRequest[];
  /** Evictions of these pods answer 429 (a PodDisruptionBudget allowing no disruption) this many times. */
  budgetRefusals: Map<string, number>;
  kubeconfig(): string;
  close(): Promise<void>;
}

/** The resources the fake serves generically (discovery, list, read, create, delete), by group/version. */
const RESOURCES: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  v1: [
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'nodes', kind: 'Node', namespaced: false },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
  ],
  'apps/v1': [{ name: 'deployments', kind: 'Deployment', namespaced: true }],
  'policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  'autoscaling/v2': [{ name: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true }],
  'networking.k8s.io/v1': [
    { name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
    { name: 'ingresses', kind: 'Ingress', namespaced: true },
  ],
};

const matches = (labels: Record<string, string> = {}, selector: string | null) =>
  !selector ||
  selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels[key!] === value;
  });

/** RFC 7386 merge patch: objects merge, anything else (arrays included) replaces, null removes. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>) {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof target[key] === 'object')
      mergePatch(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text ? JSON.parse(text) : undefined;
}

export async function startFakeKubeApi(dumpPath: string): Promise<FakeKubeApi> {
  const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as { items: KubeObject[] };
  const objects = dump.items;
  const requests: RecordedRequest[] = [];
  const budgetRefusals = new Map<string, number>();
  const find = (kind: string, name: string, namespace?: string) =>
    objects.find(
      (o) =>
        o.kind === kind && o.metadata.name === name && (!namespace || o.metadata.namespace === namespace),
    );
  const list = (kind: string, items: KubeObject[]) => ({
    apiVersion: 'v1',
    kind: `${kind}List`,
    metadata: { resourceVersion: '1' },
    items,
  });
  const status = (code: number, reason: string, message: string) => ({
    apiVersion: 'v1',
    kind: 'Status',
    status: 'Failure',
    code,
    reason,
    message,
  });

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = await readBody(request);
    const answer = (code: number, value: unknown) => {
      requests.push({
        method: request.method!,
        path: url.pathname + url.search,
        body,
        contentType: request.headers['content-type'],
        status: code,
      });
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const labelSelector = url.searchParams.get('labelSelector');
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))$/.exec(url.pathname);
    if (request.method === 'GET' && discovery) {
      const groupVersion = (discovery[1] ?? discovery[2])!;
      const resources = RESOURCES[groupVersion];
      if (!resources) return answer(404, status(404, 'NotFound', groupVersion));
      return answer(200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources });
    }
    // Any other namespaced object: list, read, create, delete. Deleting a Deployment removes its pods, as
    // the garbage collector does for a foreground deletion; a created Deployment is available at once.
    const generic =
      /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(
        url.pathname,
      );
    const resource = generic && RESOURCES[(generic[1] ?? generic[2])!]?.find((r) => r.name === generic[4]);
    // Pods and Deployments have their own routes below, but for a Deployment's creation and deletion.
    const handledHere =
      resource &&
      resource.name !== 'pods' &&
      (resource.name !== 'deployments' || request.method === 'POST' || request.method === 'DELETE');
    if (generic && resource && handledHere) {
      const [, , , namespace, , name] = generic;
      const existing = name ? find(resource.kind, name, namespace) : undefined;
      if (request.method === 'GET' && !name)
        return answer(
          200,
          list(
            resource.kind,
            objects.filter(
              (o) =>
                o.kind === resource.kind &&
                o.metadata.namespace === namespace &&
                matches(o.metadata.labels, labelSelector),
            ),
          ),
        );
      if (request.method === 'POST' && !name) {
        const created = structuredClone(body) as KubeObject;
        if (find(created.kind, created.metadata.name, namespace))
          return answer(
            409,
            status(409, 'AlreadyExists', `${resource.name} "${created.metadata.name}" already exists`),
          );
        if (created.kind === 'Deployment') {
          const replicas = Number(created.spec?.replicas ?? 1);
          created.metadata.generation = 1;
          created.status = {
            observedGeneration: 1,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
          };
        }
        objects.push(created);
        return answer(201, created);
      }
      if (!existing) return answer(404, status(404, 'NotFound', `${resource.name} "${name}" not found`));
      if (request.method === 'GET') return answer(200, existing);
      if (request.method === 'DELETE') {
        objects.splice(objects.indexOf(existing), 1);
        if (existing.kind === 'Deployment') {
          const selector =
            (existing.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels ?? {};
          for (const pod of objects.filter(
            (o) =>
              o.kind === 'Pod' &&
              o.metadata.namespace === namespace &&
              Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
          ))
            objects.splice(objects.indexOf(pod), 1);
        }
        return answer(200, status(200, '', ''));
      }
      return answer(405, status(405, 'MethodNotAllowed', `${request.method} ${url.pathname}`));
    }
    const fieldSelector = url.searchParams.get('fieldSelector');
    const path = url.pathname;
    const nodePath = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
    const podsPath = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    const podPath = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(path);
    const deploymentsPath = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments$/.exec(path);
    const deploymentPath = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && path === '/api/v1/nodes')
      return answer(
        200,
        list(
          'Node',
          objects.filter((o) => o.kind === 'Node' && matches(o.metadata.labels, labelSelector)),
        ),
      );
    if (nodePath) {
      const m = nodePath;
      const node = find('Node', m[1]!);
      if (!node) return answer(404, status(404, 'NotFound', `nodes "${m[1]}" not found`));
      if (request.method === 'PATCH') mergePatch(node as never, body as Record<string, unknown>);
      return answer(200, node);
    }
    if (request.method === 'GET' && path === '/api/v1/pods') {
      const onNode = fieldSelector?.startsWith('spec.nodeName=') ? fieldSelector.slice(14) : undefined;
      return answer(
        200,
        list(
          'Pod',
          objects.filter((o) => o.kind === 'Pod' && (!onNode || o.spec?.nodeName === onNode)),
        ),
      );
    }
    if (request.method === 'GET' && podsPath)
      return answer(
        200,
        list(
          'Pod',
          objects.filter(
            (o) =>
              o.kind === 'Pod' &&
              o.metadata.namespace === podsPath[1] &&
              matches(o.metadata.labels, labelSelector),
          ),
        ),
      );
    if (podPath) {
      const [, namespace, name, eviction] = podPath;
      const pod = find('Pod', name!, namespace);
      if (!pod) return answer(404, status(404, 'NotFound', `pods "${name}" not found`));
      if (eviction && request.method === 'POST') {
        const refusals = budgetRefusals.get(name!) ?? 0;
        if (refusals > 0) {
          budgetRefusals.set(name!, refusals - 1);
          return answer(
            429,
            status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod disruption budget.'),
          );
        }
      } else if (request.method !== 'DELETE') return answer(405, status(405, 'MethodNotAllowed', path));
      objects.splice(objects.indexOf(pod), 1);
      return answer(eviction ? 201 : 200, eviction ? status(201, '', '') : pod);
    }
    if (request.method === 'GET' && deploymentsPath)
      return answer(
        200,
        list(
          'Deployment',
          objects.filter(
            (o) =>
              o.kind === 'Deployment' &&
              o.metadata.namespace === deploymentsPath[1] &&
              matches(o.metadata.labels, labelSelector),
          ),
        ),
      );
    if (deploymentPath) {
      const m = deploymentPath;
      const deployment = find('Deployment', m[2]!, m[1]);
      if (!deployment) return answer(404, status(404, 'NotFound', `deployments "${m[2]}" not found`));
      if (request.method === 'PATCH') {
        mergePatch(deployment as never, body as Record<string, unknown>);
        deployment.metadata.generation = Number(deployment.metadata.generation ?? 0) + 1;
        // The rollout completes at once: the fake has no controller to make it gradual.
        deployment.status!.observedGeneration = deployment.metadata.generation;
      }
      return answer(200, deployment);
    }
    return answer(
      404,
      status(404, 'NotFound', `the fake API server does not serve ${request.method} ${path}`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    objects,
    requests,
    budgetRefusals,
    kubeconfig: () =>
      [
        'apiVersion: v1',
        'kind: Config',
        // Plain HTTP on loopback: the client allows it only with TLS verification explicitly off.
        `clusters: [{name: fake, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: drill, user: {token: not-a-secret}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: drill, namespace: dalp}}]',
        'current-context: fake',
        '',
      ].join('\n'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
