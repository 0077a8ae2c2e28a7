import type { Scenario } from '../scenario.ts';

/**
 * Cluster resource loss: the whole application tier is deleted and rebuilt from its declarative
 * configuration alone (the lab's state file; on Kubernetes the release's objects as they were read).
 */
export const appTierRebuild: Scenario = {
  id: 'app-tier-rebuild',
  title: 'kill every dapp replica and rebuild the tier from its declarative configuration only',
  documentRow: 'Cluster resource loss',
  controls: ['Kubernetes resources'],
  thresholds: { 'writes-back-seconds': 60, 'lost-writes': 0 },
  lab: {
    async inject(target, ctx) {
      ctx.note('fault', 'delete every dapp replica and create it again from the lab description');
      await target.lab.recreateReplicas();
    },
  },
  kubernetes: {
    async inject(target, ctx) {
      const kinds = await target.recreateRelease(ctx);
      ctx.note('note', `re-applied ${kinds}`);
    },
  },
};
