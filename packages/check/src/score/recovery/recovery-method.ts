import { type KubeObject, refOf } from '../../model/objects.ts';
import { type LabelSelector, selectorMatches } from '../../model/selector.ts';
import { allContainersOf, type Workload } from '../../model/workload.ts';
import type { CheckContext } from '../context.ts';
import { CLUSTER_REF } from '../internal/nodes.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule, RuleResult } from '../rule.ts';

/** Objects that show a declarative (GitOps) source reconciles the cluster. */
const GITOPS_KINDS = ['Application', 'ApplicationSet', 'Kustomization', 'HelmRelease', 'GitRepository'];

type ConfigKind = 'Secret' | 'ConfigMap';
const RESOURCE: Record<ConfigKind, string> = { Secret: 'secrets', ConfigMap: 'configmaps' };

/** Secrets and ConfigMaps a pod template names: env, envFrom, volumes (projected too), image pull secrets. */
function referencedConfig(w: Workload): Array<{ kind: ConfigKind; name: string }> {
  const refs: Array<{ kind: ConfigKind; name: string }> = [];
  const add = (kind: ConfigKind, name: unknown) => {
    if (typeof name === 'string' && name && !refs.some((r) => r.kind === kind && r.name === name))
      refs.push({ kind, name });
  };
  for (const c of allContainersOf(w.podSpec)) {
    for (const from of c?.envFrom ?? []) {
      add('Secret', from?.secretRef?.name);
      add('ConfigMap', from?.configMapRef?.name);
    }
    for (const e of c?.env ?? []) {
      add('Secret', e?.valueFrom?.secretKeyRef?.name);
      add('ConfigMap', e?.valueFrom?.configMapKeyRef?.name);
    }
  }
  for (const v of w.podSpec?.volumes ?? []) {
    add('Secret', v?.secret?.secretName);
    add('ConfigMap', v?.configMap?.name);
    for (const source of v?.projected?.sources ?? []) {
      add('Secret', source?.secret?.name);
      add('ConfigMap', source?.configMap?.name);
    }
  }
  for (const pull of w.podSpec?.imagePullSecrets ?? []) add('Secret', pull?.name);
  return refs;
}

const listed = (list: unknown, value: string) =>
  Array.isArray(list) && (list.includes(value) || list.includes('*'));

/**
 * Why a Velero Schedule leaves a Secret or ConfigMap out of its backups, or undefined when it includes it.
 * `object` is the Secret itself when it is among the checked objects; a label selector can only be judged
 * against its labels.
 */
function leftOut(
  schedule: KubeObject,
  kind: ConfigKind,
  namespace: string,
  object: KubeObject | undefined,
): { reason: string; certain: boolean } | undefined {
  const t = schedule.spec?.template ?? {};
  if (t.includedNamespaces?.length && !listed(t.includedNamespaces, namespace)) return undefined;
  if (listed(t.excludedNamespaces, namespace)) return undefined;
  const resource = RESOURCE[kind];
  if (t.includedResources?.length && !listed(t.includedResources, resource))
    return { reason: `its includedResources leave out ${resource}`, certain: true };
  if (listed(t.excludedResources, resource))
    return { reason: `its excludedResources name ${resource}`, certain: true };
  const selectors: LabelSelector[] = [t.labelSelector, ...(t.orLabelSelectors ?? [])].filter(Boolean);
  if (selectors.length === 0) return undefined;
  const wanted = selectors.map((s) => JSON.stringify(s.matchLabels ?? s)).join(' or ');
  if (!object) {
    return {
      reason: `it selects by label (${wanted}) and the object is not among the checked ones (created outside the chart), so it is backed up only if it carries such a label`,
      certain: false,
    };
  }
  if (selectors.some((s) => selectorMatches(s, object.metadata?.labels ?? {}))) return undefined;
  return { reason: `it selects by label (${wanted}) and the object carries none of them`, certain: true };
}

/**
 * A namespace restored from a Schedule that covers the workloads but not the Secrets (and ConfigMaps) their
 * pods name comes back without its credentials: the pods never start. Schedules that select by label miss
 * every Secret created outside the chart (the `existingSecret` of a managed database, a CA bundle).
 */
function restoreGaps(ctx: CheckContext, schedules: KubeObject[]): RuleResult[] {
  const findings: RuleResult[] = [];
  for (const schedule of schedules) {
    const t = schedule.spec?.template ?? {};
    for (const w of ctx.workloads) {
      const coversWorkload =
        (!t.includedNamespaces?.length || listed(t.includedNamespaces, w.namespace)) &&
        !listed(t.excludedNamespaces, w.namespace);
      if (!coversWorkload) continue;
      for (const ref of referencedConfig(w)) {
        const gap = leftOut(schedule, ref.kind, w.namespace, ctx.find(ref.kind, w.namespace, ref.name));
        if (!gap) continue;
        findings.push(
          fail(
            refOf(schedule),
            `a restore from this schedule ${gap.certain ? 'comes' : 'may come'} back without ${ref.kind} ${ref.name} that ${w.kind} ${w.name} in ${w.namespace} needs: ${gap.reason}`,
            // Certain gaps are errors where a controls file makes recovery a checked control; a gap that
            // depends on labels we cannot see stays a warning.
            { severity: gap.certain && ctx.options.controls ? 'error' : 'warning' },
          ),
        );
      }
    }
  }
  return findings;
}

export const rule: Rule = {
  id: 'recovery-method',
  categories: ['Kubernetes resources'],
  severity: 'warning',
  title: 'Kubernetes resources have a recovery method',
  why: 'After a namespace deletion or cluster loss something must rebuild the resources: a Velero Schedule, or a declared GitOps source. Without either, recovery is a manual re-install from memory. A Velero Schedule must also take the Secrets and ConfigMaps the pods name, including those created outside the chart, or the restored pods never start. A warning without a controls file, because GitOps state usually lives outside the checked objects.',
  fix: 'Enable the chart’s Velero Schedule (velero.io/v1 Schedule covering the namespace, backup.velero.scope: namespace so Secrets created outside the chart are included), or declare the GitOps recovery in the controls file (recovery: {method: gitops, repository: ...}).',
  check(ctx) {
    const schedules = ctx.ofKind('Schedule').filter((s) => (s.apiVersion ?? '').startsWith('velero.io/'));
    if (schedules.length > 0) {
      const gaps = restoreGaps(ctx, schedules);
      return gaps.length > 0 ? gaps : schedules.map((s) => pass(refOf(s)));
    }
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
