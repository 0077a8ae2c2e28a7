import type { Rule } from '../types.ts';
import { CLUSTER_REF } from './cluster-state.ts';
import { fail, pass } from './helpers.ts';

/** Objects that show a declarative (GitOps) source reconciles the cluster. */
const GITOPS_KINDS = ['Application', 'ApplicationSet', 'Kustomization', 'HelmRelease', 'GitRepository'];

export const rule: Rule = {
  id: 'recovery-method',
  rows: ['Kubernetes resources'],
  severity: 'warning',
  title: 'Kubernetes resources have a recovery method',
  why: 'After a namespace deletion or cluster loss something must rebuild the resources: a Velero Schedule, or a declared GitOps source. Without either, recovery is a manual re-install from memory. A warning without a controls file, because GitOps state usually lives outside the checked objects.',
  fix: 'Enable the chart’s Velero Schedule (velero.io/v1 Schedule covering the namespace), or declare the GitOps recovery in the controls file (recovery: {method: gitops, repository: ...}).',
  check(ctx) {
    const schedules = ctx.ofKind('Schedule').filter((s) => (s.apiVersion ?? '').startsWith('velero.io/'));
    if (schedules.length > 0) return [pass(CLUSTER_REF)];
    const recovery = ctx.options.controls?.recovery;
    if (recovery?.method === 'gitops' && recovery.repository) return [pass(CLUSTER_REF)];
    if (recovery?.method === 'other' && recovery.description) return [pass(CLUSTER_REF)];
    const gitops = GITOPS_KINDS.flatMap((k) => ctx.ofKind(k)).filter((o) =>
      /(argoproj\.io|fluxcd\.io)/.test(o.apiVersion ?? ''),
    );
    if (gitops.length > 0) return [pass(CLUSTER_REF)];
    const declared =
      recovery?.method === 'velero' ? ' (the controls file names Velero, but no Schedule is present)' : '';
    return [
      fail(CLUSTER_REF, `no Velero Schedule and no declared GitOps recovery${declared}`, {
        severity: ctx.options.controls ? 'error' : 'warning',
      }),
    ];
  },
};
