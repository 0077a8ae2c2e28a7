import type { KubeObject } from './objects.ts';

/** One alerting rule of a PrometheusRule, with the object that holds it. */
export interface AlertRule {
  name: string;
  expr: string;
  labels: Record<string, string>;
  owner: KubeObject;
}

export function alertRulesOf(prometheusRules: KubeObject[]): AlertRule[] {
  const alerts: AlertRule[] = [];
  for (const owner of prometheusRules) {
    for (const group of owner.spec?.groups ?? []) {
      for (const rule of group?.rules ?? []) {
        if (typeof rule?.alert === 'string') {
          alerts.push({ name: rule.alert, expr: String(rule.expr ?? ''), labels: rule.labels ?? {}, owner });
        }
      }
    }
  }
  return alerts;
}
