import { type KubeObject, namespaceOf } from './objects.ts';
import {
  allocatable,
  placementSignature,
  podFitsNodeRules,
  podRequests,
  type Resources,
  requiredAntiAffinity,
  zoneOf,
} from './scheduling.ts';
import { type LabelSelector, selectorMatches } from './selector.ts';

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
  // Pods with the same node selector, affinity and tolerations share one candidate set, kept in a heap
  // by free CPU: placing a pod costs a logarithmic step instead of a scan of every surviving node.
  const heaps = new Map<string, FreeCpuHeap>();
  const domains = new TopologyDomains(survivors);
  const unplaced: ZoneLoss['unplaced'] = [];
  for (const { pod, requests } of withRequests) {
    const signature = placementSignature(pod.spec);
    let heap = heaps.get(signature);
    if (!heap) {
      heap = new FreeCpuHeap(survivors.filter((s) => podFitsNodeRules(pod.spec, s.node)));
      heaps.set(signature, heap);
    }
    const namespace = namespaceOf(pod);
    const terms = requiredAntiAffinity(pod.spec);
    const podName = `${namespace}/${pod.metadata?.name ?? '?'}`;
    const { node, blockedByAntiAffinity } = heap.take(
      requests,
      terms.length === 0
        ? undefined
        : (candidate) => violatesAntiAffinity(terms, namespace, candidate, domains),
    );
    if (!node) {
      const reason =
        heap.size === 0
          ? 'no surviving node matches its node selector, affinity or tolerations'
          : blockedByAntiAffinity
            ? 'required pod anti-affinity'
            : 'insufficient CPU, memory or pod slots';
      unplaced.push({ pod: podName, reason, requests });
      continue;
    }
    node.pods.push({ namespace, labels: pod.metadata?.labels ?? {} });
  }
  const shortfall = unplaced.reduce(
    (sum, u) => ({ cpu: sum.cpu + u.requests.cpu, memory: sum.memory + u.requests.memory }),
    { cpu: 0, memory: 0 },
  );
  return { zone, lostPods: lost.length, unplaced, shortfall, survivingFree };
}

/** Surviving nodes grouped by the value of a topology label, built per label on first use. */
class TopologyDomains {
  private readonly byKey = new Map<string, Map<string, NodeState[]>>();

  constructor(private readonly nodes: NodeState[]) {}

  nodesIn(key: string, value: string): NodeState[] {
    let index = this.byKey.get(key);
    if (!index) {
      index = new Map();
      for (const n of this.nodes) {
        const v = n.node.metadata?.labels?.[key];
        if (v === undefined) continue;
        const list = index.get(v);
        if (list) list.push(n);
        else index.set(v, [n]);
      }
      this.byKey.set(key, index);
    }
    return index.get(value) ?? [];
  }
}

function violatesAntiAffinity(
  terms: Array<{ topologyKey?: string; labelSelector?: LabelSelector; namespaces?: string[] }>,
  namespace: string,
  candidate: NodeState,
  domains: TopologyDomains,
): boolean {
  for (const term of terms) {
    const key = term.topologyKey;
    if (!key) continue;
    const domain = candidate.node.metadata?.labels?.[key];
    if (domain === undefined) continue;
    const namespaces = term.namespaces?.length ? term.namespaces : [namespace];
    const sameDomain = key === 'kubernetes.io/hostname' ? [candidate] : domains.nodesIn(key, domain);
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

/**
 * Max-heap of candidate nodes by free CPU (the scheduler's default LeastAllocated preference). Entries go
 * stale when another heap places a pod on the same node; free CPU only shrinks, so a stale entry is
 * re-keyed when it surfaces. Hand-written: a dozen lines, and heap packages on npm cannot re-key lazily.
 */
class FreeCpuHeap {
  private readonly items: Array<{ node: NodeState; key: number }>;

  constructor(nodes: NodeState[]) {
    this.items = [];
    for (const node of nodes) this.push({ node, key: node.free.cpu });
  }

  get size(): number {
    return this.items.length;
  }

  /** Reserves the requests on the node with most free CPU that fits, if any. */
  take(
    requests: Resources,
    rejects?: (candidate: NodeState) => boolean,
  ): { node?: NodeState; blockedByAntiAffinity: boolean } {
    const skipped: Array<{ node: NodeState; key: number }> = [];
    let chosen: NodeState | undefined;
    let blockedByAntiAffinity = false;
    while (this.items.length > 0) {
      const top = this.pop()!;
      if (top.key !== top.node.free.cpu) {
        this.push({ node: top.node, key: top.node.free.cpu });
        continue;
      }
      skipped.push(top);
      const free = top.node.free;
      if (free.cpu < requests.cpu) break; // the most free CPU is not enough: nothing fits
      if (free.memory < requests.memory || free.pods < 1) continue;
      if (rejects?.(top.node)) {
        blockedByAntiAffinity = true;
        continue;
      }
      chosen = top.node;
      free.cpu -= requests.cpu;
      free.memory -= requests.memory;
      free.pods -= 1;
      top.key = free.cpu;
      break;
    }
    for (const entry of skipped) this.push(entry);
    return chosen ? { node: chosen, blockedByAntiAffinity } : { blockedByAntiAffinity };
  }

  private push(entry: { node: NodeState; key: number }): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.key >= items[i]!.key) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  private pop(): { node: NodeState; key: number } | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && items[l]!.key > items[m]!.key) m = l;
        if (r < items.length && items[r]!.key > items[m]!.key) m = r;
        if (m === i) break;
        [items[m], items[i]] = [items[i]!, items[m]!];
        i = m;
      }
    }
    return top;
  }
}
