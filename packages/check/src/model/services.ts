import { type KubeObject, namespaceOf } from './objects.ts';
import type { ServedBy } from './workload.ts';

/** Port names that say a port exports metrics for scraping rather than serving clients. */
const METRICS_PORT = /(metrics|prometheus|exporter|monitoring)/i;

/**
 * Whether a Service carries traffic to its pods. A Service whose every port is a metrics port (or whose
 * name ends in -metrics) only lets Prometheus scrape them: its pods are not serving anything to clients.
 */
export function carriesTraffic(service: KubeObject): boolean {
  if (/-metrics$/.test(service.metadata?.name ?? '')) return false;
  const ports: Array<{ name?: string }> = service.spec?.ports ?? [];
  return ports.length === 0 || ports.some((p) => !METRICS_PORT.test(p?.name ?? ''));
}

/** The ServedBy test over the Services of the input, indexed by namespace. */
export function servedByServices(services: KubeObject[]): ServedBy {
  const byNamespace = new Map<string, Array<Record<string, string>>>();
  for (const service of services) {
    const selector: Record<string, string> = service.spec?.selector ?? {};
    // A Service without a selector (manual Endpoints, ExternalName) names no pods of the input.
    if (Object.keys(selector).length === 0 || !carriesTraffic(service)) continue;
    const ns = namespaceOf(service);
    const list = byNamespace.get(ns);
    if (list) list.push(selector);
    else byNamespace.set(ns, [selector]);
  }
  return (namespace, labels) =>
    (byNamespace.get(namespace) ?? []).some((selector) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v),
    );
}
