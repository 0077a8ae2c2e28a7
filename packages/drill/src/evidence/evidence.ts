// The evidence of a drill run: every drill's record in one versioned JSON document (its schema is
// docs/schemas/drill-evidence-v1.schema.json). `dalp check --controls` reads it as the recovery test of
// the controls each drill names; summary.md and report.html are made from it and nothing else.
import type { DrillRecord } from '../run.ts';
import type { Target } from '../targets/target.ts';

export const EVIDENCE_KIND = 'dalp-drill-evidence';
export const EVIDENCE_VERSION = 1;

export interface Evidence {
  kind: typeof EVIDENCE_KIND;
  version: typeof EVIDENCE_VERSION;
  tool: { name: 'dalp'; version: string };
  target: { kind: Target['kind']; description: string };
  startedAt: string;
  finishedAt: string;
  /** pass when every drill passed. */
  result: 'pass' | 'fail';
  drills: DrillRecord[];
}

export function buildEvidence(
  target: Pick<Target, 'kind' | 'describe'>,
  drills: DrillRecord[],
  startedAt: string,
  toolVersion: string,
): Evidence {
  return {
    kind: EVIDENCE_KIND,
    version: EVIDENCE_VERSION,
    tool: { name: 'dalp', version: toolVersion },
    target: { kind: target.kind, description: target.describe() },
    startedAt,
    finishedAt: new Date().toISOString(),
    result: drills.length > 0 && drills.every((d) => d.result === 'pass') ? 'pass' : 'fail',
    drills,
  };
}
