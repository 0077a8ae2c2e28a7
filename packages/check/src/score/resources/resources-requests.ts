import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, mainContainers } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'resources-requests',
  categories: ['Resources'],
  severity: 'error',
  title: 'Containers request CPU and memory',
  why: 'The scheduler places pods by their requests; without them replacement pods land on full nodes after a node or zone loss, get throttled or evicted first, and capacity planning (and the zone-loss model) cannot count them.',
  fix: 'Set resources.requests.cpu and resources.requests.memory on every container, from observed usage.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return ctx.workloadsOf(LONG_RUNNING).map((w) => {
      const problems: string[] = [];
      for (const c of [
        ...mainContainers(w),
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
