import type { Category } from './categories.ts';
import type { Severity } from './severity.ts';

/** What a rule says about itself: the registry declares it, the report carries it, docs/checks.md shows it. */
export interface RuleDescription {
  id: string;
  /** The categories this rule serves; a finding uses the first unless it names one. */
  categories: readonly Category[];
  severity: Severity;
  /** One line: what the rule checks. */
  title: string;
  why: string;
  fix: string;
}
