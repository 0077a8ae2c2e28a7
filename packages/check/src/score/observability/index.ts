// Observability: alerts for every item of the row.
import type { Rule } from '../rule.ts';
import { rule as alertCoverage } from './alert-coverage.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [alertCoverage];
