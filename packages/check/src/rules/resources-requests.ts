import { isService } from '../model/workload.ts';
import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';
import { servingContainers } from './probes.ts';

export const rule: Rule = {
  id: 'resources-requests',
  rows: ['Resources'],
  severity: 'error',
  title: 'Containers request CPU and memory',
  why: 'The scheduler places pods by their requests; without them replacement pods land on full nodes after a node or zone loss, get throttled or evicted first, and capacity planning (and the zone-loss model) cannot count them.',
  fix: 'Set resources.requests.cpu and resources.requests.memory on every container, from observed usage.',
  check(ctx) {
    return ctx.workloads.filter(isService).map((w) => {
      const problems: string[] = [];
      for (const c of [
        ...servingContainers(w),
        ...(w.podSpec?.initContainers ?? []).filter(
          (i: { restartPolicy?: string }) => i?.restartPolicy !== 'Always',
        ),
      ]) {
        const missing = ['cpu', 'memory'].filter((k) => c?.resources?.requests?.[k] === undefined);
        if (missing.length > 0) problems.push(`${c?.name ?? '?'}: no ${missing.join('/')} request`);
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
