import { isService } from '../model/workload.ts';
import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';
import { servingContainers } from './probes.ts';

export const rule: Rule = {
  id: 'resources-memory-limit',
  rows: ['Resources'],
  severity: 'warning',
  title: 'Containers have a memory limit',
  why: 'A container without a memory limit can take its node’s memory during a leak, and the kernel then kills neighbours, spreading one fault over every replica sharing the node.',
  fix: 'Set resources.limits.memory (commonly equal to the request for predictable behaviour).',
  check(ctx) {
    return ctx.workloads.filter(isService).map((w) => {
      const missing = servingContainers(w)
        .filter((c) => c?.resources?.limits?.memory === undefined)
        .map((c) => c?.name ?? '?');
      return missing.length === 0
        ? pass(w.ref)
        : fail(w.ref, `no memory limit on container ${missing.join(', ')}`);
    });
  },
};
