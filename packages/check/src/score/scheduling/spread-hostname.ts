import { HOSTNAME_KEY, spreadOn } from '../../model/scheduling.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, multiReplica } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'spread-hostname',
  categories: ['Scheduling posture'],
  severity: 'error',
  title: 'Replicas spread over nodes',
  why: 'Without anti-affinity or a topology spread constraint on kubernetes.io/hostname the scheduler may put every replica on one node, and one node failure takes the service down. Only terms whose selector matches the pods themselves count.',
  fix: 'Add podAntiAffinity (preferred is enough: the chart preset "soft") or a topologySpreadConstraint with topologyKey kubernetes.io/hostname and a labelSelector matching the pod labels.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    return multiReplica(ctx, LONG_RUNNING).map((w) =>
      spreadOn(w, [HOSTNAME_KEY])
        ? pass(w.ref)
        : fail(
            w.ref,
            'no anti-affinity or topology spread on kubernetes.io/hostname that selects its own pods',
          ),
    );
  },
};
