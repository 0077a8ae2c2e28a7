import type { Category } from './model/categories.ts';
import type { ObjectRef, SourceLocation } from './model/objects.ts';
import type { RuleDescription } from './model/rule-description.ts';
import { SEVERITY_RANK, type Severity } from './model/severity.ts';

// The report (kube-score's "scorecard"): everything a reporter may read. Reporters know nothing of the
// rules or the engine; what they say about a rule comes from `rules` here.

export interface Finding {
  rule: string;
  category: Category;
  severity: Severity;
  object: ObjectRef;
  message: string;
  fix: string;
  source?: SourceLocation;
}

export interface CheckReport {
  summary: { errors: number; warnings: number; passed: number };
  findings: Finding[];
  /** Every evaluation, so JUnit can emit one test case per rule and object. */
  results: Array<{ rule: string; category: Category; object: ObjectRef; finding?: Finding }>;
  /** The rules the run knew of (run or skipped), in registry order. */
  rules: RuleDescription[];
  objectCount: number;
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
