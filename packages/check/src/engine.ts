import { CheckContext, type CheckOptions } from './context.ts';
import { refOf } from './model/workload.ts';
import { RULES } from './rules/index.ts';
import {
  type CheckReport,
  type Finding,
  type KubeObject,
  ROWS,
  type Rule,
  SEVERITY_RANK,
  type SourceLocation,
} from './types.ts';

/** Runs every applicable rule; each (rule, object) evaluation yields a pass or exactly one finding. */
export function runCheck(
  objects: KubeObject[],
  options: CheckOptions,
  sources: WeakMap<KubeObject, SourceLocation> = new WeakMap(),
  rules: readonly Rule[] = RULES,
): CheckReport {
  const ctx = new CheckContext(objects, options);
  const results: CheckReport['results'] = [];
  const findings: Finding[] = [];
  // Sources are looked up by reference; build the index once instead of scanning per finding.
  const byRef = new Map<string, KubeObject>();
  for (const o of objects) {
    const r = refOf(o);
    byRef.set(`${r.kind}/${r.namespace ?? ''}/${r.name}`, o);
  }
  const skipped = new Set(options.skipRules ?? []);
  for (const rule of rules) {
    if (skipped.has(rule.id)) continue;
    if (rule.needsClusterState && !options.clusterState) continue;
    if (rule.needsControls && !options.controls) continue;
    let ruleResults: ReturnType<Rule['check']>;
    try {
      ruleResults = rule.check(ctx);
    } catch (error) {
      // A rule bug, not a user error: name the rule so the report of it is actionable.
      throw new Error(`rule ${rule.id} failed: ${(error as Error)?.message ?? error}`);
    }
    for (const result of ruleResults) {
      const row = result.finding?.row ?? rule.rows[0]!;
      if (!result.finding) {
        results.push({ rule: rule.id, row, object: result.object });
        continue;
      }
      const finding: Finding = {
        rule: rule.id,
        row,
        severity: result.finding.severity ?? rule.severity,
        object: result.object,
        message: result.finding.message,
        fix: result.finding.fix ?? rule.fix,
      };
      const origin = byRef.get(
        `${result.object.kind}/${result.object.namespace ?? ''}/${result.object.name}`,
      );
      const source = origin && sources.get(origin);
      if (source) finding.source = source;
      if (origin) exempt(finding, origin);
      findings.push(finding);
      results.push({ rule: rule.id, row, object: result.object, finding });
    }
  }
  const rowIndex = (row: string) => ROWS.indexOf(row as (typeof ROWS)[number]);
  findings.sort(
    (a, b) =>
      rowIndex(a.row) - rowIndex(b.row) ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.rule.localeCompare(b.rule) ||
      a.object.name.localeCompare(b.object.name),
  );
  return { summary: summarize(results), findings, results, objectCount: objects.length };
}

export const SKIP_ANNOTATION = 'dalp.io/skip-checks';
export const SKIP_REASON_ANNOTATION = 'dalp.io/skip-checks-reason';

/**
 * An object may exempt itself from named rules (`dalp.io/skip-checks: "spread-zone,image-tag-pinned"`,
 * with a `dalp.io/skip-checks-reason`). The finding stays in the report as a note that names the
 * exemption, so accepted risks remain visible instead of disappearing.
 */
function exempt(finding: Finding, origin: KubeObject): void {
  const annotations = {
    ...(origin.spec?.template?.metadata?.annotations ?? {}),
    ...(origin.metadata?.annotations ?? {}),
  } as Record<string, string>;
  const listed = (annotations[SKIP_ANNOTATION] ?? '').split(',').map((s) => s.trim());
  if (!listed.includes(finding.rule) || finding.severity === 'info') return;
  const reason = annotations[SKIP_REASON_ANNOTATION]?.trim() || 'no reason given';
  finding.message = `exempted by ${SKIP_ANNOTATION} (${reason}), was ${finding.severity}: ${finding.message}`;
  finding.severity = 'info';
}

/** Errors and warnings count findings; passed counts evaluations that raised neither (info notes pass). */
export function summarize(results: CheckReport['results']): CheckReport['summary'] {
  let errors = 0;
  let warnings = 0;
  let passed = 0;
  for (const r of results) {
    if (r.finding?.severity === 'error') errors++;
    else if (r.finding?.severity === 'warning') warnings++;
    else passed++;
  }
  return { errors, warnings, passed };
}

/** Exit status for CI: 1 when any finding reaches the threshold, else 0. */
export function exitCodeFor(report: CheckReport, failOn: 'error' | 'warning' | 'info' | 'none'): 0 | 1 {
  if (failOn === 'none') return 0;
  const threshold = SEVERITY_RANK[failOn];
  return report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}
