import type { KubeObject } from '../types.ts';
import {
  allocatable,
  podFitsNodeRules,
  podRequests,
  type Resources,
  requiredAntiAffinity,
  zoneOf,
} from './scheduling.ts';
import { type LabelSelector, selectorMatches } from './selector.ts';
import { namespaceOf } from './workload.ts';

// What happens to a zone's pods when the zone is lost: a first-fit-decreasing placement onto the surviving
// nodes' free allocatable, honouring node selectors, required node affinity, taints and required pod
// anti-affinity. Like the cluster autoscaler's simulator it ignores preferred rules and topology spread
// constraints (soft by default for our charts); it does not add nodes, because a zone outage usually
// comes with capacity shortage in the surviving zones.

export interface ZoneLoss {
  zone: string;
  lostPods: number;
  unplaced: Array<{ pod: string; reason: string; requests: Resources }>;
  /** Requests of the pods that found no place: how much capacity is missing. */
  shortfall: { cpu: number; memory: number };
  survivingFree: { cpu: number; memory: number };
}

interface Placed {
  namespace: string;
  labels: Record<string, string>;
}

interface NodeState {
  node: KubeObject;
  free: Resources;
  pods: Placed[];
}

function isLive(pod: KubeObject): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !!pod.spec?.nodeName;
}

/** Pods the controllers recreate elsewhere: not DaemonSet pods, not static mirror pods, not bare pods. */
function isRescheduled(pod: KubeObject): boolean {
  const owners = pod.metadata?.ownerReferences ?? [];
  if (owners.length === 0) return false;
  if (owners.some((o) => o.kind === 'DaemonSet' || o.kind === 'Node')) return false;
  return !pod.metadata?.annotations?.['kubernetes.io/config.mirror'];
}

function ownerKey(pod: KubeObject): string {
  const owner = pod.metadata?.ownerReferences?.[0];
  return `${namespaceOf(pod)}/${owner?.kind}/${owner?.name}`;
}

export function simulateZoneLosses(nodes: KubeObject[], pods: KubeObject[]): ZoneLoss[] {
  const zoneByNode = new Map<string, string>();
  for (const node of nodes) {
    const zone = zoneOf(node);
    if (zone) zoneByNode.set(node.metadata?.name ?? '', zone);
  }
  const zones = [...new Set(zoneByNode.values())].sort();
  const podsByNode = new Map<string, KubeObject[]>();
  for (const pod of pods) {
    if (!isLive(pod)) continue;
    const list = podsByNode.get(pod.spec.nodeName) ?? [];
    list.push(pod);
    podsByNode.set(pod.spec.nodeName, list);
  }
  return zones.map((zone) => simulateOne(zone, nodes, zoneByNode, podsByNode));
}

function simulateOne(
  zone: string,
  nodes: KubeObject[],
  zoneByNode: Map<string, string>,
  podsByNode: Map<string, KubeObject[]>,
): ZoneLoss {
  const survivors: NodeState[] = [];
  const lost: KubeObject[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const nodePods = podsByNode.get(name) ?? [];
    if (zoneByNode.get(name) === zone) {
      lost.push(...nodePods.filter(isRescheduled));
      continue;
    }
    const free = allocatable(node);
    const placed: Placed[] = [];
    for (const pod of nodePods) {
      const r = podRequests(pod.spec);
      free.cpu -= r.cpu;
      free.memory -= r.memory;
      free.pods -= 1;
      placed.push({ namespace: namespaceOf(pod), labels: pod.metadata?.labels ?? {} });
    }
    survivors.push({ node, free, pods: placed });
  }
  const survivingFree = survivors.reduce(
    (sum, s) => ({ cpu: sum.cpu + Math.max(0, s.free.cpu), memory: sum.memory + Math.max(0, s.free.memory) }),
    { cpu: 0, memory: 0 },
  );
  const withRequests = lost
    .map((pod) => ({ pod, requests: podRequests(pod.spec) }))
    .sort((a, b) => b.requests.cpu - a.requests.cpu || b.requests.memory - a.requests.memory);
  // Pods of one controller share their placement rules: compute eligibility once per controller.
  const eligibleByOwner = new Map<string, NodeState[]>();
  const unplaced: ZoneLoss['unplaced'] = [];
  for (const { pod, requests } of withRequests) {
    const key = ownerKey(pod);
    let eligible = eligibleByOwner.get(key);
    if (!eligible) {
      eligible = survivors.filter((s) => podFitsNodeRules(pod.spec, s.node));
      eligibleByOwner.set(key, eligible);
    }
    const namespace = namespaceOf(pod);
    const terms = requiredAntiAffinity(pod.spec);
    let best: NodeState | undefined;
    let sawRoom = false;
    for (const candidate of eligible) {
      const f = candidate.free;
      if (f.cpu < requests.cpu || f.memory < requests.memory || f.pods < 1) continue;
      sawRoom = true;
      if (terms.length > 0 && violatesAntiAffinity(terms, namespace, candidate, survivors)) continue;
      // Most free CPU first, like the scheduler's default LeastAllocated scoring.
      if (!best || f.cpu > best.free.cpu) best = candidate;
    }
    const podName = `${namespace}/${pod.metadata?.name ?? '?'}`;
    if (!best) {
      const reason =
        eligible.length === 0
          ? 'no surviving node matches its node selector, affinity or tolerations'
          : sawRoom
            ? 'required pod anti-affinity'
            : 'insufficient CPU, memory or pod slots';
      unplaced.push({ pod: podName, reason, requests });
      continue;
    }
    best.free.cpu -= requests.cpu;
    best.free.memory -= requests.memory;
    best.free.pods -= 1;
    best.pods.push({ namespace, labels: pod.metadata?.labels ?? {} });
  }
  const shortfall = unplaced.reduce(
    (sum, u) => ({ cpu: sum.cpu + u.requests.cpu, memory: sum.memory + u.requests.memory }),
    { cpu: 0, memory: 0 },
  );
  return { zone, lostPods: lost.length, unplaced, shortfall, survivingFree };
}

function violatesAntiAffinity(
  terms: Array<{ topologyKey?: string; labelSelector?: LabelSelector; namespaces?: string[] }>,
  namespace: string,
  candidate: NodeState,
  survivors: NodeState[],
): boolean {
  for (const term of terms) {
    const key = term.topologyKey;
    if (!key) continue;
    const domain = candidate.node.metadata?.labels?.[key];
    if (domain === undefined) continue;
    const namespaces = term.namespaces?.length ? term.namespaces : [namespace];
    const sameDomain =
      key === 'kubernetes.io/hostname'
        ? [candidate]
        : survivors.filter((s) => s.node.metadata?.labels?.[key] === domain);
    for (const s of sameDomain) {
      if (
        s.pods.some((p) => namespaces.includes(p.namespace) && selectorMatches(term.labelSelector, p.labels))
      ) {
        return true;
      }
    }
  }
  return false;
}
