import { isReplicated } from '../../model/workload.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'singleton-dependencies',
  categories: ['Replica posture'],
  severity: 'info',
  title: 'Singleton services are listed as documented singleton dependencies',
  why: 'The document accepts single-replica services only when they are documented as singleton dependencies; listing them makes the accepted risk visible in every report.',
  fix: 'Keep the dalp.io/singleton-reason annotation current; in production replace bundled singletons with managed services.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => isReplicated(w) || w.singleton)
      .map((w) =>
        !w.singleton
          ? pass(w.ref)
          : w.singletonReason
            ? fail(w.ref, `singleton dependency: ${w.singletonReason}`)
            : fail(w.ref, 'marked as a singleton without a dalp.io/singleton-reason annotation', {
                severity: 'warning',
                fix: 'Add dalp.io/singleton-reason explaining why one replica is acceptable and what a loss costs.',
              }),
      );
  },
};
