import { everyContainerHas, SERVING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'probe-liveness',
  categories: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Containers have a liveness probe',
  why: 'Without a liveness probe a hung process (deadlock, event-loop stall) stays in place forever; the document asks to keep liveness and readiness probes enabled. Judged for serving workloads; a worker’s liveness probe, when it has one, is still judged by liveness-independent and probe-port-named.',
  fix: 'Add a livenessProbe that checks only the process itself (TCP on the serving port or an HTTP endpoint such as /healthz that touches no dependency).',
  appliesTo: SERVING,
  check(ctx) {
    return everyContainerHas(ctx, SERVING, (c) => !!c?.livenessProbe, 'livenessProbe');
  },
};
