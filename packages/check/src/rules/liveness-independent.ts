import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';
import { serving, servingContainers } from './probes.ts';

/** Paths that by convention report dependency health, not process health. */
const DEPENDENCY_PATH = /(ready|readiness|deps|dependenc|health\/(db|database|all)|status\/full)/i;

/** A client pointed at the container itself checks the process, not a dependency. */
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|::1|\$\(hostname\)|\$HOSTNAME)$/;

// biome-ignore lint/suspicious/noExplicitAny: probes are untyped input.
function describe(probe: any): string | undefined {
  if (probe?.httpGet) return `${probe.httpGet.path ?? '/'}@${probe.httpGet.port ?? ''}`;
  return undefined;
}

export const rule: Rule = {
  id: 'liveness-independent',
  rows: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Liveness probes do not check dependencies',
  why: 'A liveness probe that fails when the database or cache is down (for example /readyz) restarts every replica during a dependency failover, turning a brief database blip into a full outage and a restart storm.',
  fix: 'Point the livenessProbe at a process-only check (/healthz, or TCP on the serving port); keep dependency checks in the readinessProbe.',
  check(ctx) {
    return serving(ctx).map((w) => {
      const problems: string[] = [];
      for (const c of servingContainers(w)) {
        const live = c?.livenessProbe;
        if (!live?.httpGet) {
          const command = (live?.exec?.command ?? []).join(' ');
          const host = /(?:\s-h\s*|--host[=\s])["']?([^\s"']+)/.exec(command)?.[1];
          if (/pg_isready|redis-cli|psql|mysqladmin/.test(command) && host && !LOCAL_HOST.test(host)) {
            problems.push(`${c.name}: liveness exec command checks another host (${host})`);
          }
          continue;
        }
        const path = String(live.httpGet.path ?? '/');
        const ready = describe(c?.readinessProbe);
        if (DEPENDENCY_PATH.test(path)) {
          problems.push(`${c.name}: liveness probe GET ${path} checks readiness/dependencies`);
        } else if (ready && ready === describe(live) && path !== '/') {
          problems.push(`${c.name}: liveness probe uses the readiness endpoint ${path}`);
        }
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
