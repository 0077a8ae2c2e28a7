import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

const NODE_FAILURE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export const rule: Rule = {
  id: 'toleration-eviction',
  categories: ['Scheduling posture'],
  severity: 'warning',
  title: 'Pods leave a dead node quickly',
  why: 'Tolerating not-ready/unreachable taints longer than the bound (default 300 s, the Kubernetes default) keeps pods bound to a dead node, so their replacements start late; a toleration without tolerationSeconds never evicts at all.',
  fix: 'Drop custom not-ready/unreachable tolerations or give them a tolerationSeconds at or below the bound (lower is faster: 30-60 s is common for stateless services).',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const bound = ctx.options.tolerationBoundSeconds;
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => w.kind !== 'DaemonSet')
      .map((w) => {
        const problems: string[] = [];
        let forever = false;
        for (const t of w.podSpec?.tolerations ?? []) {
          const matches = t?.operator === 'Exists' && !t?.key ? true : NODE_FAILURE_TAINTS.includes(t?.key);
          if (!matches || (t.effect && t.effect !== 'NoExecute')) continue;
          const label = t.key ?? '(every taint)';
          if (typeof t.tolerationSeconds !== 'number') {
            forever = true;
            problems.push(`${label} tolerated without tolerationSeconds (never evicted)`);
          } else if (t.tolerationSeconds > bound) {
            problems.push(`${label} tolerated for ${t.tolerationSeconds}s (bound ${bound}s)`);
          }
        }
        if (problems.length === 0) return pass(w.ref);
        return fail(w.ref, problems.join('; '), forever ? { severity: 'error' } : {});
      });
  },
};
