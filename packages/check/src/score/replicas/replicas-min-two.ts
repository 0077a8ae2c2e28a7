import { isReplicated } from '../../model/workload.ts';
import { fail, pass, plural } from '../internal/result.ts';
import { LONG_RUNNING } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'replicas-min-two',
  categories: ['Replica posture'],
  severity: 'error',
  title: 'Services run at least two replicas',
  why: 'A single replica is an outage on every pod eviction, node drain or crash; the document asks for more than one replica for every service that should survive pod or node loss. Judged for serving workloads; for workers (which no Service routes clients to) only a bare Pod is reported, since nothing recreates it.',
  fix: 'Set replicas (or the chart value replicaCount) to 2 or more; if the service truly cannot be replicated, annotate it dalp.io/singleton: "true" with a dalp.io/singleton-reason so it is listed as a singleton dependency.',
  appliesTo: LONG_RUNNING,
  onlyFor: { worker: 'bare Pods' },
  check(ctx) {
    return ctx
      .workloadsOf(LONG_RUNNING)
      .filter((w) => w.kind === 'Pod' || (isReplicated(w) && w.workloadClass === 'serving'))
      .map((w) => {
        if (w.singleton) return pass(w.ref);
        if (w.kind === 'Pod') {
          return fail(w.ref, 'bare Pod: nothing recreates it when it or its node dies', {
            fix: 'Run it from a Deployment or StatefulSet with at least 2 replicas.',
          });
        }
        // An HPA owns the replica count of its target; hpa-min-replicas judges its floor instead.
        if (ctx.hpaFor(w)) return pass(w.ref);
        const replicas = w.replicas ?? 1;
        return replicas >= 2
          ? pass(w.ref)
          : fail(w.ref, `${plural(replicas, 'replica')} and not marked as a documented singleton`);
      });
  },
};
