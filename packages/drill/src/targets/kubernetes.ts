// A deployed release as a drill target: the workload goes to the release's public URL with an API key
// the user gives, and the faults go through the Kubernetes API (@kubernetes/client-node): delete a pod,
// roll the Deployment, cordon and drain a node through the Eviction API (so PodDisruptionBudgets are
// respected), taint a zone's nodes NoExecute, delete and re-create the release's objects. What the API
// cannot do (fail over a managed database, cut a zone's network) runs as the user's --fault-command.
// Secrets are never read, listed or deleted.
import { spawn } from 'node:child_process';
import type * as k8s from '@kubernetes/client-node';
import { apiLedgerReader, type LedgerReader, sqlLedgerReader } from '../measure/ledger.ts';
import type { FaultContext } from '../scenario.ts';
import { type ApiEndpoint, call } from '../workload/api.ts';
import type { Target, TopologyRow, Watch } from './target.ts';

export interface KubernetesOptions {
  /** The release's public URL (the load balancer or ingress the users reach). */
  url: string;
  namespace: string;
  /** The Helm release name (`app.kubernetes.io/instance`). */
  release: string;
  apiKey: string;
  kubeconfig?: string;
  context?: string;
  /** Read the books straight from the database instead of through the API (more exact: per key). */
  databaseUrl?: string;
}

/** A problem with how the target was named (kubeconfig, context, release): the CLI's exit 2. */
export class KubernetesTargetError extends Error {
  override name = 'KubernetesTargetError';
}

/** The taint that takes a zone's nodes away; removed again when the drill ends. */
export const ZONE_TAINT = { key: 'dalp.io/drill', value: 'zone-loss', effect: 'NoExecute' } as const;
const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** What `kubectl rollout restart` sets: a changed pod template makes the Deployment roll. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The release's objects deleted and re-created by app-tier-rebuild (never Secrets). */
export const RELEASE_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
] as const;

const statusOf = (error: unknown) =>
  (error as { code?: number; statusCode?: number })?.code ?? (error as { statusCode?: number })?.statusCode;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An object as it can be created again: no identity, version, status or server-set fields. */
export function declarative(
  object: k8s.KubernetesObject & { spec?: Record<string, unknown>; status?: unknown },
) {
  const { metadata = {}, status: _status, ...rest } = object;
  const { name, namespace, labels, annotations } = metadata;
  const copy = { ...rest, metadata: { name, namespace, labels, annotations } } as k8s.KubernetesObject & {
    spec?: Record<string, unknown>;
  };
  if (copy.kind === 'Service' && copy.spec) {
    // The cluster assigns these; asking for the old address again can collide with another Service.
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = copy.spec;
    copy.spec = spec;
  }
  return copy;
}

export class KubernetesTarget implements Target {
  readonly kind = 'kubernetes';
  private readonly cordoned = new Set<string>();
  private readonly tainted = new Set<string>();

  private constructor(
    private readonly options: KubernetesOptions,
    private readonly lib: typeof k8s,
    private readonly config: k8s.KubeConfig,
    private readonly core: k8s.CoreV1Api,
    private readonly apps: k8s.AppsV1Api,
    private readonly objects: k8s.KubernetesObjectApi,
  ) {}

  /** Reads the kubeconfig (explicit file, or KUBECONFIG / ~/.kube/config) and picks the context. */
  static async connect(options: KubernetesOptions): Promise<KubernetesTarget> {
    const [lib, { loadKubeConfig }] = await Promise.all([
      import('@kubernetes/client-node'),
      import('@dalp/check'),
    ]);
    const config = loadKubeConfig(lib, options, (message) => new KubernetesTargetError(message));
    return new KubernetesTarget(
      options,
      lib,
      config,
      config.makeApiClient(lib.CoreV1Api),
      config.makeApiClient(lib.AppsV1Api),
      lib.KubernetesObjectApi.makeApiClient(config),
    );
  }

  private get namespace() {
    return this.options.namespace;
  }
  private get selector() {
    return `app.kubernetes.io/instance=${this.options.release},app.kubernetes.io/component=dapp`;
  }
  private mergePatch() {
    return this.lib.setHeaderOptions('Content-Type', this.lib.PatchStrategy.MergePatch);
  }

  describe(): string {
    return `release ${this.options.release} in namespace ${this.namespace} (context ${this.config.getCurrentContext()}) at ${this.options.url}`;
  }

  api(): ApiEndpoint {
    return { baseUrl: this.options.url.replace(/\/$/, ''), key: this.options.apiKey };
  }

