import type { Scenario } from '../scenario.ts';

/**
 * Zone failure: every node of the zone holding the PostgreSQL primary loses power. On Kubernetes every
 * node of a zone is tainted NoExecute, so its pods are evicted and rescheduled in the other zones.
 */
export const zoneLoss: Scenario = {
  id: 'zone-loss',
  title: 'power off every node of the zone holding the PostgreSQL primary',
  documentRow: 'Zone failure',
  controls: ['Scheduling posture'],
  dataService: 'postgres',
  thresholds: { 'writes-back-seconds': 15, 'lost-writes': 0 },
  lab: {
    async inject(target, ctx) {
      const primary = await target.postgresPrimary();
      const zone = target.lab.component(primary).zone!;
      await target.lab.powerOff(zone);
      ctx.note('fault', `power off zone ${zone}`, zone);
      await target.rideOutFailover(primary, ctx, ctx.options.holdMs);
    },
    async restore(target, ctx) {
      const zones = new Set(target.lab.state.poweredOff.map((node) => target.zoneOfNode(node)));
      for (const zone of zones) {
        await target.lab.powerOn(zone);
        ctx.note('note', `power on zone ${zone}`, zone);
      }
    },
  },
  kubernetes: {
    async inject(target, ctx) {
      const zone = await target.zoneOf((await target.pickPod()).node);
      ctx.note('fault', `taint every node of zone ${zone} NoExecute`, zone);
      await target.taintZone(zone);
      await target.waitAvailable(ctx.options.holdMs);
    },
    async restore(target, ctx) {
      for (const zone of await target.taintedByDrill()) {
        await target.untaintZone(zone);
        ctx.note('note', `taint removed from zone ${zone}`, zone);
      }
    },
  },
};
