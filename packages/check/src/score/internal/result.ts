import type { Category } from '../../model/categories.ts';
import type { ObjectRef } from '../../model/objects.ts';
import type { Severity } from '../../model/severity.ts';
import type { RuleResult } from '../rule.ts';

export function pass(object: ObjectRef): RuleResult {
  return { object };
}

export function fail(
  object: ObjectRef,
  message: string,
  extra: { severity?: Severity; category?: Category; fix?: string } = {},
): RuleResult {
  return { object, finding: { message, ...extra } };
}

/** "2 replicas", "1 replica". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
