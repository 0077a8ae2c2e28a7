import type { Scenario } from '../scenario.ts';

/** Pod failure: a replica crashes. The lab's supervisor (its kubelet) restarts it with back-off. */
export const podCrash: Scenario = {
  id: 'pod-crash',
  title: 'SIGKILL one dapp replica; it is restarted with back-off',
  documentRow: 'Pod failure',
  controls: ['Replica posture'],
  thresholds: { 'failed-requests': 0 },
  lab: {
    async inject(target, ctx) {
      const victim = await target.leastRestartedReplica();
      await target.lab.kill(victim);
      ctx.note('fault', `SIGKILL ${victim}`, victim);
    },
  },
  kubernetes: {
    async inject(target, ctx) {
      const pod = await target.pickPod();
      // Grace period 0: the container is killed at once, as a crash ends it (no preStop, no SIGTERM).
      await target.deletePod(pod.name, 0);
      ctx.note('fault', `deleted pod ${pod.name} on ${pod.node} with grace period 0`, pod.name);
    },
  },
};
