// Evidence: an owner, an alert and a recent recovery test per table row (needs --controls).
import type { Rule } from '../rule.ts';
import { rule as controlsAlert } from './controls-alert.ts';
import { rule as controlsOwner } from './controls-owner.ts';
import { rule as controlsRecoveryTest } from './controls-recovery-test.ts';

/** This area's rules, in report order. */
export const rules: readonly Rule[] = [controlsOwner, controlsAlert, controlsRecoveryTest];