  ledgerReader(): LedgerReader {
    if (!this.options.databaseUrl) return apiLedgerReader(this.api());
    const url = this.options.databaseUrl;
    return sqlLedgerReader(async (text, values) => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end();
      }
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Reading the release

  async pods(): Promise<k8s.V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.selector }))
      .items;
  }

  /** The release's dapp Deployment (exactly one). */
  async deployment(): Promise<k8s.V1Deployment> {
    const list = await this.apps.listNamespacedDeployment({
      namespace: this.namespace,
      labelSelector: this.selector,
    });
    if (list.items.length !== 1)
      throw new KubernetesTargetError(
        `expected one Deployment labelled ${this.selector} in ${this.namespace}, found ${list.items.length}`,
      );
    return list.items[0]!;
  }

  /** A ready pod of the release (the first by name): the one a pod fault takes. */
  async pickPod(): Promise<{ name: string; node: string }> {
    const ready = (await this.pods())
      .filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )
      .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    const pod = ready[0];
    if (!pod?.spec?.nodeName) throw new Error(`no ready pod labelled ${this.selector} in ${this.namespace}`);
    return { name: pod.metadata!.name!, node: pod.spec.nodeName };
  }

  async zoneOf(node: string): Promise<string> {
    const zone = (await this.core.readNode({ name: node })).metadata?.labels?.[ZONE_LABEL];
    if (!zone) throw new Error(`node ${node} has no ${ZONE_LABEL} label`);
    return zone;
  }

  /** The Deployment has all its replicas updated, ready and available (bounded). */
  async waitAvailable(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.deployment();
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const done =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        (s.updatedReplicas ?? 0) === want &&
        (s.readyReplicas ?? 0) === want &&
        (s.availableReplicas ?? 0) === want &&
        (s.replicas ?? 0) === want;
      if (done) return;
      if (Date.now() >= deadline)
        throw new Error(
          `deployment ${d.metadata?.name}: ${s.availableReplicas ?? 0}/${want} available after ${Math.round(timeoutMs / 1000)} s`,
        );
      await sleep(1_000);
    }
  }

  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.waitAvailable(timeoutMs);
    while ((await call(this.api(), 'GET', '/readyz', { timeoutMs: 5_000 })).status !== 200) {
      if (Date.now() >= deadline) throw new Error(`${this.options.url}/readyz did not answer 200`);
      await sleep(1_000);
    }
  }

  async topology(): Promise<TopologyRow[]> {
    const [pods, nodes] = await Promise.all([this.pods(), this.core.listNode()]);
    const zone = new Map(
      nodes.items.map((n) => [n.metadata!.name!, n.metadata?.labels?.[ZONE_LABEL] ?? null]),
    );
    return pods.map((p) => {
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
      return {
        name: p.metadata!.name!,
        kind: 'pod',
        zone: zone.get(p.spec?.nodeName ?? '') ?? null,
        node: p.spec?.nodeName ?? '-',
        role: 'replica',
        health: ready ? 'healthy' : 'unhealthy',
        detail: `${p.status?.phase ?? 'Unknown'}, ${restarts} restarts`,
      };
    });
  }

  /** Notes each change of the Deployment's ready replicas (the data services are the provider's to watch). */
  watch(record: Parameters<Target['watch']>[0]): Watch {
    let stopped = false;
    let last: number | undefined;
    const loop = (async () => {
      while (!stopped) {
        const ready = await this.deployment()
          .then((d) => d.status?.readyReplicas ?? 0)
          .catch(() => undefined);
        if (ready !== undefined && last !== undefined && ready !== last)
          record({ kind: 'note', detail: `${ready} ready replicas` });
        if (ready !== undefined) last = ready;
        await sleep(1_000);
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
      },
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Faults

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    await this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds });
  }

  /** Rolls every pod of the Deployment, as `kubectl rollout restart` does, and waits for the rollout. */
  async restartRollout(timeoutMs = 600_000): Promise<string> {
    const d = await this.deployment();
    const name = d.metadata!.name!;
    await this.apps.patchNamespacedDeployment(
      {
        name,
        namespace: this.namespace,
        body: {
          spec: { template: { metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString() } } } },
        },
      },
      this.mergePatch(),
    );
    await this.waitAvailable(timeoutMs);
    return name;
  }

  /**
   * Cordons the node and evicts every pod on it but DaemonSet and mirror pods, through the Eviction API:
   * a PodDisruptionBudget that allows no disruption answers 429, and the eviction is retried until the
   * budget allows it or `timeoutMs` ends. Then waits for the release to be available again.
   */
  async drainNode(node: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, this.mergePatch());
    this.cordoned.add(node);
    const pods = (
      await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })
    ).items.filter(
      (p) =>
        !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') &&
        !p.metadata?.annotations?.['kubernetes.io/config.mirror'],
    );
    for (const pod of pods) {
      const { name, namespace } = pod.metadata as { name: string; namespace: string };
      for (;;) {
        try {
          await this.core.createNamespacedPodEviction({
            name,
            namespace,
            body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
          });
          break;
        } catch (error) {
          const status = statusOf(error);
          if (status === 404) break;
          if (status !== 429 || Date.now() >= deadline)
            throw new Error(
              `evicting ${namespace}/${name} from ${node}: ${status === 429 ? 'the disruption budget never allowed it' : (error as Error).message.split('\n')[0]}`,
            );
          await sleep(2_000);
        }
      }
    }
    await this.waitAvailable(Math.max(1_000, deadline - Date.now()));
  }

  async cordonedByDrill(): Promise<string[]> {
    return [...this.cordoned];
  }

  async uncordon(node: string): Promise<void> {
    await this.core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, this.mergePatch());
    this.cordoned.delete(node);
  }

  private async zoneNodes(zone: string): Promise<k8s.V1Node[]> {
    return (await this.core.listNode({ labelSelector: `${ZONE_LABEL}=${zone}` })).items;
  }

  /** Taints every node of the zone NoExecute: their pods are evicted at once, nothing new lands there. */
  async taintZone(zone: string): Promise<void> {
    this.tainted.add(zone);
    for (const node of await this.zoneNodes(zone)) {
      const taints = (node.spec?.taints ?? []).filter((t) => t.key !== ZONE_TAINT.key);
      await this.core.patchNode(
        { name: node.metadata!.name!, body: { spec: { taints: [...taints, { ...ZONE_TAINT }] } } },
        this.mergePatch(),
      );
    }
  }

  async taintedByDrill(): Promise<string[]> {
    return [...this.tainted];
  }

  async untaintZone(zone: string): Promise<void> {
    for (const node of await this.zoneNodes(zone)) {
      const taints = (node.spec?.taints ?? []).filter((t) => t.key !== ZONE_TAINT.key);
      await this.core.patchNode(
        { name: node.metadata!.name!, body: { spec: { taints } } },
        this.mergePatch(),
      );
    }
    this.tainted.delete(zone);
  }

  /**
   * Deletes the release's objects (RELEASE_KINDS labelled with the release; Secrets stay) and creates
   * them again from what was read before, as re-applying from GitOps does. Returns what was re-applied.
   */
  async recreateRelease(ctx: FaultContext): Promise<string> {
    const label = `app.kubernetes.io/instance=${this.options.release}`;
    const found: k8s.KubernetesObject[] = [];
    for (const { apiVersion, kind } of RELEASE_KINDS) {
      const list = await this.objects
        .list(apiVersion, kind, this.namespace, undefined, undefined, undefined, undefined, label)
        .catch((error) => {
          if (statusOf(error) === 404) return { items: [] };
          throw error;
        });
      for (const item of list.items) found.push(declarative({ ...item, apiVersion, kind }));
    }
    if (!found.some((o) => o.kind === 'Deployment'))
      throw new KubernetesTargetError(
        `release ${this.options.release} has no Deployment in ${this.namespace}`,
      );
    ctx.note('fault', `delete ${found.length} objects of release ${this.options.release}`);
    for (const object of found)
      await this.objects.delete(object, undefined, undefined, undefined, undefined, 'Foreground');
    const gone = async () => {
      for (const object of found) {
        try {
          await this.objects.read({
            apiVersion: object.apiVersion!,
            kind: object.kind!,
            metadata: { name: object.metadata!.name!, namespace: this.namespace },
          });
          return false;
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      }
      return (await this.pods()).length === 0;
    };
    const deadline = Date.now() + 300_000;
    while (!(await gone())) {
      if (Date.now() >= deadline)
        throw new Error(`the objects of release ${this.options.release} were not gone after 300 s`);
      await sleep(1_000);
    }
    for (const object of found) await this.objects.create(object);
    ctx.note('note', `created ${found.length} objects again`);
    await this.waitAvailable(600_000);
    return found.map((o) => `${o.kind} ${o.metadata!.name}`).join(', ');
  }

  async runFaultCommand(ctx: FaultContext, scenario: string): Promise<void> {
    const command = ctx.options.faultCommand;
    if (!command) throw new KubernetesTargetError(`${scenario} on Kubernetes needs --fault-command`);
    ctx.note('fault', `fault command: ${command}`);
    ctx.note('note', await runShell(command, ctx.options.holdMs));
  }

  async runRestoreCommand(ctx: FaultContext): Promise<void> {
    const command = ctx.options.restoreCommand;
    if (!command) return;
    ctx.note('note', `restore command: ${command}`);
    ctx.note('note', await runShell(command, ctx.options.holdMs));
  }

  async close(): Promise<void> {}
}

/** Runs a user command through the shell (bounded); resolves with its last output line, rejects on failure. */
export function runShell(command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = output.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(`command ended: ${last || 'no output'}`);
      else reject(new Error(`command ${signal ? `killed by ${signal}` : `exited ${code}`}: ${last}`));
    });
  });
}
