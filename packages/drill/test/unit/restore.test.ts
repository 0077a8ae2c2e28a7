// The restore drills' arithmetic on hand-made records: which transfers count as acknowledged by the
// restore point, started after it or in flight at it, what the restored journal must and must not
// hold, and the restore checks of the verdict. The lab runs them for real in drills/restore.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyAround, restoreFindings, transferOperations } from '../../src/measure/restore.ts';
import type { RequestSample } from '../../src/model.ts';
import { SCENARIOS } from '../../src/registry.ts';
import { BASE_THRESHOLDS, type RestoreOutcome, restoreChecks } from '../../src/verdict.ts';

const T0 = 1_800_000_000_000;
const T = T0 + 10_000;
/** One request of a transfer with `key`, from `start` to `end` (ms after T0). */
function transfer(key: string, start: number, end: number, status: number, attempt = 1): RequestSample {
  const sample: RequestSample = { op: 'transfer', key, attempt, start: T0 + start, end: T0 + end, status };
  if (status === 201) sample.entryId = `e-${key}`;
  return sample;
}

const samples: RequestSample[] = [
  transfer('acked-early', 1_000, 1_020, 201),
  transfer('acked-at-T', 9_990, 10_000, 201), // acknowledged exactly at T: before
  // Retried: first request before T, acknowledged after T -> in flight at T.
  transfer('retried', 9_000, 9_500, 503),
  transfer('retried', 9_700, 10_300, 201, 2),
  transfer('started-after', 10_001, 10_030, 201),
  transfer('never-acked-before', 8_000, 8_100, 0), // started before T, never acknowledged: in flight
  transfer('never-acked-after', 12_000, 12_100, 503), // started after T, never acknowledged
  { op: 'read', key: 'r1', attempt: 1, start: T0 + 11_000, end: T0 + 11_010, status: 200 },
];

describe('transfer operations around the restore point', () => {
  test('one operation per key: the first request start and the first acknowledgement', () => {
    const ops = transferOperations(samples);
    assert.equal(ops.length, 6, 'reads are not transfers');
    const retried = ops.find((o) => o.key === 'retried')!;
    assert.equal(retried.firstStart, T0 + 9_000);
    assert.equal(retried.ackAt, T0 + 10_300);
    assert.equal(retried.entryId, 'e-retried');
  });

  test('acknowledged by T, started after T, in flight at T', () => {
    const c = classifyAround(transferOperations(samples), T);
    const keys = (list: { key: string }[]) => list.map((o) => o.key).sort();
    assert.deepEqual(keys(c.acknowledgedBefore), ['acked-at-T', 'acked-early']);
    assert.deepEqual(keys(c.startedAfter), ['never-acked-after', 'started-after']);
    assert.deepEqual(keys(c.inFlight), ['never-acked-before', 'retried']);
  });
});

describe('findings against the restored journal', () => {
  const ops = transferOperations(samples);

  test('a faithful restore to T: nothing missing, nothing after T, in-flight ones counted apart', () => {
    const journal = new Map([
      ['acked-early', ['e-acked-early']],
      ['acked-at-T', ['e-acked-at-T']],
      ['retried', ['e-retried']], // in flight: present or not, not judged
    ]);
    const f = restoreFindings(ops, T, journal);
    assert.equal(f.acknowledgedBefore, 2);
    assert.equal(f.missingBefore, 0);
    assert.equal(f.missingSeconds, 0);
    assert.equal(f.startedAfter, 2);
    assert.equal(f.presentAfter, 0);
    assert.equal(f.inFlight, 2);
    assert.equal(f.inFlightPresent, 1);
  });

  test('a restore that stops short misses acknowledged writes; the seconds run from the first one', () => {
    const f = restoreFindings(ops, T, new Map([['acked-early', ['e-acked-early']]]));
    assert.equal(f.missingBefore, 1);
    assert.deepEqual(
      f.missingExamples.map((m) => m.key),
      ['acked-at-T'],
    );
    assert.equal(f.missingSeconds, 0, 'acknowledged at T itself');
    const none = restoreFindings(ops, T, new Map());
    assert.equal(none.missingBefore, 2);
    assert.equal(none.missingSeconds, 8.98, 'from the ack at 1.02 s to T at 10 s');
  });

  test('a restore past T holds writes that started after T', () => {
    const journal = new Map([
      ['acked-early', ['e-acked-early']],
      ['acked-at-T', ['e-acked-at-T']],
      ['started-after', ['e-started-after']],
    ]);
    assert.equal(restoreFindings(ops, T, journal).presentAfter, 1);
  });

  test('an entry with another id than the one acknowledged does not count as the write', () => {
    const journal = new Map([
      ['acked-early', ['e-other']],
      ['acked-at-T', ['e-acked-at-T']],
    ]);
    assert.equal(restoreFindings(ops, T, journal).missingBefore, 1);
  });
});

describe('restore checks', () => {
  const outcome = (over: Partial<RestoreOutcome['findings']> = {}, extra: Partial<RestoreOutcome> = {}) => ({
    findings: {
      ...restoreFindings([], T, new Map()),
      ...over,
    },
    restoreSeconds: 30,
    documents: { total: 5, unverified: 0 },
    invariantHolds: true,
    ...extra,
  });
  const pitr = SCENARIOS.find((s) => s.id === 'restore-pitr')!;
  const latest = SCENARIOS.find((s) => s.id === 'restore-latest')!;
  const thresholds = (s: typeof pitr) => ({ ...BASE_THRESHOLDS, ...s.thresholds });

  test('restore-pitr: every check passes on a faithful restore and each fails on its own', () => {
    const t = thresholds(pitr);
    assert.ok(restoreChecks(outcome(), t).every((c) => c.pass));
    const failing = (o: RestoreOutcome) =>
      restoreChecks(o, t)
        .filter((c) => !c.pass)
        .map((c) => c.name);
    assert.deepEqual(failing(outcome({ missingBefore: 1 })), ['missing-before-target']);
    assert.deepEqual(failing(outcome({ presentAfter: 2 })), ['present-after-target']);
    assert.deepEqual(failing(outcome({}, { documents: { total: 5, unverified: 1 } })), [
      'documents-unverified',
    ]);
    assert.deepEqual(failing(outcome({}, { restoreSeconds: 301 })), ['restore-seconds']);
    assert.deepEqual(failing(outcome({}, { invariantHolds: false })), ['invariant']);
  });

  test('restore-latest judges the RPO in seconds, not the count of writes the archive missed', () => {
    const t = thresholds(latest);
    const names = restoreChecks(outcome(), t).map((c) => c.name);
    assert.ok(!names.includes('missing-before-target'));
    assert.ok(restoreChecks(outcome({ missingBefore: 40, missingSeconds: 8 }), t).every((c) => c.pass));
    const slow = restoreChecks(outcome({ missingBefore: 400, missingSeconds: 35 }), t);
    assert.deepEqual(
      slow.filter((c) => !c.pass).map((c) => c.name),
      ['restore-rpo-seconds'],
    );
  });

  test('the restore drills run last in "all" and are the recovery test of Managed PostgreSQL', () => {
    assert.deepEqual(
      SCENARIOS.slice(-2).map((s) => s.id),
      ['restore-pitr', 'restore-latest'],
    );
    for (const s of [pitr, latest]) assert.deepEqual(s.controls, ['Managed PostgreSQL']);
  });
});
