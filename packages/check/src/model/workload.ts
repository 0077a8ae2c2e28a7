import { type KubeObject, namespaceOf, type ObjectRef, refOf } from './objects.ts';
import type { LabelSelector } from './selector.ts';

// biome-ignore lint/suspicious/noExplicitAny: pod specs are untyped input.
export type PodSpec = any;
// biome-ignore lint/suspicious/noExplicitAny: as above.
export type Container = any;

/** A pod-owning object reduced to what the rules read. */
export interface Workload {
  object: KubeObject;
  ref: ObjectRef;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Pod' | 'Job' | 'CronJob';
  namespace: string;
  name: string;
  /** Desired replicas; undefined for DaemonSets, Jobs and CronJobs. */
  replicas: number | undefined;
  podLabels: Record<string, string>;
  podSpec: PodSpec;
  selector: LabelSelector | undefined;
  singleton: boolean;
  singletonReason: string | undefined;
  /** What the workload is for, which decides the rules that apply to it (see WorkloadClass). */
  workloadClass: WorkloadClass;
}

/**
 * serving: long-running and selected by a Service that carries traffic; worker: long-running, reached by
 * no such Service (controllers, consumers, load generators); job: runs to completion (Jobs, CronJobs,
 * bare Pods with restartPolicy Never or OnFailure); hook: a Helm or Argo CD hook (helm tests included),
 * run around an install or upgrade rather than as part of the service.
 */
export const WORKLOAD_CLASSES = ['serving', 'worker', 'job', 'hook'] as const;
export type WorkloadClass = (typeof WORKLOAD_CLASSES)[number];

const HOOK_ANNOTATIONS = ['helm.sh/hook', 'argocd.argoproj.io/hook'];

/** Says whether a Service that carries traffic selects pods with these labels (see services.ts). */
export type ServedBy = (namespace: string, podLabels: Record<string, string>) => boolean;

export const SINGLETON_ANNOTATION = 'dalp.io/singleton';
export const SINGLETON_REASON_ANNOTATION = 'dalp.io/singleton-reason';

function isOwnedByController(object: KubeObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some((o) => o.controller !== false);
}

function annotationsOf(object: KubeObject, template: KubeObject | undefined): Record<string, string> {
  return { ...(template?.metadata?.annotations ?? {}), ...(object.metadata?.annotations ?? {}) };
}

/** Workloads among the objects; ReplicaSets and Pods owned by a controller are left to their owner. */
export function toWorkload(object: KubeObject, servedBy: ServedBy): Workload | undefined {
  const kind = object.kind;
  let template: KubeObject | undefined;
  let replicas: number | undefined;
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
      if (kind === 'ReplicaSet' && isOwnedByController(object)) return undefined;
      template = object.spec?.template;
      replicas = typeof object.spec?.replicas === 'number' ? object.spec.replicas : 1;
      break;
    case 'DaemonSet':
    case 'Job':
      template = object.spec?.template;
      break;
    case 'CronJob':
      template = object.spec?.jobTemplate?.spec?.template;
      break;
    case 'Pod':
      if (isOwnedByController(object)) return undefined;
      template = object;
      replicas = 1;
      break;
    default:
      return undefined;
  }
  if (!template || typeof template !== 'object') return undefined;
  const annotations = annotationsOf(object, template);
  const namespace = namespaceOf(object);
  const podLabels: Record<string, string> = template.metadata?.labels ?? {};
  const podSpec = template.spec ?? {};
  return {
    object,
    ref: refOf(object),
    kind,
    namespace,
    name: object.metadata?.name ?? '(unnamed)',
    replicas,
    podLabels,
    podSpec,
    selector: kind === 'Pod' ? undefined : object.spec?.selector,
    singleton: annotations[SINGLETON_ANNOTATION] === 'true',
    singletonReason: annotations[SINGLETON_REASON_ANNOTATION]?.trim() || undefined,
    workloadClass: classify(object, kind, podSpec, () => servedBy(namespace, podLabels)),
  };
}

function classify(
  object: KubeObject,
  kind: Workload['kind'],
  podSpec: PodSpec,
  served: () => boolean,
): WorkloadClass {
  // Hooks are judged by where helm puts them (the object's own annotations), not by the pod template.
  const annotations = object.metadata?.annotations ?? {};
  if (HOOK_ANNOTATIONS.some((a) => annotations[a] !== undefined)) return 'hook';
  if (kind === 'Job' || kind === 'CronJob') return 'job';
  if (kind === 'Pod' && (podSpec?.restartPolicy === 'Never' || podSpec?.restartPolicy === 'OnFailure'))
    return 'job';
  return served() ? 'serving' : 'worker';
}

/** Replicated workloads whose replica count is theirs to choose (DaemonSets follow the nodes). */
export function isReplicated(w: Workload): boolean {
  return w.kind === 'Deployment' || w.kind === 'StatefulSet' || w.kind === 'ReplicaSet';
}

export function containersOf(spec: PodSpec): Container[] {
  return Array.isArray(spec?.containers) ? spec.containers : [];
}

export function allContainersOf(spec: PodSpec): Container[] {
  return [
    ...(Array.isArray(spec?.initContainers) ? spec.initContainers : []),
    ...containersOf(spec),
    ...(Array.isArray(spec?.ephemeralContainers) ? spec.ephemeralContainers : []),
  ];
}
