import type { Scenario } from '../scenario.ts';

/**
 * Zone failure, the split-brain risk: the zone holding the PostgreSQL primary is cut off from the network
 * while its processes keep running, then the partition heals (under the workload: the dangerous moment).
 */
export const zonePartition: Scenario = {
  id: 'zone-partition',
  title: 'cut the zone holding the PostgreSQL primary off the network while it keeps running, then heal',
  documentRow: 'Zone failure',
  controls: ['Scheduling posture'],
  dataService: 'postgres',
  thresholds: { 'writes-back-seconds': 15, 'lost-writes': 0 },
  lab: {
    async inject(target, ctx) {
      const primary = await target.postgresPrimary();
      const zone = target.lab.component(primary).zone!;
      await target.lab.partition(zone);
      ctx.note('fault', `partition zone ${zone}`, zone);
      await target.rideOutFailover(primary, ctx, ctx.options.holdMs);
    },
    async restore(target, ctx) {
      for (const zone of target.lab.state.partitions) {
        await target.lab.heal(zone);
        ctx.note('note', `heal zone ${zone}`, zone);
      }
    },
  },
  kubernetes: {
    // No Kubernetes API cuts a zone's network; a user command can (a cloud network ACL, a NetworkPolicy).
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'zone-partition');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
