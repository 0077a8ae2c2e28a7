import { type AlertRule, alertRulesOf } from '../model/alerts.ts';
import type { Controls } from '../model/controls.ts';
import { type KubeObject, namespaceOf, type ObjectIndex } from '../model/objects.ts';
import type { RenderCompleteness } from '../model/render.ts';
import { type LabelSelector, selectorMatches } from '../model/selector.ts';
import { servedByServices } from '../model/services.ts';
import { toWorkload, type Workload, type WorkloadClass } from '../model/workload.ts';

export type Profile = 'production' | 'staging' | 'local';

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
  /** Rule ids not to run at all (`--skip`). */
  skipRules?: string[];
  /**
   * Which namespaces' workloads, PDBs, HPAs and ConfigMaps are judged. Objects outside still count where
   * they matter (a kube-system pod still takes node capacity in the zone-loss model).
   */
  scope?: NamespaceScope;
  /** For a chart: what helm rendered and which enabled dependencies it left out. */
  render?: RenderCompleteness;
}

export interface NamespaceScope {
  /** Only these namespaces (a `--namespace` run); empty or absent means all. */
  include?: string[];
  exclude?: string[];
}

/** Cluster plumbing the application team does not own; left out of cluster runs unless asked for. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

export const DEFAULT_OPTIONS: Omit<CheckOptions, 'now'> = {
  profile: 'production',
  maxTestAgeDays: 90,
  tolerationBoundSeconds: 300,
  clusterState: false,
};

/** The checked objects with the indexes rules need, built once per run. */
export class CheckContext implements ObjectIndex {
  readonly workloads: Workload[] = [];
  readonly alerts: AlertRule[];
  private readonly kinds = new Map<string, KubeObject[]>();
  private readonly hpaByTarget = new Map<string, KubeObject>();
  // Indexes keep every rule linear in the input: without them, matching each workload against every PDB
  // or pod grows with the square of the object count (see bench/check.bench.ts).
  private readonly byNamespace = new Map<string, Map<string, KubeObject[]>>();
  private readonly byName = new Map<string, KubeObject>();
  private readonly workloadsByNamespace = new Map<string, Workload[]>();
  private podsByLabel?: Map<string, KubeObject[]>;

  constructor(
    readonly objects: KubeObject[],
    readonly options: CheckOptions,
  ) {
    for (const object of objects) {
      const kind = object.kind ?? '';
      const list = this.kinds.get(kind);
      if (list) list.push(object);
      else this.kinds.set(kind, [object]);
      this.byName.set(`${kind}\0${namespaceOf(object)}\0${object.metadata?.name ?? ''}`, object);
    }
    const servedBy = servedByServices(this.ofKind('Service'));
    for (const object of objects) {
      const workload = toWorkload(object, servedBy);
      if (workload && this.inScope(object)) {
        this.workloads.push(workload);
        const list = this.workloadsByNamespace.get(workload.namespace);
        if (list) list.push(workload);
        else this.workloadsByNamespace.set(workload.namespace, [workload]);
      }
    }
    for (const hpa of this.ofKind('HorizontalPodAutoscaler')) {
      const target = hpa.spec?.scaleTargetRef;
      if (target?.kind && target?.name)
        this.hpaByTarget.set(`${namespaceOf(hpa)}/${target.kind}/${target.name}`, hpa);
    }
    this.alerts = alertRulesOf(this.ofKind('PrometheusRule'));
  }

  /** Whether the object's namespace is one the run judges. */
  inScope(object: KubeObject): boolean {
    const scope = this.options.scope;
    if (!scope) return true;
    const ns = namespaceOf(object);
    if (scope.include && scope.include.length > 0 && !scope.include.includes(ns)) return false;
    return !(scope.exclude ?? []).includes(ns);
  }

  /** Objects of a kind that the run judges (see `scope`). */
  scoped(kind: string): KubeObject[] {
    return this.options.scope ? this.ofKind(kind).filter((o) => this.inScope(o)) : this.ofKind(kind);
  }

  get profile(): Profile {
    return this.options.profile;
  }

  ofKind(kind: string): KubeObject[] {
    return this.kinds.get(kind) ?? [];
  }

  /** Objects of a kind in one namespace (namespace-less objects count as "default"). */
  inNamespace(kind: string, namespace: string): KubeObject[] {
    let index = this.byNamespace.get(kind);
    if (!index) {
      index = new Map();
      for (const object of this.ofKind(kind)) {
        const ns = namespaceOf(object);
        const list = index.get(ns);
        if (list) list.push(object);
        else index.set(ns, [object]);
      }
      this.byNamespace.set(kind, index);
    }
    return index.get(namespace) ?? [];
  }

  find(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.byName.get(`${kind}\0${namespace}\0${name}`);
  }

  /** The judged workloads of the given classes (a rule's `appliesTo`). */
  workloadsOf(classes: readonly WorkloadClass[]): Workload[] {
    return this.workloads.filter((w) => classes.includes(w.workloadClass));
  }

  workloadsIn(namespace: string): Workload[] {
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /** Live pods in a namespace that a selector selects, found through a label index. */
  podsMatching(namespace: string, selector: LabelSelector | undefined): KubeObject[] {
    if (!selector) return [];
    if (!this.podsByLabel) {
      this.podsByLabel = new Map();
      for (const pod of this.ofKind('Pod')) {
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
        const ns = namespaceOf(pod);
        const keys = [
          `${ns}\0`,
          ...Object.entries(pod.metadata?.labels ?? {}).map(([k, v]) => `${ns}\0${k}=${v}`),
        ];
        for (const key of keys) {
          const list = this.podsByLabel.get(key);
          if (list) list.push(pod);
          else this.podsByLabel.set(key, [pod]);
        }
      }
    }
    let candidates = this.podsByLabel.get(`${namespace}\0`) ?? [];
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
      const bucket = this.podsByLabel.get(`${namespace}\0${k}=${v}`) ?? [];
      if (bucket.length < candidates.length) candidates = bucket;
    }
    return candidates.filter((pod) => selectorMatches(selector, pod.metadata?.labels ?? {}));
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
    return this.inNamespace('PodDisruptionBudget', workload.namespace).filter((pdb) =>
      selectorMatches(pdb.spec?.selector as LabelSelector | undefined, workload.podLabels),
    );
  }

  /** Live pods (from a dump or cluster) that belong to the workload. */
  podsOf(workload: Workload): KubeObject[] {
    if (workload.kind === 'Pod') return [workload.object];
    return this.podsMatching(workload.namespace, workload.selector);
  }
}
