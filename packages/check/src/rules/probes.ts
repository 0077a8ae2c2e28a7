import type { CheckContext } from '../context.ts';
import { isService, type Workload } from '../model/workload.ts';

/** Long-running workloads whose containers serve: probes and graceful shutdown apply to them. */
export function serving(ctx: CheckContext): Workload[] {
  return ctx.workloads.filter((w) => isService(w));
}

/** Sidecars declared as restartable init containers (Kubernetes 1.29+) serve like containers. */
// biome-ignore lint/suspicious/noExplicitAny: pod specs are untyped input.
export function servingContainers(w: Workload): any[] {
  return [
    ...(w.podSpec?.containers ?? []),
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    ...(w.podSpec?.initContainers ?? []).filter((c: any) => c?.restartPolicy === 'Always'),
  ];
}
