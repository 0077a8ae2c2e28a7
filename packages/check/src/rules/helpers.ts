import type { ObjectRef, Row, RuleResult, Severity } from '../types.ts';

export function pass(object: ObjectRef): RuleResult {
  return { object };
}

export function fail(
  object: ObjectRef,
  message: string,
  extra: { severity?: Severity; row?: Row; fix?: string } = {},
): RuleResult {
  return { object, finding: { message, ...extra } };
}

/** "2 replicas", "1 replica". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
