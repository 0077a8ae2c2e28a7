import { isReplicated, WORKLOAD_CLASSES, type Workload, type WorkloadClass } from '../../model/workload.ts';
import type { CheckContext } from '../context.ts';
import type { RuleResult } from '../rule.ts';
import { fail, pass } from './result.ts';

/** The containers that run for the pod's life: sidecars declared as restartable init containers count. */
// biome-ignore lint/suspicious/noExplicitAny: pod specs are untyped input.
export function mainContainers(w: Workload): any[] {
  return [
    ...(w.podSpec?.containers ?? []),
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    ...(w.podSpec?.initContainers ?? []).filter((c: any) => c?.restartPolicy === 'Always'),
  ];
}

/** Workloads that run, or may scale to, more than one replica and are not accepted singletons. */
export function multiReplica(ctx: CheckContext, classes: readonly WorkloadClass[]): Workload[] {
  return ctx
    .workloadsOf(classes)
    .filter(
      (w) => isReplicated(w) && !w.singleton && Math.max(ctx.maxReplicas(w) ?? 1, w.replicas ?? 1) >= 2,
    );
}

/** Workloads a Service routes clients to. */
export const SERVING: readonly WorkloadClass[] = ['serving'];
/** Long-running workloads, whether or not a Service routes traffic to them. */
export const LONG_RUNNING: readonly WorkloadClass[] = ['serving', 'worker'];
/** Every workload, hooks and run-to-completion ones included. */
export const EVERY_CLASS: readonly WorkloadClass[] = WORKLOAD_CLASSES;

/**
 * One result per workload of the classes: a pass when every main container has what `has` asks for,
 * else a finding "no <what> on container a, b".
 */
export function everyContainerHas(
  ctx: CheckContext,
  classes: readonly WorkloadClass[],
  // biome-ignore lint/suspicious/noExplicitAny: containers are untyped input.
  has: (container: any) => boolean,
  what: string,
): RuleResult[] {
  return ctx.workloadsOf(classes).map((w) => {
    const missing = mainContainers(w)
      .filter((c) => !has(c))
      .map((c) => c?.name ?? '?');
    return missing.length === 0 ? pass(w.ref) : fail(w.ref, `no ${what} on container ${missing.join(', ')}`);
  });
}
