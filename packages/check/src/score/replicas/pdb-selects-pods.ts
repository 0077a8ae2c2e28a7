import { namespaceOf, refOf } from '../../model/objects.ts';
import { type LabelSelector, selectorMatches } from '../../model/selector.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'pdb-selects-pods',
  categories: ['Replica posture'],
  severity: 'error',
  title: 'Every PodDisruptionBudget selects the pods of a workload',
  why: 'A PDB whose selector matches nothing (a typo, a renamed label) protects nothing while looking like protection.',
  fix: "Make the PDB's spec.selector equal to the workload's pod template labels (or a subset of them).",
  check(ctx) {
    return ctx.scoped('PodDisruptionBudget').map((pdb) => {
      const ref = refOf(pdb);
      const selector = pdb.spec?.selector as LabelSelector | undefined;
      if (!selector) return fail(ref, 'has no selector, so it selects no pods');
      const ns = namespaceOf(pdb);
      const workload = ctx.workloadsIn(ns).find((w) => selectorMatches(selector, w.podLabels));
      if (workload) return pass(ref);
      if (ctx.podsMatching(ns, selector).length > 0) return pass(ref);
      return fail(
        ref,
        `selector ${JSON.stringify(selector)} matches the pods of no workload in namespace ${ns}`,
      );
    });
  },
};
