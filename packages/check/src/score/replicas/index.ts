// Replica posture: replica counts, autoscaler floors and disruption budgets.
import type { Rule } from '../rule.ts';
import { rule as hpaMinReplicas } from './hpa-min-replicas.ts';
import { rule as pdbAllowsEviction } from './pdb-allows-eviction.ts';
import { rule as pdbMissing } from './pdb-missing.ts';
import { rule as pdbSelectsPods } from './pdb-selects-pods.ts';
import { rule as replicasMinTwo } from './replicas-min-two.ts';
import { rule as singletonDependencies } from './singleton-dependencies.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [
  replicasMinTwo,
  hpaMinReplicas,
  pdbMissing,
  pdbSelectsPods,
  pdbAllowsEviction,
  singletonDependencies,
];
