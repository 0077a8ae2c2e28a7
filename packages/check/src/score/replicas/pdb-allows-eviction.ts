import { scaleIntOrPercent } from '../../model/int-or-percent.ts';
import { namespaceOf, refOf } from '../../model/objects.ts';
import { type LabelSelector, selectorMatches } from '../../model/selector.ts';
import { fail, pass, plural } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'pdb-allows-eviction',
  categories: ['Replica posture'],
  severity: 'error',
  title: 'PodDisruptionBudgets allow at least one eviction',
  why: 'A PDB that allows zero disruptions (minAvailable equal to the replicas, maxUnavailable 0, or a minAvailable reached once an HPA scales down) blocks every node drain, so node upgrades and zone evacuations stall.',
  fix: 'Use maxUnavailable: 1, or a minAvailable strictly below the smallest replica count the workload runs with (its HPA minReplicas when autoscaled).',
  check(ctx) {
    return ctx.scoped('PodDisruptionBudget').flatMap((pdb) => {
      const ref = refOf(pdb);
      const selector = pdb.spec?.selector as LabelSelector | undefined;
      const covered = ctx.workloadsIn(namespaceOf(pdb)).filter((w) => selectorMatches(selector, w.podLabels));
      // pdb-selects-pods reports PDBs that cover nothing.
      if (covered.length === 0) return [];
      let expected = 0;
      let autoscaled = false;
      for (const w of covered) {
        if (ctx.hpaFor(w)) autoscaled = true;
        expected += ctx.minReplicas(w) ?? w.replicas ?? 1;
      }
      const { minAvailable, maxUnavailable } = pdb.spec ?? {};
      let allowed: number | undefined;
      let how: string;
      if (maxUnavailable !== undefined) {
        allowed = scaleIntOrPercent(maxUnavailable, expected, 'up');
        how = `maxUnavailable ${maxUnavailable}`;
      } else {
        const min = scaleIntOrPercent(minAvailable ?? 1, expected, 'up');
        allowed = min === undefined ? undefined : expected - min;
        how = `minAvailable ${minAvailable ?? '1 (implied)'}`;
      }
      if (allowed === undefined) return [fail(ref, `${how} is not an integer or a percentage`)];
      if (allowed > 0) return [pass(ref)];
      const base = autoscaled ? `${plural(expected, 'pod')} at HPA minReplicas` : plural(expected, 'pod');
      return [fail(ref, `${how} with ${base} allows no eviction: node drains block`)];
    });
  },
};
