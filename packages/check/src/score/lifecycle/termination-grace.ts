import { fail, pass } from '../internal/result.ts';
import { mainContainers, SERVING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

// biome-ignore lint/suspicious/noExplicitAny: containers are untyped input.
function preStopSeconds(c: any): number {
  const preStop = c?.lifecycle?.preStop;
  if (typeof preStop?.sleep?.seconds === 'number') return preStop.sleep.seconds;
  const command = (preStop?.exec?.command ?? []).join(' ');
  const sleep = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(command);
  return sleep ? Number(sleep[1]) : 0;
}

/** Drain time declared through env: the dapp contract's SHUTDOWN_* variables or a generic *_DRAIN_* / *_SHUTDOWN_TIMEOUT*. */
// biome-ignore lint/suspicious/noExplicitAny: as above.
function drainSeconds(c: any): number {
  let total = 0;
  for (const e of c?.env ?? []) {
    if (typeof e?.value !== 'string' || !/(SHUTDOWN|DRAIN|GRACEFUL)/i.test(e.name ?? '')) continue;
    const n = Number(e.value);
    if (!Number.isFinite(n)) continue;
    if (/_MS$/i.test(e.name)) total += n / 1000;
    else if (/_(S|SECONDS)$/i.test(e.name)) total += n;
  }
  return total;
}

export const rule: Rule = {
  id: 'termination-grace',
  categories: ['Probes and lifecycle'],
  severity: 'error',
  title: 'Termination grace covers the preStop delay and the drain time',
  why: 'After terminationGracePeriodSeconds the kubelet sends SIGKILL; if the preStop sleep plus the application drain (SHUTDOWN_DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS for dapp) take longer, in-flight requests are cut off on every rollout and node drain.',
  fix: 'Raise terminationGracePeriodSeconds above preStop delay + drain delay + shutdown timeout (with a few seconds of margin), or shorten those.',
  appliesTo: SERVING,
  check(ctx) {
    return ctx.workloadsOf(SERVING).map((w) => {
      const grace =
        typeof w.podSpec?.terminationGracePeriodSeconds === 'number'
          ? w.podSpec.terminationGracePeriodSeconds
          : 30;
      const problems: string[] = [];
      for (const c of mainContainers(w)) {
        const pre = preStopSeconds(c);
        const drain = drainSeconds(c);
        if (pre + drain > grace) {
          problems.push(
            `${c.name}: preStop ${pre}s + drain ${drain}s = ${pre + drain}s exceeds terminationGracePeriodSeconds ${grace}`,
          );
        }
      }
      return problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; '));
    });
  },
};
