import { CLUSTER_REF, workerNodes, zonesOf } from '../internal/nodes.ts';
import { fail, pass, plural } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'nodes-zone-span',
  categories: ['Scheduling posture'],
  severity: 'error',
  title: 'Worker nodes span at least two zones (three recommended)',
  why: 'Spread rules cannot spread over zones the node pools do not reach. With two zones a zone loss halves capacity; three zones lose a third and keep a quorum for zonal data services.',
  fix: 'Configure the node pools (or Karpenter node pools) across the availability zones of the region, three where available, with the topology.kubernetes.io/zone label set (managed offerings set it).',
  needsClusterState: true,
  check(ctx) {
    const nodes = workerNodes(ctx);
    const zones = zonesOf(nodes);
    if (nodes.length === 0) return [fail(CLUSTER_REF, 'the dump has no ready worker nodes')];
    const unlabelled = nodes.length - [...zones.values()].reduce((n, list) => n + list.length, 0);
    const note = unlabelled > 0 ? ` (${plural(unlabelled, 'node')} without a zone label)` : '';
    if (zones.size < 2) {
      return [
        fail(CLUSTER_REF, `${plural(nodes.length, 'worker node')} in ${plural(zones.size, 'zone')}${note}`),
      ];
    }
    if (zones.size === 2) {
      return [
        fail(
          CLUSTER_REF,
          `worker nodes span 2 zones (${[...zones.keys()].join(', ')}); 3 are recommended${note}`,
          {
            severity: 'warning',
          },
        ),
      ];
    }
    return [pass(CLUSTER_REF)];
  },
};
