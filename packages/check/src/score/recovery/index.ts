// Kubernetes resources: a way to rebuild them, and backups that really ran.
import type { Rule } from '../rule.ts';
import { rule as recoveryMethod } from './recovery-method.ts';
import { rule as veleroBackups } from './velero-backups.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [recoveryMethod, veleroBackups];
