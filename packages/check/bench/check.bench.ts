import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { runCheck } from '../src/engine.ts';
import { parseManifests } from '../src/loaders/manifests.ts';
import { validateObjects } from '../src/loaders/validate.ts';
import type { KubeObject } from '../src/model/objects.ts';
import { DEFAULT_OPTIONS } from '../src/score/context.ts';

// `dalp check` throughput: a generated manifest set of 5,000 objects and a 500-node cluster dump, each
// also at a tenth of the size, to show that time grows linearly with the input (10x input ~ 10x time).
// Timed from text to report (parse + schema validation + all rules), best of several runs after a warm-up.

const APPS_PER_NAMESPACE = 10;

function app(ns: string, name: string, replicas: number): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: labels },
                    },
                  },
                ],
              },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: labels },
              },
            ],
            containers: [
              {
                name,
                image: `registry.example.com/${name}:1.0.0`,
                ports: [{ name: 'http', containerPort: 8080 }],
                envFrom: [{ configMapRef: { name } }],
                env: [{ name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name, key: 'password' } } }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { selector: labels, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: ns },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 2,
        maxReplicas: 10,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns },
      data: {
        DATABASE_HOST: 'db.example.com',
        DATABASE_SSLMODE: 'verify-full',
        CACHE_URL: 'rediss://cache.example.com:6379',
      },
    },
  ];
}

/** A manifest set of about `count` objects: apps of five objects, ten apps per namespace. */
export function generateManifests(count: number): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let i = 0; objects.length < count; i++) {
    objects.push(...app(`tenant-${Math.floor(i / APPS_PER_NAMESPACE)}`, `app-${i}`, 2 + (i % 3)));
  }
  return objects.slice(0, count);
}

/** A dump of `nodeCount` nodes over three zones, ten running pods per node from 10-replica Deployments. */
export function generateDump(nodeCount: number): KubeObject[] {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  const nodes: KubeObject[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const name = `node-${i}`;
    nodes.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zones[i % 3]! },
      },
      status: {
        allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }
  const objects: KubeObject[] = [...nodes];
  let nodeIndex = 0;
  for (let d = 0; d < nodeCount; d++) {
    const ns = `tenant-${Math.floor(d / APPS_PER_NAMESPACE)}`;
    const [deployment, service, pdb] = app(ns, `app-${d}`, 10);
    objects.push(deployment!, service!, pdb!);
    const template = deployment!.spec.template;
    for (let r = 0; r < 10; r++) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `app-${d}-${r}`,
          namespace: ns,
          labels: template.metadata.labels,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: `app-${d}-rs`,
              uid: `uid-${d}`,
              controller: true,
            },
          ],
        },
        spec: { ...template.spec, nodeName: `node-${nodeIndex++ % nodeCount}` },
        status: { phase: 'Running' },
      });
    }
  }
  return objects;
}

/** Best of the runs: on a machine shared with other work the minimum is the least noisy estimate of cost. */
function best(values: number[]): number {
  return Math.min(...values);
}

/** Best-of-runs milliseconds to parse the text and run every rule, and the rules' share of it. */
function time(
  text: string,
  file: string,
  clusterState: boolean,
  runs: number,
): { ms: number; rulesMs: number; objects: number; findings: number } {
  let objects = 0;
  let findings = 0;
  const samples: number[] = [];
  const ruleSamples: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    const loaded = parseManifests(text, file);
    validateObjects(loaded);
    const parsed = performance.now();
    const options = { ...DEFAULT_OPTIONS, now: new Date(), clusterState };
    const report = runCheck(loaded.objects, options, loaded.sources);
    const end = performance.now();
    // The first run warms up the JIT and is not counted.
    if (i > 0) {
      samples.push(end - start);
      ruleSamples.push(end - parsed);
    }
    objects = loaded.objects.length;
    findings = report.findings.length;
  }
  return { ms: best(samples), rulesMs: best(ruleSamples), objects, findings };
}

export async function runCheckBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  const cases: Array<{
    name: string;
    small: () => string;
    large: () => string;
    file: string;
    cluster: boolean;
  }> = [
    {
      name: 'manifests (YAML)',
      small: () =>
        generateManifests(500)
          .map((o) => stringify(o))
          .join('---\n'),
      large: () =>
        generateManifests(5000)
          .map((o) => stringify(o))
          .join('---\n'),
      file: 'bench.yaml',
      cluster: false,
    },
    {
      name: 'cluster dump (JSON)',
      small: () => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generateDump(50) }),
      large: () => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generateDump(500) }),
      file: 'dump.json',
      cluster: true,
    },
  ];
  for (const c of cases) {
    const small = time(c.small(), c.file, c.cluster, 15);
    const large = time(c.large(), c.file, c.cluster, 5);
    for (const [size, r] of [
      ['1x', small],
      ['10x', large],
    ] as const) {
      rows.push({
        input: `${c.name} ${size}`,
        objects: r.objects,
        ...(c.cluster ? { nodes: size === '1x' ? 50 : 500 } : { nodes: '-' }),
        findings: r.findings,
        'best ms': Number(r.ms.toFixed(1)),
        'of which rules ms': Number(r.rulesMs.toFixed(1)),
        'objects/s': Math.round((r.objects / r.ms) * 1000),
        'time ratio 10x/1x': size === '10x' ? Number((large.ms / small.ms).toFixed(2)) : '-',
        'input ratio': size === '10x' ? Number((large.objects / small.objects).toFixed(2)) : '-',
      });
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // No top-level await: importers compiled to CommonJS (tsx outside an ESM package) could not load it.
  runCheckBench().then((rows) => console.table(rows));
}
