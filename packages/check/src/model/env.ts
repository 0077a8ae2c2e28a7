import type { KubeObject, ObjectIndex } from './objects.ts';
import type { Container, Workload } from './workload.ts';

export interface EnvValue {
  /** The literal value, when the manifest (or a ConfigMap in the checked objects) shows it. */
  value?: string;
  /** Set from a Secret (valueFrom.secretKeyRef or envFrom.secretRef). */
  fromSecret: boolean;
  /** Set as a literal `value` in the container spec (not through a ConfigMap or Secret). */
  literal: boolean;
}

function configMap(objects: ObjectIndex, namespace: string, name: string): KubeObject | undefined {
  return objects.find('ConfigMap', namespace, name);
}

/** A container's environment as the kubelet would build it, as far as the checked objects show. */
export function envOf(objects: ObjectIndex, w: Workload, c: Container): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  for (const from of c?.envFrom ?? []) {
    const prefix = from?.prefix ?? '';
    if (from?.configMapRef?.name) {
      const data = (configMap(objects, w.namespace, from.configMapRef.name)?.data ?? {}) as Record<
        string,
        unknown
      >;
      for (const [k, v] of Object.entries(data))
        env.set(prefix + k, { value: String(v), fromSecret: false, literal: false });
    }
    if (from?.secretRef?.name) {
      const secret = objects
        .ofKind('Secret')
        .find(
          (s) =>
            s.metadata?.name === from.secretRef.name && (s.metadata?.namespace || 'default') === w.namespace,
        );
      for (const k of Object.keys({ ...(secret?.data ?? {}), ...(secret?.stringData ?? {}) })) {
        env.set(prefix + k, { fromSecret: true, literal: false });
      }
    }
  }
  for (const e of c?.env ?? []) {
    if (typeof e?.name !== 'string') continue;
    if (e.valueFrom?.secretKeyRef) env.set(e.name, { fromSecret: true, literal: false });
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const data = (configMap(objects, w.namespace, ref.name)?.data ?? {}) as Record<string, unknown>;
      const value = data[String(ref.key)];
      env.set(e.name, {
        ...(value === undefined ? {} : { value: String(value) }),
        fromSecret: false,
        literal: false,
      });
    } else if (e.valueFrom) env.set(e.name, { fromSecret: false, literal: false });
    else
      env.set(e.name, {
        value: e.value === undefined ? '' : String(e.value),
        fromSecret: false,
        literal: true,
      });
  }
  return env;
}

/** Host part of a URL or a host[:port][,host:port] list, lower-cased, without the port. */
export function hostOf(value: string): string | undefined {
  try {
    if (value.includes('://')) return new URL(value).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
  return value.split(',')[0]?.split(':')[0]?.trim().toLowerCase() || undefined;
}

/** Names under which in-cluster instances of a service are reachable: their Services and workloads. */
export function inClusterNames(objects: ObjectIndex, workloads: Workload[]): Set<string> {
  const names = new Set<string>();
  for (const w of workloads) {
    names.add(w.name.toLowerCase());
    for (const svc of objects.ofKind('Service')) {
      const selector: Record<string, string> = svc.spec?.selector ?? {};
      const keys = Object.keys(selector);
      if (keys.length > 0 && keys.every((k) => w.podLabels[k] === selector[k])) {
        names.add((svc.metadata?.name ?? '').toLowerCase());
      }
    }
  }
  return names;
}

/** Whether a host (possibly a cluster DNS name like svc.ns.svc.cluster.local) names one of the services. */
export function pointsAt(host: string | undefined, names: Set<string>): boolean {
  if (!host) return false;
  return names.has(host.split('.')[0] ?? host);
}
