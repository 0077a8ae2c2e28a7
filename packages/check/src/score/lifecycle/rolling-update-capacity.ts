import { scaleIntOrPercent } from '../../model/int-or-percent.ts';
import { claimsOf, describeClaim, isNodeExclusive } from '../../model/volumes.ts';
import type { Workload } from '../../model/workload.ts';
import type { CheckContext } from '../context.ts';
import { fail, pass, plural } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule, RuleResult } from '../rule.ts';

const ONE_NODE_FIX =
  'Keep strategy Recreate (or RollingUpdate with maxSurge: 0 and maxUnavailable: 1) while one replica owns a ReadWriteOnce volume; to roll without downtime, move the state to a managed service or to a StatefulSet with a volume per replica.';

/**
 * A Deployment whose replicas share a volume that attaches to one node at a time. A second pod on another
 * node cannot attach it (Multi-Attach error), so the usual advice to surge one pod would stall the rollout.
 */
function sharedVolumeRollout(ctx: CheckContext, w: Workload, replicas: number): RuleResult | undefined {
  const claim = claimsOf(w, ctx).find((c) => c.scope === 'shared' && isNodeExclusive(c));
  if (!claim) return undefined;
  const strategy = w.object.spec?.strategy ?? {};
  const where = describeClaim(claim);
  if (replicas >= 2) {
    return fail(
      w.ref,
      `${plural(replicas, 'replica')} share the ReadWriteOnce ${where}: replicas on other nodes cannot attach it`,
      { fix: ONE_NODE_FIX },
    );
  }
  if (strategy.type === 'Recreate') {
    return fail(
      w.ref,
      `strategy Recreate is what the ReadWriteOnce ${where} needs (a surge pod could not attach it); each rollout still stops the one replica`,
      { severity: 'info' },
    );
  }
  const surge = scaleIntOrPercent(strategy.rollingUpdate?.maxSurge ?? '25%', replicas, 'up');
  if (surge === undefined || surge <= 0) return pass(w.ref);
  return fail(
    w.ref,
    `maxSurge ${surge} starts the new pod while the old one holds the ReadWriteOnce ${where}: on another node it waits on a Multi-Attach error and the rollout stalls`,
    { fix: ONE_NODE_FIX },
  );
}

export const rule: Rule = {
  id: 'rolling-update-capacity',
  categories: ['Probes and lifecycle'],
  severity: 'warning',
  title: 'Rolling updates never drop below capacity',
  why: 'A Recreate strategy stops every replica before starting new ones, and a RollingUpdate with maxUnavailable above 0 serves with fewer replicas during each rollout; both turn a release into reduced capacity or downtime. A Deployment that mounts a ReadWriteOnce volume is the exception: its new pod cannot attach the volume while the old one holds it on another node, so surging stalls the rollout; there Recreate (or maxSurge 0) is right and surging is the finding. Capacity is judged for serving workloads; the volume case for workers too.',
  fix: 'Use strategy RollingUpdate with maxUnavailable: 0 and maxSurge: 1 (or 25%).',
  appliesTo: LONG_RUNNING,
  onlyFor: { worker: 'ReadWriteOnce volumes' },
  check(ctx) {
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => w.kind === 'Deployment')
      .flatMap((w): RuleResult[] => {
        const replicas = ctx.maxReplicas(w) ?? w.replicas ?? 1;
        // A stalled rollout is a fact of the volume, whether or not the workload is a declared singleton.
        const volume = sharedVolumeRollout(ctx, w, replicas);
        if (volume) return [volume];
        if (w.singleton) return [];
        // A worker's rollout dip reaches no client; Recreate is even right for a leader-elected singleton.
        if (w.workloadClass !== 'serving') return [pass(w.ref)];
        const strategy = w.object.spec?.strategy ?? {};
        if (strategy.type === 'Recreate') {
          return [
            fail(w.ref, `strategy Recreate stops all ${plural(replicas, 'replica')} on every rollout`, {
              severity: replicas >= 2 ? 'error' : 'warning',
            }),
          ];
        }
        const unavailable = scaleIntOrPercent(
          strategy.rollingUpdate?.maxUnavailable ?? '25%',
          replicas,
          'down',
        );
        if (unavailable === undefined)
          return [fail(w.ref, 'rollingUpdate.maxUnavailable is not an integer or percentage')];
        if (unavailable <= 0) return [pass(w.ref)];
        const given = strategy.rollingUpdate?.maxUnavailable === undefined ? ' (the default 25%)' : '';
        return [
          fail(
            w.ref,
            `maxUnavailable${given} lets a rollout run ${plural(unavailable, 'replica')} below the ${replicas} it needs`,
          ),
        ];
      });
  },
};
