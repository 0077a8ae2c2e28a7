import { spreadOn, ZONE_KEYS } from '../../model/scheduling.ts';
import { workerNodes, zonesOf } from '../internal/nodes.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, multiReplica } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'spread-zone',
  categories: ['Scheduling posture'],
  severity: 'warning',
  title: 'Replicas spread over zones',
  why: 'Host spread alone allows every replica in one zone; a zone outage then takes the service down. The scheduler default spreading is best-effort and weak for small replica counts. A warning for manifests and charts (a cluster without zones cannot honour it); an error in a dump or cluster whose nodes span two or more zones.',
  fix: 'Add a topologySpreadConstraint (maxSkew: 1, whenUnsatisfiable: ScheduleAnyway or DoNotSchedule) or pod anti-affinity on topology.kubernetes.io/zone with a labelSelector matching the pod labels.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    // With node state we know whether the cluster has zones to spread over: then a missing spread is an error.
    const zones = ctx.options.clusterState ? zonesOf(workerNodes(ctx)).size : 0;
    const note = zones >= 2 ? ` (the nodes span ${zones} zones)` : '';
    return multiReplica(ctx, LONG_RUNNING).map((w) =>
      spreadOn(w, ZONE_KEYS)
        ? pass(w.ref)
        : fail(
            w.ref,
            `no anti-affinity or topology spread on topology.kubernetes.io/zone that selects its own pods${note}`,
            zones >= 2 ? { severity: 'error' } : {},
          ),
    );
  },
};
