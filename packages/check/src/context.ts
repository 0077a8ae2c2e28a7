import type { Controls } from './controls.ts';
import { type LabelSelector, selectorMatches } from './model/selector.ts';
import { namespaceOf, toWorkload, type Workload } from './model/workload.ts';
import type { KubeObject, Profile } from './types.ts';

export interface CheckOptions {
  profile: Profile;
  /** The moment recovery-test ages are measured from. */
  now: Date;
  /** Recovery tests older than this many days do not count as evidence. */
  maxTestAgeDays: number;
  /** Longest acceptable not-ready/unreachable toleration, in seconds. */
  tolerationBoundSeconds: number;
  /** Node and pod state is present (a dump or a live cluster), so cluster rules run. */
  clusterState: boolean;
  controls?: Controls;
}

export const DEFAULT_OPTIONS: Omit<CheckOptions, 'now'> = {
  profile: 'production',
  maxTestAgeDays: 90,
  tolerationBoundSeconds: 300,
  clusterState: false,
};

export interface AlertRule {
  name: string;
  expr: string;
  labels: Record<string, string>;
  owner: KubeObject;
}

/** The checked objects with the indexes rules need, built once per run. */
export class CheckContext {
  readonly workloads: Workload[] = [];
  readonly alerts: AlertRule[] = [];
  private readonly kinds = new Map<string, KubeObject[]>();
  private readonly hpaByTarget = new Map<string, KubeObject>();

  constructor(
    readonly objects: KubeObject[],
    readonly options: CheckOptions,
  ) {
    for (const object of objects) {
      const kind = object.kind ?? '';
      const list = this.kinds.get(kind);
      if (list) list.push(object);
      else this.kinds.set(kind, [object]);
      const workload = toWorkload(object);
      if (workload) this.workloads.push(workload);
    }
    for (const hpa of this.ofKind('HorizontalPodAutoscaler')) {
      const target = hpa.spec?.scaleTargetRef;
      if (target?.kind && target?.name)
        this.hpaByTarget.set(`${namespaceOf(hpa)}/${target.kind}/${target.name}`, hpa);
    }
    for (const owner of this.ofKind('PrometheusRule')) {
      for (const group of owner.spec?.groups ?? []) {
        for (const rule of group?.rules ?? []) {
          if (typeof rule?.alert === 'string') {
            this.alerts.push({
              name: rule.alert,
              expr: String(rule.expr ?? ''),
              labels: rule.labels ?? {},
              owner,
            });
          }
        }
      }
    }
  }

  get profile(): Profile {
    return this.options.profile;
  }

  ofKind(kind: string): KubeObject[] {
    return this.kinds.get(kind) ?? [];
  }

  hpaFor(workload: Workload): KubeObject | undefined {
    return this.hpaByTarget.get(`${workload.namespace}/${workload.kind}/${workload.name}`);
  }

  /** The fewest replicas the workload can run with: the HPA's floor when one scales it. */
  minReplicas(workload: Workload): number | undefined {
    const hpa = this.hpaFor(workload);
    if (hpa) return typeof hpa.spec?.minReplicas === 'number' ? hpa.spec.minReplicas : 1;
    return workload.replicas;
  }

  /** The most replicas the workload runs with in steady state. */
  maxReplicas(workload: Workload): number | undefined {
    const hpa = this.hpaFor(workload);
    if (hpa && typeof hpa.spec?.maxReplicas === 'number') return hpa.spec.maxReplicas;
    return workload.replicas;
  }

  /** PDBs in the workload's namespace whose selector picks the workload's pods. */
  pdbsFor(workload: Workload): KubeObject[] {
    return this.ofKind('PodDisruptionBudget').filter(
      (pdb) =>
        namespaceOf(pdb) === workload.namespace &&
        selectorMatches(pdb.spec?.selector as LabelSelector | undefined, workload.podLabels),
    );
  }

  /** Live pods (from a dump or cluster) that belong to the workload. */
  podsOf(workload: Workload): KubeObject[] {
    if (workload.kind === 'Pod') return [workload.object];
    return this.ofKind('Pod').filter(
      (pod) =>
        namespaceOf(pod) === workload.namespace &&
        selectorMatches(workload.selector, pod.metadata?.labels ?? {}) &&
        pod.status?.phase !== 'Succeeded' &&
        pod.status?.phase !== 'Failed',
    );
  }
}
