import type { AlertRule } from '../context.ts';
import type { Rule } from '../types.ts';
import { fail, pass } from './helpers.ts';

/**
 * The label naming the item an alert covers. Prometheus label names allow no dots or slashes, so the
 * label-safe spelling is accepted beside the Kubernetes-style one.
 */
export const OBSERVABILITY_LABELS = ['dalp.io/observability-item', 'dalp_observability_item'];

/** The document's observability row, item by item, with the metrics that show an alert covers it. */
export const OBSERVABILITY_ITEMS: Array<{ id: string; label: string; expr: RegExp }> = [
  {
    id: 'api-availability',
    label: 'API availability',
    expr: /http_request_duration_seconds|http_requests_total|probe_success|up\{[^}]*job=|nginx_ingress_controller_requests|haproxy_(backend|frontend)_http_responses_total/,
  },
  { id: 'pod-restarts', label: 'pod restarts', expr: /kube_pod_container_status_restarts_total/ },
  {
    id: 'readiness-failures',
    label: 'readiness failures',
    expr: /kube_pod_status_ready|kube_deployment_status_replicas_unavailable|kube_statefulset_status_replicas_ready|kube_deployment_status_replicas_available|dalp_ready\b/,
  },
  {
    id: 'database-failover',
    label: 'database failover',
    expr: /dalp_dependency_up\{[^}]*dependency="database"|dalp_db_connection_errors_total|pg_up\b|aws_rds_|cnpg_pg_replication/,
  },
  {
    id: 'cache-availability',
    label: 'cache availability',
    expr: /dalp_dependency_up\{[^}]*dependency="cache"|dalp_cache_errors_total|redis_up\b/,
  },
  {
    id: 'object-storage-access',
    label: 'object storage access',
    expr: /dalp_object_store_errors_total|dalp_dependency_up\{[^}]*dependency="object_store"/,
  },
  {
    id: 'backup-status',
    label: 'backup status',
    expr: /velero_backup_last_status|velero_backup_last_successful_timestamp|velero_backup_failure_total/,
  },
];

export function coveringAlerts(alerts: AlertRule[], item: (typeof OBSERVABILITY_ITEMS)[number]): AlertRule[] {
  return alerts.filter(
    (a) => OBSERVABILITY_LABELS.some((label) => a.labels[label] === item.id) || item.expr.test(a.expr),
  );
}

export const rule: Rule = {
  id: 'alert-coverage',
  rows: ['Observability'],
  severity: 'error',
  title: 'Alerts cover every item of the observability row',
  why: 'The document asks for alerts on API availability, pod restarts, readiness failures, database failover, cache availability, object storage access and backup status; an uncovered item is a failure nobody is paged for. Coverage is read from the dalp.io/observability-item (or dalp_observability_item) label or from the metrics in the alert expression. An error in production, a warning elsewhere.',
  fix: 'Add a PrometheusRule alert for the item (the dalp chart ships them: enable its alert rules), labelled dalp.io/observability-item: <item> when its expression uses other metrics.',
  check(ctx) {
    return OBSERVABILITY_ITEMS.map((item) => {
      const ref = { kind: 'ObservabilityItem', name: item.id };
      return coveringAlerts(ctx.alerts, item).length > 0
        ? pass(ref)
        : fail(ref, `no alert rule covers ${item.label}`, {
            severity: ctx.profile === 'production' ? 'error' : 'warning',
          });
    });
  },
};
