import type { KubeObject } from '../../model/objects.ts';
import {
  isNodeReady,
  placementSignature,
  podFitsNodeRules,
  staticPinning,
  zoneOf,
} from '../../model/scheduling.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, multiReplica } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'placement-pinned',
  categories: ['Scheduling posture'],
  severity: 'error',
  title: 'Placement rules do not pin replicas to one node, node group or zone',
  why: 'A nodeSelector or required node affinity naming one host, node pool or zone puts every replica in one failure domain, whatever the replica count and anti-affinity say.',
  fix: 'Select node pools by a label every zone shares (for example a workload class), or list every zone; leave zone placement to topology spread constraints.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const nodes = ctx.options.clusterState ? ctx.ofKind('Node').filter(isNodeReady) : [];
    const clusterZones = new Set(nodes.map(zoneOf).filter(Boolean));
    const eligibleBySignature = new Map<string, KubeObject[]>();
    return multiReplica(ctx, LONG_RUNNING).map((w) => {
      const pinned = staticPinning(w.podSpec);
      if (pinned) return fail(w.ref, `all replicas pinned by ${pinned}`);
      if (nodes.length > 0) {
        // With node state we can see pinning by any label: which nodes the rules leave eligible.
        // Workloads share placement rules far more often than not: compute each rule set's nodes once.
        const signature = placementSignature(w.podSpec);
        let eligible = eligibleBySignature.get(signature);
        if (!eligible) {
          eligible = nodes.filter((n) => podFitsNodeRules(w.podSpec, n));
          eligibleBySignature.set(signature, eligible);
        }
        const zones = new Set(eligible.map(zoneOf).filter(Boolean));
        if (eligible.length === 0)
          return fail(w.ref, 'no ready node satisfies its node selector, affinity and tolerations');
        if (eligible.length === 1) {
          return fail(w.ref, `only node ${eligible[0]?.metadata?.name} satisfies its placement rules`);
        }
        if (clusterZones.size >= 2 && zones.size === 1) {
          return fail(w.ref, `its placement rules allow only zone ${[...zones][0]} of ${clusterZones.size}`);
        }
      }
      return pass(w.ref);
    });
  },
};
