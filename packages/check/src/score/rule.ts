import type { Category } from '../model/categories.ts';
import type { ObjectRef } from '../model/objects.ts';
import type { RuleDescription } from '../model/rule-description.ts';
import type { Severity } from '../model/severity.ts';
import type { WorkloadClass } from '../model/workload.ts';
import type { CheckContext } from './context.ts';

/** One evaluation of a rule against one object: a pass, or exactly one finding. */
export interface RuleResult {
  object: ObjectRef;
  /** Absent when the object passes. */
  finding?: {
    message: string;
    severity?: Severity;
    category?: Category;
    fix?: string;
  };
}

/** A check: its description (carried into the report and docs/checks.md) and how it judges. */
export interface Rule extends RuleDescription {
  /** The workload classes the rule judges (docs/checks.md lists them); absent for rules on other objects. */
  appliesTo?: readonly WorkloadClass[];
  /** Where a rule judges only part of what a class holds, what it judges there (shown in docs/checks.md). */
  onlyFor?: Partial<Record<WorkloadClass, string>>;
  /** Needs node and pod state (a dump or a live cluster). */
  needsClusterState?: boolean;
  /** Only meaningful when a controls file is given. */
  needsControls?: boolean;
  check(ctx: CheckContext): RuleResult[];
}
