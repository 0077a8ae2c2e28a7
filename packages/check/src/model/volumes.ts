import type { KubeObject, ObjectIndex } from './objects.ts';
import type { Workload } from './workload.ts';

/** A persistent volume claim a workload's pods mount. */
export interface Claim {
  name: string;
  /**
   * shared: one claim (a persistentVolumeClaim volume) for every replica; per-pod: a StatefulSet's
   * volumeClaimTemplates (the ephemeral volumes of a pod template die with the pod and are left out).
   */
  scope: 'shared' | 'per-pod';
  /** The claim object, when the input holds it (a template is its own claim). */
  object?: KubeObject;
}

/** Access modes that attach a volume to one node at a time. */
const NODE_EXCLUSIVE = ['ReadWriteOnce', 'ReadWriteOncePod'];

export function claimsOf(w: Workload, objects: ObjectIndex): Claim[] {
  const claims: Claim[] = [];
  for (const volume of w.podSpec?.volumes ?? []) {
    const name = volume?.persistentVolumeClaim?.claimName;
    if (typeof name !== 'string') continue;
    const object = objects.find('PersistentVolumeClaim', w.namespace, name);
    claims.push({ name, scope: 'shared', ...(object ? { object } : {}) });
  }
  if (w.kind === 'StatefulSet') {
    for (const template of w.object.spec?.volumeClaimTemplates ?? []) {
      claims.push({ name: template?.metadata?.name ?? '(unnamed)', scope: 'per-pod', object: template });
    }
  }
  return claims;
}

/**
 * Whether the claim's volume attaches to one node at a time. A claim that is not in the input is taken to
 * be ReadWriteOnce: that is what block storage (EBS, Persistent Disk, Azure Disk) offers, and what a
 * claim without an explicit access mode usually gets.
 */
export function isNodeExclusive(claim: Claim): boolean {
  const modes: unknown = claim.object?.spec?.accessModes;
  if (!Array.isArray(modes) || modes.length === 0) return true;
  return modes.some((m) => NODE_EXCLUSIVE.includes(String(m)));
}

/**
 * Whether the storage class replicates the volume over zones, so that a pod can attach it in another zone:
 * GKE regional persistent disks and Azure zone-redundant (ZRS) disks. Block volumes of every other class
 * live in one zone. Unknown when the class is not in the input: then the volume counts as zonal.
 */
export function isZoneRedundant(claim: Claim, objects: ObjectIndex): boolean {
  const className: unknown = claim.object?.spec?.storageClassName;
  const storageClass =
    typeof className === 'string' && className
      ? objects.find('StorageClass', 'default', className)
      : objects.ofKind('StorageClass').find(isDefaultClass);
  const parameters = (storageClass?.parameters ?? {}) as Record<string, string>;
  return (
    parameters['replication-type'] === 'regional-pd' ||
    /_ZRS$/i.test(parameters.skuName ?? parameters.skuname ?? '')
  );
}

function isDefaultClass(storageClass: KubeObject): boolean {
  return storageClass.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
}

/** "claim data (not in the input: taken as ReadWriteOnce)", for messages. */
export function describeClaim(claim: Claim): string {
  return claim.object
    ? `claim ${claim.name}`
    : `claim ${claim.name} (not in the input: taken as ReadWriteOnce)`;
}
