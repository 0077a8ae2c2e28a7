import type { Rule } from '../types.ts';
import { fail, pass, plural } from './helpers.ts';

/** Deployment maxUnavailable: percentages round down (maxSurge rounds up). */
function resolve(value: unknown, replicas: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value.trim());
    if (m) return (roundUp ? Math.ceil : Math.floor)((Number(m[1]) * replicas) / 100);
    if (/^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

export const rule: Rule = {
  id: 'rolling-update-capacity',
  rows: ['Probes and lifecycle'],
  severity: 'warning',
  title: 'Rolling updates never drop below capacity',
  why: 'A Recreate strategy stops every replica before starting new ones, and a RollingUpdate with maxUnavailable above 0 serves with fewer replicas during each rollout; both turn a release into reduced capacity or downtime.',
  fix: 'Use strategy RollingUpdate with maxUnavailable: 0 and maxSurge: 1 (or 25%).',
  check(ctx) {
    return ctx.workloads
      .filter((w) => w.kind === 'Deployment' && !w.singleton)
      .map((w) => {
        const replicas = ctx.maxReplicas(w) ?? w.replicas ?? 1;
        const strategy = w.object.spec?.strategy ?? {};
        if (strategy.type === 'Recreate') {
          return fail(w.ref, `strategy Recreate stops all ${plural(replicas, 'replica')} on every rollout`, {
            severity: replicas >= 2 ? 'error' : 'warning',
          });
        }
        const unavailable = resolve(strategy.rollingUpdate?.maxUnavailable ?? '25%', replicas, false);
        if (unavailable === undefined)
          return fail(w.ref, 'rollingUpdate.maxUnavailable is not an integer or percentage');
        if (unavailable <= 0) return pass(w.ref);
        const given = strategy.rollingUpdate?.maxUnavailable === undefined ? ' (the default 25%)' : '';
        return fail(
          w.ref,
          `maxUnavailable${given} lets a rollout run ${plural(unavailable, 'replica')} below the ${replicas} it needs`,
        );
      });
  },
};
