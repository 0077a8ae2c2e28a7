// Input: what the input did not let the check see.
import type { Rule } from '../rule.ts';
import { rule as renderComplete } from './render-complete.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [renderComplete];
