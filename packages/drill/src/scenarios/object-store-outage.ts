import type { Scenario } from '../scenario.ts';

/** How long the lab's object store stays down. */
export const OUTAGE_MS = 8_000;

/** Zone / dependency failure: the object store is unreachable for a while; only documents may fail. */
export const objectStoreOutage: Scenario = {
  id: 'object-store-outage',
  title: `stop the object store for ${OUTAGE_MS / 1000} s`,
  documentRow: 'Zone failure',
  controls: ['Object storage'],
  thresholds: { 'failed-requests-except-uploads': 0, 'upload-failure-status': 503 },
  lab: {
    async inject(target, ctx) {
      await target.lab.kill('s3');
      ctx.note('fault', 'SIGKILL s3 (the object store)', 's3');
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    },
    async restore(target, ctx) {
      if (target.stoppedServices('s3').length === 0) return;
      await target.lab.restart('s3');
      ctx.note('note', 's3 started again', 's3');
    },
  },
  kubernetes: {
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'object-store-outage');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
