import type { Scenario } from '../scenario.ts';

/**
 * Pod failure: a replica hangs (alive, answering nothing) until the readiness checks take it out of the
 * load balancer, then carries on. A hung process still completes TCP handshakes, so only readiness sees it.
 */
export const podHang: Scenario = {
  id: 'pod-hang',
  title: 'SIGSTOP one dapp replica until the readiness checks remove it, then SIGCONT',
  documentRow: 'Pod failure',
  controls: ['Replica posture'],
  thresholds: { 'failed-requests': 0 },
  lab: {
    async inject(target, ctx) {
      const victim = await target.leastRestartedReplica();
      await target.lab.stop(victim);
      ctx.note('fault', `SIGSTOP ${victim}`, victim);
      const out = await target.waitOutOfService(victim, ctx.options.holdMs);
      ctx.note(
        'note',
        out ? `the load balancer took ${victim} out` : `${victim} still in service after the hold`,
        victim,
      );
      await target.lab.cont(victim);
      ctx.note('note', `SIGCONT ${victim}`, victim);
    },
    async restore(target) {
      for (const c of target.lab.ofKind('dapp')) await target.lab.cont(c.name).catch(() => undefined);
    },
  },
  kubernetes: {
    // The API cannot freeze a container; a user command can (an ephemeral debug container sending SIGSTOP).
    needsFaultCommand: true,
    async inject(target, ctx) {
      await target.runFaultCommand(ctx, 'pod-hang');
    },
    async restore(target, ctx) {
      await target.runRestoreCommand(ctx);
    },
  },
};
