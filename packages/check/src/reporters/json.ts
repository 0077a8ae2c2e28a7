import type { CheckReport } from '../report.ts';

/** The stable JSON shape documented in docs/cli.md; `source` is added when the origin is known. */
export function renderJson(report: CheckReport): string {
  const findings = report.findings.map((f) => ({
    rule: f.rule,
    row: f.category,
    severity: f.severity,
    object: { kind: f.object.kind, name: f.object.name, namespace: f.object.namespace ?? '' },
    message: f.message,
    fix: f.fix,
    ...(f.source ? { source: f.source } : {}),
  }));
  return `${JSON.stringify({ summary: report.summary, findings }, null, 2)}\n`;
}
