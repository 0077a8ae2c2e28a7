import type { Scenario } from '../scenario.ts';

/** Pod failure, planned: every replica replaced one by one, as a Deployment rollout does. */
export const rollingUpdate: Scenario = {
  id: 'rolling-update',
  title: 'replace every dapp replica one by one, as a Deployment rollout does',
  documentRow: 'Pod failure',
  controls: ['Replica posture'],
  thresholds: { 'failed-requests': 0 },
  lab: {
    async inject(target, ctx) {
      for (const replica of target.lab.ofKind('dapp')) {
        ctx.note('fault', `replacing ${replica.name}`, replica.name);
        await target.lab.restart(replica.name);
      }
    },
  },
  kubernetes: {
    async inject(target, ctx) {
      const deployment = await target.restartRollout();
      ctx.note('fault', `rollout of deployment ${deployment} complete`, deployment);
    },
  },
};
