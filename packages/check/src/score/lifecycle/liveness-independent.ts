import { isLocalHost, probeScripts, remoteHostsIn } from '../../model/probe-scripts.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, mainContainers } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

/** Paths that by convention report dependency health or readiness, not process health. */
const DEPENDENCY_PATH = /(ready|readiness|deps|dependenc|health\/(db|database|all)|status\/full)/i;

export const rule: Rule = {
  id: 'liveness-independent',
  categories: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Liveness probes do not check dependencies',
  why: 'A liveness probe that fails when the database or cache is down (for example /readyz) restarts every replica during a dependency failover, turning a brief database blip into a full outage and a restart storm. The rule judges what the probe shows: an HTTP path named for readiness or dependencies (/readyz, /ready, /health/db...), a probe aimed at another host, and database or cache clients in exec probes called with another host, including in scripts the probe runs from a ConfigMap of the input ("redis-cli -h $REDIS_MASTER_HOST" inside a health script). It cannot see what an endpoint does behind a neutral name (/healthz, /_healthz, /): those pass, whether or not readiness uses the same endpoint.',
  fix: 'Point the livenessProbe at a process-only check (/healthz, or TCP on the serving port); keep dependency checks in the readinessProbe.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return ctx.workloadsOf(LONG_RUNNING).map((w) => {
      const problems: string[] = [];
      for (const c of mainContainers(w)) {
        const live = c?.livenessProbe;
        const target = live?.httpGet ?? live?.tcpSocket ?? live?.grpc;
        if (target && !isLocalHost(target.host)) {
          problems.push(`${c.name}: liveness probe checks another host (${target.host})`);
        } else if (live?.httpGet) {
          const path = String(live.httpGet.path ?? '/');
          if (DEPENDENCY_PATH.test(path)) {
            problems.push(`${c.name}: liveness probe GET ${path} checks readiness/dependencies`);
          }
        } else if (live?.exec) {
          const command = (live.exec.command ?? []).join(' ');
          const hosts = remoteHostsIn(command, w, c, ctx);
          if (hosts.length > 0) {
            problems.push(`${c.name}: liveness exec command checks another host (${hosts.join(', ')})`);
          }
          for (const script of probeScripts(w, c, command, ctx)) {
            const remote = remoteHostsIn(script.text, w, c, ctx);
            if (remote.length === 0) continue;
            problems.push(
              `${c.name}: liveness script ${script.path} (ConfigMap ${script.configMap}) checks another host (${remote.join(', ')})`,
            );
          }
        }
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
