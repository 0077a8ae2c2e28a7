import type { CheckContext } from '../context.ts';
import { isReplicated, type Workload } from '../model/workload.ts';

/** Workloads that run, or may scale to, more than one replica and are not accepted singletons. */
export function multiReplica(ctx: CheckContext): Workload[] {
  return ctx.workloads.filter(
    (w) => isReplicated(w) && !w.singleton && Math.max(ctx.maxReplicas(w) ?? 1, w.replicas ?? 1) >= 2,
  );
}
