import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';
import { serving, servingContainers } from './probes.ts';

export const rule: Rule = {
  id: 'probe-readiness',
  rows: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Containers have a readiness probe',
  why: 'Without a readiness probe a pod receives traffic before it can serve and keeps receiving it while its dependencies are down or it is shutting down; rolling updates and failovers then surface as client errors.',
  fix: 'Add a readinessProbe (HTTP on the service’s readiness endpoint, e.g. /readyz for dapp, or TCP on the serving port).',
  check(ctx) {
    return serving(ctx).map((w) => {
      const missing = servingContainers(w)
        .filter((c) => !c?.readinessProbe)
        .map((c) => c?.name ?? '?');
      return missing.length === 0
        ? pass(w.ref)
        : fail(w.ref, `no readinessProbe on container ${missing.join(', ')}`);
    });
  },
};
