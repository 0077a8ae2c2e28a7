import { claimsOf, describeClaim, isNodeExclusive, isZoneRedundant } from '../../model/volumes.ts';
import { workerNodes, zonesOf } from '../internal/nodes.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'zone-loss-volumes',
  categories: ['Scheduling posture'],
  severity: 'warning',
  title: 'A single replica does not depend on a zonal volume',
  why: 'Block volumes (EBS, Persistent Disk, Azure Disk) live in one zone and attach to one node. A workload that runs one replica on such a ReadWriteOnce volume cannot come back in another zone after a zone loss: the pod stays Pending until the zone returns or the data is restored elsewhere, whatever the spread rules say. Claims that are not in the input count as ReadWriteOnce, storage classes that are not in the input as zonal. A warning for manifests and charts; an error in a dump or cluster whose nodes span two or more zones.',
  fix: 'Run two or more replicas with a volume each in different zones (a replicated data service), use the managed service instead, or a zone-redundant storage class (GKE regional persistent disk, Azure ZRS disk); keep a tested restore for what remains zonal.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const zones = ctx.options.clusterState ? zonesOf(workerNodes(ctx)).size : 0;
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => w.kind !== 'DaemonSet')
      .flatMap((w) => {
        const claims = claimsOf(w, ctx);
        if (claims.length === 0) return [];
        const zonal = claims.filter((c) => isNodeExclusive(c) && !isZoneRedundant(c, ctx));
        const replicas = ctx.minReplicas(w) ?? w.replicas ?? 1;
        if (zonal.length === 0 || replicas >= 2) return [pass(w.ref)];
        const note = zones >= 2 ? ` (the nodes span ${zones} zones)` : '';
        return [
          fail(
            w.ref,
            `one replica on the zonal ReadWriteOnce ${describeClaim(zonal[0]!)}: after a loss of its zone the pod cannot start in another zone${note}`,
            zones >= 2 ? { severity: 'error' } : {},
          ),
        ];
      });
  },
};
