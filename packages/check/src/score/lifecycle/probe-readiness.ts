import { everyContainerHas, SERVING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'probe-readiness',
  categories: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Containers have a readiness probe',
  why: 'Without a readiness probe a pod receives traffic before it can serve and keeps receiving it while its dependencies are down or it is shutting down; rolling updates and failovers then surface as client errors. Judged for serving workloads only: readiness decides whether a Service sends a pod traffic, and nothing sends traffic to a worker (kube-score draws the same line).',
  fix: 'Add a readinessProbe (HTTP on the service’s readiness endpoint, e.g. /readyz for dapp, or TCP on the serving port).',
  appliesTo: SERVING,
  check(ctx) {
    return everyContainerHas(ctx, SERVING, (c) => !!c?.readinessProbe, 'readinessProbe');
  },
};
