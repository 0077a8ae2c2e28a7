import { isReplicated } from '../model/workload.ts';
import type { Rule } from '../types.ts';
import { fail, pass, plural } from './helpers.ts';

export const rule: Rule = {
  id: 'replicas-min-two',
  rows: ['Replica posture'],
  severity: 'error',
  title: 'Services run at least two replicas',
  why: 'A single replica is an outage on every pod eviction, node drain or crash; the document asks for more than one replica for every service that should survive pod or node loss.',
  fix: 'Set replicas (or the chart value replicaCount) to 2 or more; if the service truly cannot be replicated, annotate it dalp.io/singleton: "true" with a dalp.io/singleton-reason so it is listed as a singleton dependency.',
  check(ctx) {
    return ctx.workloads
      .filter((w) => isReplicated(w) || w.kind === 'Pod')
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
