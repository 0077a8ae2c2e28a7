import { formatCpu, formatMemory } from '../../model/quantity.ts';
import { simulateZoneLosses } from '../../model/zone-loss.ts';
import { workerNodes, zonesOf } from '../internal/nodes.ts';
import { fail, pass, plural } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'zone-loss-capacity',
  categories: ['Scheduling posture'],
  severity: 'error',
  title: 'Surviving zones can take a lost zone’s pods',
  why: 'Spreading over zones only helps if the other zones have room: each zone is removed in turn and its pods are placed on the remaining nodes’ free allocatable CPU and memory, honouring node selectors, taints and required anti-affinity.',
  fix: 'Add capacity in the surviving zones (bigger or more nodes, or autoscaler headroom such as overprovisioning pods), lower over-sized requests, or relax required anti-affinity that cannot be met with one zone fewer.',
  needsClusterState: true,
  check(ctx) {
    const nodes = workerNodes(ctx);
    if (zonesOf(nodes).size < 2) return []; // nodes-zone-span reports this
    return simulateZoneLosses(nodes, ctx.ofKind('Pod')).map((loss) => {
      const ref = { kind: 'Zone', name: loss.zone };
      if (loss.unplaced.length === 0) return pass(ref);
      const reasons = new Map<string, number>();
      for (const u of loss.unplaced) reasons.set(u.reason, (reasons.get(u.reason) ?? 0) + 1);
      const why = [...reasons].map(([reason, n]) => `${n} for ${reason}`).join(', ');
      const examples = loss.unplaced
        .slice(0, 3)
        .map((u) => u.pod)
        .join(', ');
      return fail(
        ref,
        `losing zone ${loss.zone}: ${loss.unplaced.length} of ${plural(loss.lostPods, 'pod')} cannot be rescheduled ` +
          `(${why}); they need ${formatCpu(loss.shortfall.cpu)} and ${formatMemory(loss.shortfall.memory)} more room ` +
          `(surviving nodes have ${formatCpu(loss.survivingFree.cpu)} and ${formatMemory(loss.survivingFree.memory)} free); ` +
          `e.g. ${examples}`,
      );
    });
  },
};
