import type { Scenario } from '../scenario.ts';

/** Database failure: the PostgreSQL primary dies; Patroni promotes the synchronous standby. */
export const databaseFailover: Scenario = {
  id: 'database-failover',
  title: 'kill the PostgreSQL primary',
  documentRow: 'Database failure',
  controls: ['Managed PostgreSQL'],
  dataService: 'postgres',
  thresholds: { 'writes-back-seconds': 15, 'lost-writes': 0 },
  lab: {
    async inject(target, ctx) {
      const primary = await target.postgresPrimary();
      await target.lab.kill(primary);
      ctx.note('fault', `SIGKILL ${primary} (Patroni and PostgreSQL)`, primary);
      await target.rideOutFailover(primary, ctx, ctx.options.holdMs);
    },
    async restore(target, ctx) {
      for (const name of target.stoppedServices('postgres')) {
        await target.lab.restart(name);
        ctx.note('note', `${name} started again`, name);
      }
    },
  },
  kubernetes: {
    // A managed database fails over through its provider (e.g. aws rds reboot-db-instance --force-failover).
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'database-failover');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
