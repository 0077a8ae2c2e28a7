import { everyContainerHas, LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'resources-memory-limit',
  categories: ['Resources'],
  severity: 'warning',
  title: 'Containers have a memory limit',
  why: 'A container without a memory limit can take its node’s memory during a leak, and the kernel then kills neighbours, spreading one fault over every replica sharing the node.',
  fix: 'Set resources.limits.memory (commonly equal to the request for predictable behaviour).',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return everyContainerHas(
      ctx,
      LONG_RUNNING,
      (c) => c?.resources?.limits?.memory !== undefined,
      'memory limit',
    );
  },
};
