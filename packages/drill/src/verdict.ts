// A drill's verdict: each threshold a check of one measure, all of them configurable (`--threshold
// name=value`, `name=off`). Defaults come from this project's goals (docs/drills.md) and are set per
// scenario; every scenario checks lost writes, duplicates and the ledger invariant.
import type { RestoreFindings } from './measure/restore.ts';
import type { Measures } from './measures.ts';
import { OPERATION_KINDS } from './model.ts';

export interface Thresholds {
  /** Requests of any kind the clients saw fail (no answer, 5xx, or an unexpected status). */
  'failed-requests': number | null;
  /** Failed requests other than document uploads (an object-store outage may fail those only). */
  'failed-requests-except-uploads': number | null;
  /** The only status a failed upload may have (503: the service says the store is unavailable). */
  'upload-failure-status': number | null;
  /** Time from the fault until writes are served again (the end of the last degraded write). */
  'writes-back-seconds': number | null;
  /** Time from the fault until every request is served again. */
  'rto-seconds': number | null;
  'lost-writes': number | null;
  duplicates: number | null;
  /** 1: the sum of balances must equal the supply with no balance below zero; null: not checked. */
  invariant: number | null;
  /** The application's own share of a data-service failover (goal 0.5 s; off unless set). */
  'app-share-seconds': number | null;
  /** Restore drills: writes acknowledged by the restore point that the restored database misses. */
  'missing-before-target': number | null;
  /** Restore drills: writes started after the restore point that the restored database holds. */
  'present-after-target': number | null;
  /** restore-latest: seconds of acknowledged writes the newest restorable point misses (the RPO). */
  'restore-rpo-seconds': number | null;
  /** Restore drills: documents the restored database references that do not download with their SHA-256. */
  'documents-unverified': number | null;
  /** Restore drills: from the start of the restore until the restored API answers. */
  'restore-seconds': number | null;
}

export type ThresholdName = keyof Thresholds;

export const BASE_THRESHOLDS: Thresholds = {
  'failed-requests': null,
  'failed-requests-except-uploads': null,
  'upload-failure-status': null,
  'writes-back-seconds': null,
  'rto-seconds': null,
  'lost-writes': 0,
  duplicates: 0,
  invariant: 1,
  'app-share-seconds': null,
  'missing-before-target': null,
  'present-after-target': null,
  'restore-rpo-seconds': null,
  'documents-unverified': null,
  'restore-seconds': null,
};

export const THRESHOLD_NAMES = Object.keys(BASE_THRESHOLDS) as ThresholdName[];

export interface Check {
  /** A threshold's name, or a check of the scenario's own (FaultContext.verify). */
  name: ThresholdName | (string & {});
  /** The limit as set ("<= 0", "= 503"...). */
  limit: string;
  /** The measured value, as a number where there is one. */
  actual: number | string | null;
  pass: boolean;
}

export interface Verdict {
  result: 'pass' | 'fail';
  checks: Check[];
}

