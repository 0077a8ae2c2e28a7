// Resources: requests and limits.
import type { Rule } from '../rule.ts';
import { rule as resourcesMemoryLimit } from './resources-memory-limit.ts';
import { rule as resourcesRequests } from './resources-requests.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [resourcesRequests, resourcesMemoryLimit];
