import type { AlertRule } from '../../model/alerts.ts';
import type { CheckContext } from '../context.ts';
import { fail, pass } from '../internal/result.ts';
import type { Rule } from '../rule.ts';

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

/**
 * With Velero off, backups are the provider's (managed PostgreSQL snapshots and PITR, object versioning):
 * the controls file's `providerBackups` name each with the alert that watches it. They cover the backup
 * status item when every one is watched by an alert among the checked rules, or says where its alert
 * lives (`monitoredBy`: a CloudWatch alarm cannot be seen from here). Returns why not, or undefined.
 */
function providerBackupsUncovered(ctx: CheckContext): string | undefined {
  const declared = ctx.options.controls?.providerBackups ?? [];
  if (declared.length === 0) return 'no alert rule covers backup status';
  const names = new Set(ctx.alerts.map((a) => a.name));
  const unwatched = declared.filter((b) => !b.monitoredBy && !names.has(b.alert));
  if (unwatched.length === 0) return undefined;
  return `provider-managed backups without a watching alert: ${unwatched
    .map(
      (b) =>
        `${b.name} (alert ${b.alert} is not among the checked alert rules and no monitoredBy says where it lives)`,
    )
    .join('; ')}`;
}

export const rule: Rule = {
  id: 'alert-coverage',
  categories: ['Observability'],
  severity: 'error',
  title: 'Alerts cover every item of the observability row',
  why: 'The document asks for alerts on API availability, pod restarts, readiness failures, database failover, cache availability, object storage access and backup status; an uncovered item is a failure nobody is paged for. Coverage is read from the dalp.io/observability-item (or dalp_observability_item) label or from the metrics in the alert expression; backup status is also covered by provider-managed backups that the controls file declares with their alerts (Velero is optional). An error in production, a warning elsewhere.',
  fix: 'Add a PrometheusRule alert for the item (the dalp chart ships them: enable its alert rules), labelled dalp.io/observability-item: <item> when its expression uses other metrics. Backups taken by the provider instead of Velero: list them under providerBackups in the controls file, each with the alert that watches it (docs/controls.md).',
  check(ctx) {
    return OBSERVABILITY_ITEMS.map((item) => {
      const ref = { kind: 'ObservabilityItem', name: item.id };
      if (coveringAlerts(ctx.alerts, item).length > 0) return pass(ref);
      const problem =
        item.id === 'backup-status' ? providerBackupsUncovered(ctx) : `no alert rule covers ${item.label}`;
      return problem
        ? fail(ref, problem, { severity: ctx.profile === 'production' ? 'error' : 'warning' })
        : pass(ref);
    });
  },
};
