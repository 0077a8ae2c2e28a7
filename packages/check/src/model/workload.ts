import type { KubeObject, ObjectRef } from '../types.ts';
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
}

export const SINGLETON_ANNOTATION = 'dalp.io/singleton';
export const SINGLETON_REASON_ANNOTATION = 'dalp.io/singleton-reason';

export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { kind: object.kind ?? 'Unknown', name: object.metadata?.name ?? '(unnamed)' };
  if (object.metadata?.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}

/** Objects without a namespace land in the release namespace; we compare them as "default". */
export function namespaceOf(object: KubeObject): string {
  return object.metadata?.namespace || 'default';
}

function isOwnedByController(object: KubeObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some((o) => o.controller !== false);
}

function annotationsOf(object: KubeObject, template: KubeObject | undefined): Record<string, string> {
  return { ...(template?.metadata?.annotations ?? {}), ...(object.metadata?.annotations ?? {}) };
}

/** Workloads among the objects; ReplicaSets and Pods owned by a controller are left to their owner. */
export function toWorkload(object: KubeObject): Workload | undefined {
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
  return {
    object,
    ref: refOf(object),
    kind,
    namespace: namespaceOf(object),
    name: object.metadata?.name ?? '(unnamed)',
    replicas,
    podLabels: template.metadata?.labels ?? {},
    podSpec: template.spec ?? {},
    selector: kind === 'Pod' ? undefined : object.spec?.selector,
    singleton: annotations[SINGLETON_ANNOTATION] === 'true',
    singletonReason: annotations[SINGLETON_REASON_ANNOTATION]?.trim() || undefined,
  };
}

/** Long-running workloads: the ones that must survive pod and node loss. */
export function isService(w: Workload): boolean {
  return w.kind !== 'Job' && w.kind !== 'CronJob';
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
