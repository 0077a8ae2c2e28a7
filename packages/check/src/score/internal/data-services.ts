import type { Category } from '../../model/categories.ts';
import type { Workload } from '../../model/workload.ts';
import type { CheckContext } from '../context.ts';
import type { Rule, RuleResult } from '../rule.ts';
import { fail, pass } from './result.ts';
import { LONG_RUNNING } from './workloads.ts';

export const COMPONENT_LABEL = 'dalp.io/component';

export type DataService = 'postgresql' | 'cache' | 'object-storage';

const COMPONENTS: Record<DataService, { labels: string[]; image: RegExp }> = {
  postgresql: {
    labels: ['postgresql', 'postgres'],
    image: /(^|\/)(postgres|postgresql|patroni|spilo|cloudnative-pg)[:@/]|(^|\/)postgres(ql)?$/,
  },
  cache: {
    labels: ['redis', 'valkey', 'cache'],
    image: /(^|\/)(redis|valkey|redis-stack|keydb|dragonfly)([:@/]|$)/,
  },
  'object-storage': {
    labels: ['rustfs', 'minio', 'object-storage', 's3'],
    image: /(^|\/)(rustfs|minio|seaweedfs|garage)([:@/]|$)/,
  },
};

/** Whether the workload is an in-cluster instance of the data service, by our label or its image. */
export function isBundled(w: Workload, service: DataService): boolean {
  const label = w.podLabels[COMPONENT_LABEL] ?? w.object.metadata?.labels?.[COMPONENT_LABEL];
  const spec = COMPONENTS[service];
  if (label) return spec.labels.includes(label);
  return (w.podSpec?.containers ?? []).some((c: { image?: string }) => spec.image.test(c?.image ?? ''));
}

export function bundledRule(
  id: string,
  category: Category,
  service: DataService,
  name: string,
  managed: string,
): Rule {
  return {
    id,
    categories: [category],
    severity: 'error',
    title: `No bundled ${name} in production`,
    why: `A ${name} running as a pod in the application cluster has none of the managed service's HA, failover, backups and zone redundancy (${managed}); in the production profile it is an error, in staging and local profiles a note.`,
    fix: `Use a managed ${name} (${managed}), disable the bundled one (support.${service === 'postgresql' ? 'postgresql' : service === 'cache' ? 'redis' : 'rustfs'}.enabled: false) and wire the connection through an existing secret.`,
    appliesTo: LONG_RUNNING,
    check(ctx: CheckContext): RuleResult[] {
      return ctx
        .workloadsOf(LONG_RUNNING)
        .filter(
          (w) =>
            w.kind === 'StatefulSet' ||
            w.kind === 'Deployment' ||
            w.kind === 'Pod' ||
            w.kind === 'ReplicaSet',
        )
        .map((w) => {
          if (!isBundled(w, service)) return pass(w.ref);
          return ctx.profile === 'production'
            ? fail(w.ref, `bundled ${name} in the production profile`)
            : fail(w.ref, `bundled ${name} (accepted in the ${ctx.profile} profile)`, { severity: 'info' });
        });
    },
  };
}
