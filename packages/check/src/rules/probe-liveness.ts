import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';
import { serving, servingContainers } from './probes.ts';

export const rule: Rule = {
  id: 'probe-liveness',
  rows: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Containers have a liveness probe',
  why: 'Without a liveness probe a hung process (deadlock, event-loop stall) stays in place forever; the document asks to keep liveness and readiness probes enabled.',
  fix: 'Add a livenessProbe that checks only the process itself (TCP on the serving port or an HTTP endpoint such as /healthz that touches no dependency).',
  check(ctx) {
    return serving(ctx).map((w) => {
      const missing = servingContainers(w)
        .filter((c) => !c?.livenessProbe)
        .map((c) => c?.name ?? '?');
      return missing.length === 0
        ? pass(w.ref)
        : fail(w.ref, `no livenessProbe on container ${missing.join(', ')}`);
    });
  },
};
