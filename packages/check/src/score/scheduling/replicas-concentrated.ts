import type { KubeObject } from '../../model/objects.ts';
import { zoneOf } from '../../model/scheduling.ts';
import { workerNodes, zonesOf } from '../internal/nodes.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, multiReplica } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'replicas-concentrated',
  categories: ['Scheduling posture'],
  severity: 'error',
  title: 'Running replicas are not concentrated on one node or zone',
  why: 'Spread rules that are only preferred, or were added after the pods started, leave running replicas where they are; what runs now decides what one node or zone failure takes down.',
  fix: 'Fix the spread rules, then restart the rollout (kubectl rollout restart) or run the descheduler so the running pods spread.',
  needsClusterState: true,
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const nodeByName = new Map<string, KubeObject>(
      ctx.ofKind('Node').map((n) => [n.metadata?.name ?? '', n]),
    );
    const clusterZones = zonesOf(workerNodes(ctx)).size;
    return multiReplica(ctx, LONG_RUNNING).flatMap((w) => {
      const running = ctx.podsOf(w).filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName);
      if (running.length < 2) return [];
      const nodes = new Set<string>(running.map((p) => p.spec.nodeName));
      if (nodes.size === 1) {
        return [fail(w.ref, `all ${running.length} running replicas are on node ${[...nodes][0]}`)];
      }
      const zones = new Set([...nodes].map((n) => zoneOf(nodeByName.get(n) ?? {}) ?? '?'));
      if (clusterZones >= 2 && zones.size === 1) {
        return [fail(w.ref, `all ${running.length} running replicas are in zone ${[...zones][0]}`)];
      }
      return [pass(w.ref)];
    });
  },
};
