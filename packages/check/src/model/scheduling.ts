import type { KubeObject } from './objects.ts';
import { parseQuantity } from './quantity.ts';
import { type LabelSelector, selectorMatches } from './selector.ts';
import { containersOf, type PodSpec, type Workload } from './workload.ts';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
/** Labels that name one node group / pool on the managed Kubernetes offerings. */
export const NODE_GROUP_KEYS = [
  'eks.amazonaws.com/nodegroup',
  'alpha.eksctl.io/nodegroup-name',
  'karpenter.sh/nodepool',
  'cloud.google.com/gke-nodepool',
  'kubernetes.azure.com/agentpool',
  'agentpool',
  'node.kubernetes.io/instance-group',
  'node-group',
  'nodegroup',
];

interface AffinityTerm {
  topologyKey?: string;
  labelSelector?: LabelSelector;
  namespaces?: string[];
}

function antiAffinityTerms(spec: PodSpec): { required: AffinityTerm[]; preferred: AffinityTerm[] } {
  const anti = spec?.affinity?.podAntiAffinity ?? {};
  return {
    required: anti.requiredDuringSchedulingIgnoredDuringExecution ?? [],
    preferred: (anti.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
      (p: { podAffinityTerm?: AffinityTerm }) => p.podAffinityTerm ?? {},
    ),
  };
}

/** How the workload spreads its own replicas over a topology key, if at all. */
export function spreadOn(w: Workload, keys: readonly string[]): 'required' | 'preferred' | undefined {
  const own = (selector: LabelSelector | undefined) => !!selector && selectorMatches(selector, w.podLabels);
  const { required, preferred } = antiAffinityTerms(w.podSpec);
  const constraints: Array<{
    topologyKey?: string;
    labelSelector?: LabelSelector;
    whenUnsatisfiable?: string;
  }> = w.podSpec?.topologySpreadConstraints ?? [];
  const hard =
    required.some((t) => keys.includes(t.topologyKey ?? '') && own(t.labelSelector)) ||
    constraints.some(
      (c) =>
        keys.includes(c.topologyKey ?? '') &&
        own(c.labelSelector) &&
        c.whenUnsatisfiable !== 'ScheduleAnyway',
    );
  if (hard) return 'required';
  const soft =
    preferred.some((t) => keys.includes(t.topologyKey ?? '') && own(t.labelSelector)) ||
    constraints.some((c) => keys.includes(c.topologyKey ?? '') && own(c.labelSelector));
  return soft ? 'preferred' : undefined;
}

export function requiredAntiAffinity(spec: PodSpec): AffinityTerm[] {
  return antiAffinityTerms(spec).required;
}

/** Node selector terms of required node affinity (ORed), each a list of expressions (ANDed). */
function requiredNodeTerms(spec: PodSpec): Array<{
  matchExpressions?: LabelSelector['matchExpressions'];
  matchFields?: LabelSelector['matchExpressions'];
}> {
  return (
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
  );
}

/**
 * Pinning that the pod spec alone proves: nodeName, or a nodeSelector / required node affinity that allows
 * one single value of a host, zone or node-group label.
 */
export function staticPinning(spec: PodSpec): string | undefined {
  if (typeof spec?.nodeName === 'string' && spec.nodeName) return `spec.nodeName ${spec.nodeName}`;
  const keys = [HOSTNAME_KEY, ...ZONE_KEYS, ...NODE_GROUP_KEYS];
  const nodeSelector: Record<string, string> = spec?.nodeSelector ?? {};
  for (const key of keys) {
    if (nodeSelector[key] !== undefined) return `nodeSelector ${key}=${nodeSelector[key]}`;
  }
  const terms = requiredNodeTerms(spec);
  if (terms.length === 0) return undefined;
  for (const key of keys) {
    const values = new Set<string>();
    let everyTermPins = true;
    for (const term of terms) {
      const expr = (term.matchExpressions ?? []).find((e) => e.key === key && e.operator === 'In');
      if (!expr?.values || expr.values.length === 0) {
        everyTermPins = false;
        break;
      }
      for (const v of expr.values) values.add(v);
    }
    if (everyTermPins && values.size === 1) return `required node affinity ${key} in [${[...values][0]}]`;
  }
  return undefined;
}

export function zoneOf(node: KubeObject): string | undefined {
  const labels = node.metadata?.labels ?? {};
  for (const key of ZONE_KEYS) if (labels[key]) return labels[key];
  return undefined;
}

export function isNodeReady(node: KubeObject): boolean {
  if (node.spec?.unschedulable) return false;
  const conditions: Array<{ type?: string; status?: string }> = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  // A hand-written dump may omit conditions; treat that as ready rather than discard the node.
  return !ready || ready.status === 'True';
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
interface Taint {
  key: string;
  value?: string;
  effect: string;
}

function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/** Whether the scheduler may place a pod with this spec on the node (selector, affinity, taints). */
export function podFitsNodeRules(spec: PodSpec, node: KubeObject): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries((spec?.nodeSelector ?? {}) as Record<string, string>)) {
    if (labels[key] !== value) return false;
  }
  const terms = requiredNodeTerms(spec);
  if (terms.length > 0) {
    const fields = { 'metadata.name': node.metadata?.name ?? '' };
    const anyTerm = terms.some(
      (term) =>
        selectorMatches({ matchExpressions: term.matchExpressions ?? [] }, labels) &&
        selectorMatches({ matchExpressions: term.matchFields ?? [] }, fields),
    );
    if (!anyTerm) return false;
  }
  const taints: Taint[] = node.spec?.taints ?? [];
  const tolerations: Toleration[] = spec?.tolerations ?? [];
  return taints
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .every((t) => tolerates(tolerations, t));
}

export interface Resources {
  cpu: number;
  memory: number;
  pods: number;
}

/** Scheduler view of a pod's request: max(sum of containers, largest init container) + overhead. */
export function podRequests(spec: PodSpec): Resources {
  const get = (c: { resources?: { requests?: Record<string, unknown> } }, key: string) =>
    parseQuantity(c?.resources?.requests?.[key]) ?? 0;
  let cpu = 0;
  let memory = 0;
  for (const c of containersOf(spec)) {
    cpu += get(c, 'cpu');
    memory += get(c, 'memory');
  }
  for (const c of spec?.initContainers ?? []) {
    cpu = Math.max(cpu, get(c, 'cpu'));
    memory = Math.max(memory, get(c, 'memory'));
  }
  cpu += parseQuantity(spec?.overhead?.cpu) ?? 0;
  memory += parseQuantity(spec?.overhead?.memory) ?? 0;
  return { cpu, memory, pods: 1 };
}

export function allocatable(node: KubeObject): Resources {
  const a = node.status?.allocatable ?? node.status?.capacity ?? {};
  return {
    cpu: parseQuantity(a.cpu) ?? 0,
    memory: parseQuantity(a.memory) ?? 0,
    pods: parseQuantity(a.pods) ?? 110,
  };
}

/** Pods with equal node selector, node affinity and tolerations may land on the same nodes. */
export function placementSignature(spec: PodSpec): string {
  // nodeName is left out on purpose: it is where a running pod is now, not where it may go next.
  return JSON.stringify([spec?.nodeSelector, spec?.affinity?.nodeAffinity, spec?.tolerations]);
}