/** Parses `name=value` (a number, or `off`); throws a one-line message for anything else. */
export function parseThreshold(text: string): [ThresholdName, number | null] {
  const match = /^([a-z-]+)=(.+)$/.exec(text);
  const name = match?.[1] as ThresholdName | undefined;
  if (!match || !name || !THRESHOLD_NAMES.includes(name))
    throw new Error(
      `--threshold takes name=value with a name of: ${THRESHOLD_NAMES.join(', ')}; got "${text}"`,
    );
  if (match[2] === 'off') return [name, null];
  const value = Number(match[2]);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--threshold ${name} must be a number >= 0 or "off", got "${match[2]}"`);
  return [name, value];
}

const atMost = (name: ThresholdName, limit: number, actual: number): Check => ({
  name,
  limit: `<= ${limit}`,
  actual,
  pass: actual <= limit,
});

/**
 * The verdict with the scenario's own checks added (what only its fault can verify: a credential rotation's
 * old password refused...): they are part of what the drill proves, so any of them failing fails it.
 */
export function withScenarioChecks(verdict: Verdict, checks: readonly Check[]): Verdict {
  const all = [...verdict.checks, ...checks];
  return { result: all.every((c) => c.pass) ? 'pass' : 'fail', checks: all };
}

/** What a restore drill found on the restored database (judged with the restore thresholds). */
export interface RestoreOutcome {
  findings: RestoreFindings;
  restoreSeconds: number;
  documents: { total: number; unverified: number };
  /** The ledger invariant on the restored database; null when the drill's asset is not in it. */
  invariantHolds: boolean | null;
}

export function restoreChecks(restore: RestoreOutcome, t: Thresholds): Check[] {
  const checks: Check[] = [];
  const f = restore.findings;
  if (t['missing-before-target'] !== null)
    checks.push(atMost('missing-before-target', t['missing-before-target'], f.missingBefore));
  if (t['present-after-target'] !== null)
    checks.push(atMost('present-after-target', t['present-after-target'], f.presentAfter));
  if (t['restore-rpo-seconds'] !== null)
    checks.push(atMost('restore-rpo-seconds', t['restore-rpo-seconds'], f.missingSeconds));
  if (t['documents-unverified'] !== null)
    checks.push(atMost('documents-unverified', t['documents-unverified'], restore.documents.unverified));
  if (t['restore-seconds'] !== null)
    checks.push(atMost('restore-seconds', t['restore-seconds'], restore.restoreSeconds));
  if (t.invariant !== null && t.invariant > 0 && restore.invariantHolds !== null)
    checks.push({
      name: 'invariant',
      limit: 'holds on the restored database',
      actual: restore.invariantHolds ? 'holds' : 'broken',
      pass: restore.invariantHolds,
    });
  return checks;
}

export function judge(measures: Measures, thresholds: Thresholds, restore?: RestoreOutcome): Verdict {
  const checks: Check[] = [];
  const t = thresholds;
  const failedBy = measures.requests.byOp;
  if (t['failed-requests'] !== null)
    checks.push(atMost('failed-requests', t['failed-requests'], measures.requests.failed));
  if (t['failed-requests-except-uploads'] !== null) {
    const others = OPERATION_KINDS.filter((op) => op !== 'upload').reduce(
      (n, op) => n + failedBy[op].failed,
      0,
    );
    checks.push(atMost('failed-requests-except-uploads', t['failed-requests-except-uploads'], others));
  }
  if (t['upload-failure-status'] !== null) {
    const wanted = String(t['upload-failure-status']);
    const other = Object.entries(failedBy.upload.statuses).filter(
      ([status]) => status !== wanted && status !== '201',
    );
    checks.push({
      name: 'upload-failure-status',
      limit: `= ${wanted}`,
      actual: other.length === 0 ? wanted : other.map(([s, n]) => `${n}x ${s}`).join(', '),
      pass: other.length === 0,
    });
  }
  if (t['writes-back-seconds'] !== null)
    checks.push(atMost('writes-back-seconds', t['writes-back-seconds'], measures.writesBackSeconds));
  if (t['rto-seconds'] !== null) checks.push(atMost('rto-seconds', t['rto-seconds'], measures.rtoSeconds));
  if (t['lost-writes'] !== null)
    checks.push(atMost('lost-writes', t['lost-writes'], measures.lostWrites.count));
  if (t.duplicates !== null) checks.push(atMost('duplicates', t.duplicates, measures.duplicates));
  if (t.invariant !== null && t.invariant > 0)
    checks.push({
      name: 'invariant',
      limit: 'holds',
      actual: measures.invariant.holds ? 'holds' : 'broken',
      pass: measures.invariant.holds,
    });
  if (t['app-share-seconds'] !== null && measures.appShare)
    checks.push(atMost('app-share-seconds', t['app-share-seconds'], measures.appShare.seconds));
  if (restore) checks.push(...restoreChecks(restore, t));
  return { result: checks.every((c) => c.pass) ? 'pass' : 'fail', checks };
}
