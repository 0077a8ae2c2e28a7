import type { Scenario } from '../scenario.ts';

/**
 * Node failure: the node holding the PostgreSQL primary (and a dapp replica) loses power. On Kubernetes
 * the node is cordoned and drained (evictions respect PodDisruptionBudgets): a planned node loss.
 */
export const nodeLoss: Scenario = {
  id: 'node-loss',
  title: 'power off the node holding the PostgreSQL primary and a dapp replica',
  documentRow: 'Node failure',
  controls: ['Replica posture', 'Scheduling posture'],
  dataService: 'postgres',
  thresholds: { 'writes-back-seconds': 15, 'lost-writes': 0 },
  lab: {
    async inject(target, ctx) {
      const primary = await target.postgresPrimary();
      const node = target.lab.component(primary).node;
      await target.lab.powerOff(node);
      ctx.note('fault', `power off node ${node}`, node);
      await target.rideOutFailover(primary, ctx, ctx.options.holdMs);
    },
    async restore(target, ctx) {
      for (const node of target.lab.state.poweredOff) {
        await target.lab.powerOn(node);
        ctx.note('note', `power on node ${node}`, node);
      }
    },
  },
  kubernetes: {
    async inject(target, ctx) {
      const { node } = await target.pickPod();
      ctx.note('fault', `cordon and drain node ${node}`, node);
      await target.drainNode(node, ctx.options.holdMs);
      ctx.note('note', `node ${node} drained`, node);
    },
    async restore(target, ctx) {
      for (const node of await target.cordonedByDrill()) {
        await target.uncordon(node);
        ctx.note('note', `uncordon node ${node}`, node);
      }
    },
  },
};
