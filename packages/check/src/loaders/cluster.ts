import { InputError } from '../errors.ts';
import type { KubeObject } from '../model/objects.ts';
import { emptyLoad, type LoadedObjects } from './manifests.ts';

export interface ClusterInput {
  context?: string;
  namespace?: string;
  /** Explicit kubeconfig file; otherwise KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
}

/** The kinds a dump holds; optional ones (CRDs) are skipped when the API does not serve them. */
export const CLUSTER_KINDS: Array<{
  apiVersion: string;
  kind: string;
  /** Read from every namespace even with --namespace: nodes, and pods, which all take node capacity. */
  everyNamespace?: boolean;
  optional?: boolean;
}> = [
  { apiVersion: 'v1', kind: 'Node', everyNamespace: true },
  { apiVersion: 'v1', kind: 'Pod', everyNamespace: true },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', everyNamespace: true },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', optional: true },
  { apiVersion: 'velero.io/v1', kind: 'Schedule', optional: true },
  { apiVersion: 'velero.io/v1', kind: 'Backup', optional: true },
];

function statusOf(error: unknown): number | undefined {
  const e = error as { code?: number; statusCode?: number; body?: unknown };
  return e?.code ?? e?.statusCode;
}

/**
 * Reads the kubeconfig (an explicit file, or KUBECONFIG / ~/.kube/config) and selects the context; every
 * problem is one line, thrown as the caller's own error (`dalp check` and `dalp drill` both connect so).
 */
export function loadKubeConfig(
  k8s: typeof import('@kubernetes/client-node'),
  input: { kubeconfig?: string; context?: string },
  fail: (message: string) => Error,
): import('@kubernetes/client-node').KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    if (input.kubeconfig) kc.loadFromFile(input.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw fail(`kubeconfig: ${(error as Error).message.split('\n')[0]}`);
  }
  if (input.context) {
    if (!kc.getContextObject(input.context)) throw fail(`kubeconfig has no context "${input.context}"`);
    kc.setCurrentContext(input.context);
  }
  if (!kc.getCurrentCluster()) throw fail('kubeconfig names no current cluster (use --context)');
  return kc;
}

/**
 * Reads the objects from the live API through the kubeconfig. Secrets are never read. The result goes
 * through the same rules as a dump; the client is imported lazily because it is slow to load.
 */
export async function loadCluster(input: ClusterInput): Promise<LoadedObjects> {
  const k8s = await import('@kubernetes/client-node');
  const kc = loadKubeConfig(k8s, input, (message) => new InputError(message));
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const loaded = emptyLoad();
  for (const { apiVersion, kind, everyNamespace, optional } of CLUSTER_KINDS) {
    let items: KubeObject[];
    try {
      const list = await api.list(apiVersion, kind, everyNamespace ? undefined : input.namespace);
      // Round-trip through JSON: the client returns class instances with Date fields; rules read plain JSON.
      items = JSON.parse(JSON.stringify(list.items ?? [])) as KubeObject[];
    } catch (error) {
      const status = statusOf(error);
      if (
        optional &&
        (status === 404 ||
          /not found|Unrecognized API|unable to find/i.test(String((error as Error)?.message)))
      ) {
        continue;
      }
      const reason = status ? `HTTP ${status}` : String((error as Error)?.message ?? error).split('\n')[0];
      throw new InputError(`cannot list ${kind} from ${kc.getCurrentCluster()?.server}: ${reason}`);
    }
    for (const item of items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= kind;
      loaded.objects.push(item);
    }
  }
  return loaded;
}
