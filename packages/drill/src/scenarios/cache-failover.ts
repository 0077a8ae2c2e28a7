import type { Scenario } from '../scenario.ts';

/** Zone / dependency failure: the Redis primary dies; the Sentinels promote a replica. */
export const cacheFailover: Scenario = {
  id: 'cache-failover',
  title: 'kill the Redis primary',
  documentRow: 'Zone failure',
  controls: ['Managed cache'],
  dataService: 'redis',
  thresholds: { 'failed-requests': 0 },
  lab: {
    async inject(target, ctx) {
      const primary = await target.redisPrimary();
      await target.lab.kill(primary);
      ctx.note('fault', `SIGKILL ${primary}`, primary);
      await target.lab.waitForRoles(
        (r) => !!r.sentinelsName && r.sentinelsName !== primary,
        ctx.options.holdMs,
        'a new Redis primary',
      );
    },
    async restore(target, ctx) {
      for (const name of target.stoppedServices('redis')) {
        await target.lab.restart(name);
        ctx.note('note', `${name} started again`, name);
      }
    },
  },
  kubernetes: {
    // A managed cache fails over through its provider (e.g. aws elasticache test-failover).
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'cache-failover');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
