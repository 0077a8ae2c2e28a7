import { type LabelSelector, selectorMatches } from '../model/selector.ts';
import { namespaceOf, refOf } from '../model/workload.ts';
import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';

export const rule: Rule = {
  id: 'pdb-selects-pods',
  rows: ['Replica posture'],
  severity: 'error',
  title: 'Every PodDisruptionBudget selects the pods of a workload',
  why: 'A PDB whose selector matches nothing (a typo, a renamed label) protects nothing while looking like protection.',
  fix: "Make the PDB's spec.selector equal to the workload's pod template labels (or a subset of them).",
  check(ctx) {
    return ctx.ofKind('PodDisruptionBudget').map((pdb) => {
      const ref = refOf(pdb);
      const selector = pdb.spec?.selector as LabelSelector | undefined;
      if (!selector) return fail(ref, 'has no selector, so it selects no pods');
      const ns = namespaceOf(pdb);
      const workload = ctx.workloads.find(
        (w) => w.namespace === ns && selectorMatches(selector, w.podLabels),
      );
      if (workload) return pass(ref);
      const pod = ctx
        .ofKind('Pod')
        .find((p) => namespaceOf(p) === ns && selectorMatches(selector, p.metadata?.labels));
      if (pod) return pass(ref);
      return fail(
        ref,
        `selector ${JSON.stringify(selector)} matches the pods of no workload in namespace ${ns}`,
      );
    });
  },
};
