import { namespaceOf, refOf } from '../../model/objects.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'hpa-min-replicas',
  categories: ['Replica posture'],
  severity: 'error',
  title: 'Autoscalers keep at least two replicas',
  why: 'At low load an HPA scales down to minReplicas; a floor of 1 recreates the single-replica outage the replica count was meant to avoid. Judged for autoscalers of serving workloads and of targets outside the input; a worker may scale down to one.',
  fix: 'Set spec.minReplicas to 2 or more.',
  check(ctx) {
    return ctx.scoped('HorizontalPodAutoscaler').map((hpa) => {
      const ref = refOf(hpa);
      const target = hpa.spec?.scaleTargetRef ?? {};
      const workload = ctx
        .workloadsIn(namespaceOf(hpa))
        .find((w) => w.kind === target.kind && w.name === target.name);
      if (workload?.singleton || (workload && workload.workloadClass !== 'serving')) return pass(ref);
      const min = typeof hpa.spec?.minReplicas === 'number' ? hpa.spec.minReplicas : 1;
      return min >= 2
        ? pass(ref)
        : fail(ref, `minReplicas is ${min}${hpa.spec?.minReplicas === undefined ? ' (the default)' : ''}`);
    });
  },
};
