import { CATEGORIES, type Category } from './model/categories.ts';
import { type KubeObject, refOf, type SourceLocation } from './model/objects.ts';
import type { RuleDescription } from './model/rule-description.ts';
import { SEVERITY_RANK } from './model/severity.ts';
import { type CheckReport, type Finding, summarize } from './report.ts';
import { CheckContext, type CheckOptions } from './score/context.ts';
import { RULES } from './score/registry.ts';
import type { Rule } from './score/rule.ts';

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
      const category = result.finding?.category ?? rule.categories[0]!;
      if (!result.finding) {
        results.push({ rule: rule.id, category, object: result.object });
        continue;
      }
      const finding: Finding = {
        rule: rule.id,
        category,
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
      results.push({ rule: rule.id, category, object: result.object, finding });
    }
  }
  const order = (category: Category) => CATEGORIES.indexOf(category);
  findings.sort(
    (a, b) =>
      order(a.category) - order(b.category) ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.rule.localeCompare(b.rule) ||
      a.object.name.localeCompare(b.object.name),
  );
  return {
    summary: summarize(results),
    findings,
    results,
    rules: rules.map(describeRule),
    objectCount: objects.length,
  };
}

function describeRule(rule: Rule): RuleDescription {
  const { id, categories, severity, title, why, fix } = rule;
  return { id, categories, severity, title, why, fix };
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
