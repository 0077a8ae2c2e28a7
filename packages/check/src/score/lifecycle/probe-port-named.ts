import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, mainContainers } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'probe-port-named',
  categories: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Probe ports name a container port',
  why: 'A probe that refers to a port name the container does not declare can never succeed: the pod never becomes ready (or is restarted forever), which a rename in the chart easily causes.',
  fix: "Use a port name from the container's ports list (or the port number).",
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return ctx.workloadsOf(LONG_RUNNING).map((w) => {
      const problems: string[] = [];
      for (const c of mainContainers(w)) {
        const names = new Set<string>(
          (c?.ports ?? []).map((p: { name?: string }) => p?.name).filter(Boolean),
        );
        for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          const probe = c?.[kind];
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
          if (typeof port === 'string' && !/^\d+$/.test(port) && !names.has(port)) {
            problems.push(`${c.name}: ${kind} port "${port}" is not a declared container port`);
          }
        }
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
