import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'pdb-missing',
  categories: ['Replica posture'],
  severity: 'error',
  title: 'Replicated workloads have a PodDisruptionBudget',
  why: 'Without a PDB a node drain or cluster upgrade may evict every replica at once; Polaris skips this for StatefulSets, we do not.',
  fix: 'Add a PodDisruptionBudget whose selector matches the pods, with maxUnavailable: 1 (or minAvailable below the replica count).',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => (w.kind === 'Deployment' || w.kind === 'StatefulSet') && !w.singleton)
      .filter((w) => Math.max(ctx.maxReplicas(w) ?? 1, w.replicas ?? 1) >= 2)
      .map((w) =>
        ctx.pdbsFor(w).length > 0 ? pass(w.ref) : fail(w.ref, 'no PodDisruptionBudget selects its pods'),
      );
  },
};
