import type { KubeObject, ObjectRef } from '../../model/objects.ts';
import { isNodeReady, zoneOf } from '../../model/scheduling.ts';
import type { CheckContext } from '../context.ts';

export const CLUSTER_REF: ObjectRef = { kind: 'Cluster', name: 'cluster' };

/** Ready, schedulable nodes that workloads can land on (control-plane-only nodes excluded). */
export function workerNodes(ctx: CheckContext): KubeObject[] {
  return ctx
    .ofKind('Node')
    .filter(
      (n) =>
        isNodeReady(n) &&
        !(n.spec?.taints ?? []).some(
          (t: { key?: string; effect?: string }) =>
            (t.key === 'node-role.kubernetes.io/control-plane' ||
              t.key === 'node-role.kubernetes.io/master') &&
            t.effect === 'NoSchedule',
        ),
    );
}

export function zonesOf(nodes: KubeObject[]): Map<string, KubeObject[]> {
  const zones = new Map<string, KubeObject[]>();
  for (const node of nodes) {
    const zone = zoneOf(node);
    if (!zone) continue;
    const list = zones.get(zone);
    if (list) list.push(node);
    else zones.set(zone, [node]);
  }
  return zones;
}
