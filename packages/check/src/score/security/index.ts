// Security: Pod Security Standard and pinned images.
import type { Rule } from '../rule.ts';
import { rule as imageTagPinned } from './image-tag-pinned.ts';
import { rule as podSecurityRestricted } from './pod-security-restricted.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [podSecurityRestricted, imageTagPinned];
