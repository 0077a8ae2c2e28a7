// The drill measures on records made up for each case: what counts as an outage, when recovery ends,
// which acknowledged writes are lost, what a verdict says. The lab drills show them on real faults.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appShare } from '../../src/measure/app-share.ts';
import { type JournalFacts, type LedgerReader, verifyLedger } from '../../src/measure/ledger.ts';
import { outageWindow, recoveryMs, writeGap } from '../../src/measure/outage.ts';
import { median, quantile } from '../../src/measure/stats.ts';
import { timeline } from '../../src/measure/timeline.ts';
import { measure } from '../../src/measures.ts';
import type { OperationKind, RequestSample } from '../../src/model.ts';
import { DrillUsageError, SCENARIOS, selectScenarios } from '../../src/registry.ts';
import { BASE_THRESHOLDS, judge, parseThreshold, withScenarioChecks } from '../../src/verdict.ts';

const T0 = 1_800_000_000_000;
let n = 0;
/** A request of `op` from `start` to `end` (ms after T0) answered `status`. */
function req(op: OperationKind, start: number, end: number, status: number, key = `k${n++}`): RequestSample {
  const sample: RequestSample = { op, key, attempt: 1, start: T0 + start, end: T0 + end, status };
  if (op === 'transfer' && status === 201) sample.entryId = `e-${key}`;
  return sample;
}

describe('outage, recovery and write gap', () => {
  const samples = [
    req('transfer', 0, 20, 201),
    req('transfer', 1_000, 1_010, 503),
    req('read', 1_500, 9_000, 200), // slow: not served in time
    req('transfer', 2_000, 2_015, 503),
    req('transfer', 4_000, 4_020, 201),
    req('upload', 5_000, 5_030, 503),
  ];

  test('an outage runs from the first degraded request of a kind to the end of the last', () => {
    assert.deepEqual(outageWindow(samples, 'transfer', 5_000), { start: T0 + 1_000, end: T0 + 2_015 });
    assert.deepEqual(outageWindow(samples, 'read', 5_000), { start: T0 + 1_500, end: T0 + 9_000 });
    assert.equal(outageWindow(samples, 'read', 10_000), null, 'not slow under a 10 s bound');
  });

  test('lost writes widen the write outage', () => {
    assert.deepEqual(outageWindow(samples, 'transfer', 5_000, [T0 + 500]), {
      start: T0 + 500,
      end: T0 + 2_015,
    });
  });

  test('recovery ends with the last degraded request after the fault', () => {
    assert.equal(recoveryMs(samples, T0 + 900, 5_000, 'transfer'), 2_015 - 900);
    assert.equal(recoveryMs(samples, T0 + 900, 5_000), 9_000 - 900);
    assert.equal(recoveryMs([req('read', 0, 10, 200)], T0, 5_000), 0, 'nothing degraded: 0');
  });

  test('the write gap is the longest time between two acknowledgements', () => {
    assert.equal(writeGap(samples), 4_020 - 20);
  });
});

describe('per-second timeline and order statistics', () => {
  test('requests land in the second they ended in, with p50/p99 of their latencies', () => {
    const rows = timeline(
      [req('read', 0, 100, 200), req('read', 200, 900, 200), req('upload', 1_000, 1_500, 503)],
      T0,
      T0 + 2_000,
    );
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((r) => [r.t, r.ok, r.failed, r.failedByOp.upload, r.p50Ms, r.p99Ms]),
      [
        [0, 2, 0, 0, 100, 700],
        [1, 0, 1, 1, 500, 500],
      ],
    );
  });

  test('nearest-rank quantiles and the median of three runs', () => {
    assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
    assert.equal(quantile([], 0.5), undefined);
    assert.equal(median([30, 10, 20]), 20);
  });
});

describe('application share of a failover', () => {
  test('from the new primary accepting writes to the first acknowledged write after it', () => {
    const events = [
      { at: T0 + 100, kind: 'postgres-primary' as const, detail: 'old', subject: 'postgres-a' },
      { at: T0 + 3_000, kind: 'postgres-primary' as const, detail: 'new', subject: 'postgres-b' },
    ];
    const samples = [
      req('transfer', 2_500, 3_100, 503),
      req('transfer', 3_150, 3_240, 201),
      req('transfer', 3_300, 3_350, 201),
    ];
    assert.deepEqual(appShare(samples, events, T0 + 1_000, 'postgres'), {
      service: 'postgres',
      newPrimary: 'postgres-b',
      primaryAt: T0 + 3_000,
      firstAckAt: T0 + 3_240,
      ms: 240,
    });
    assert.equal(appShare(samples, events, T0 + 1_000, 'redis'), null, 'no Redis failover seen');
  });
});

/** A reader answering with fixed facts, as the SQL and API readers would. */
function reader(facts: JournalFacts, supply = '100', sum = '100', negative = 0): LedgerReader {
  return {
    journal: async () => facts,
    books: async () => ({ totalSupply: supply, sumOfBalances: sum, negativeBalances: negative }),
  };
}

describe('reading the books back', () => {
  const acknowledged = {
    entries: new Map([
      ['k1', { entryId: 'e1', at: T0 + 1 }],
      ['k2', { entryId: 'e2', at: T0 + 2 }],
      ['k3', { entryId: 'e3', at: T0 + 3 }],
    ]),
    keys: ['k1', 'k2', 'k3', 'k4'],
  };

  test('by key: a missing entry and an entry replaced by another are lost; two entries for a key are a duplicate', async () => {
    const idsByKey = new Map([
      ['k1', ['e1']],
      ['k3', ['e3-other']],
      ['k4', ['e4', 'e4-again']],
    ]);
    const found = await verifyLedger(reader({ idsByKey, transferIds: new Set() }), 'asset', acknowledged);
    assert.deepEqual(
      found.lost.map((l) => l.key),
      ['k2', 'k3'],
    );
    assert.equal(found.duplicates, 1);
    assert.equal(found.invariantHolds, true);
  });

  test('by entry id (the API reader): more transfer entries than keys sent are duplicates', async () => {
    const found = await verifyLedger(
      reader({ transferIds: new Set(['e1', 'e2', 'e3', 'x', 'y']) }),
      'asset',
      acknowledged,
    );
    assert.equal(found.lost.length, 0);
    assert.equal(found.duplicates, 1);
  });

  test('the invariant breaks when balances do not add up to the supply, or one is negative', async () => {
    const facts = { transferIds: new Set(['e1', 'e2', 'e3']) };
    assert.equal((await verifyLedger(reader(facts, '100', '99'), 'a', acknowledged)).invariantHolds, false);
    assert.equal(
      (await verifyLedger(reader(facts, '100', '100', 1), 'a', acknowledged)).invariantHolds,
      false,
    );
  });
});

describe('verdicts', () => {
  const workload = {
    samples: [
      req('transfer', 0, 10, 201, 'w1'),
      req('upload', 10, 20, 503),
      req('upload', 20, 30, 502),
      req('read', 30, 40, 0),
    ],
    outcomes: [],
    skipped: 0,
    unfinished: 0,
  };
  const measures = measure({
    workload,
    events: [],
    begin: T0,
    end: T0 + 1_000,
    faultAt: T0 + 5,
    restoredAt: T0 + 1_000,
    findings: {
      lost: [{ key: 'w1', entryId: 'e-w1', at: T0 + 10 }],
      duplicates: 0,
      books: { totalSupply: '10', sumOfBalances: '10', negativeBalances: 0 },
      invariantHolds: true,
    },
  });

  test('each threshold checks its measure; off thresholds are not checked', () => {
    const verdict = judge(measures, {
      ...BASE_THRESHOLDS,
      'failed-requests': 3,
      'failed-requests-except-uploads': 0,
      'upload-failure-status': 503,
    });
    const by = Object.fromEntries(verdict.checks.map((c) => [c.name, c]));
    assert.equal(verdict.result, 'fail');
    assert.equal(by['failed-requests']?.pass, true);
    assert.deepEqual(
      [by['failed-requests-except-uploads']?.actual, by['failed-requests-except-uploads']?.pass],
      [1, false],
    );
    assert.deepEqual(
      [by['upload-failure-status']?.actual, by['upload-failure-status']?.pass],
      ['1x 502', false],
    );
    assert.deepEqual([by['lost-writes']?.actual, by['lost-writes']?.pass], [1, false]);
    assert.equal(by['writes-back-seconds'], undefined);
    assert.equal(measures.lostWrites.seconds, 0, 'one lost write acknowledged after the fault: no span');
  });

  test("a scenario's own check that failed fails a verdict that passed every threshold", () => {
    const passing = judge(measures, { ...BASE_THRESHOLDS, 'lost-writes': null });
    assert.equal(passing.result, 'pass');
    const ok = { name: 'old-password-refused', limit: 'refused', actual: 'refused', pass: true };
    assert.equal(withScenarioChecks(passing, [ok]).result, 'pass');
    const stale = {
      name: 'replicas-on-new-password',
      limit: 'every replica',
      actual: 'not: dapp-a-1',
      pass: false,
    };
    const failed = withScenarioChecks(passing, [ok, stale]);
    assert.equal(failed.result, 'fail');
    assert.deepEqual(failed.checks.slice(-2), [ok, stale]);
  });

  test('thresholds are parsed from name=value or name=off; anything else is a one-line error', () => {
    assert.deepEqual(parseThreshold('writes-back-seconds=30'), ['writes-back-seconds', 30]);
    assert.deepEqual(parseThreshold('lost-writes=off'), ['lost-writes', null]);
    assert.throws(
      () => parseThreshold('speed=3'),
      /--threshold takes name=value with a name of: failed-requests/,
    );
    assert.throws(() => parseThreshold('lost-writes=-1'), /must be a number >= 0 or "off"/);
  });
});

describe('choosing scenarios', () => {
  test('every scenario names its document row and controls, and has a lab fault', () => {
    assert.equal(SCENARIOS.length, 13);
    for (const s of SCENARIOS) {
      assert.ok(s.lab, `${s.id} has no lab fault`);
      // The restore drills restore the lab's own backups; a managed database's PITR is run by hand
      // (docs/backup-restore.md).
      if (!s.id.startsWith('restore-')) assert.ok(s.kubernetes, `${s.id} has no Kubernetes fault`);
      else assert.equal(s.kubernetes, undefined);
      assert.ok(s.controls.length > 0, `${s.id} is the recovery test of no control`);
    }
  });

  test('all runs everything on the lab; on Kubernetes the command-driven faults are skipped', () => {
    assert.equal(selectScenarios('all', 'lab', false).run.length, 13);
    const k8s = selectScenarios('all', 'kubernetes', false);
    assert.deepEqual(
      k8s.run.map((s) => s.id),
      ['pod-crash', 'rolling-update', 'node-loss', 'zone-loss', 'app-tier-rebuild'],
    );
    assert.equal(k8s.skipped.length, 8);
    assert.ok(
      k8s.skipped.some((s) => s.id === 'credential-rotation'),
      'the rotation is the user command',
    );
    assert.deepEqual(
      k8s.skipped.filter((s) => s.id.startsWith('restore-')),
      [
        { id: 'restore-pitr', why: 'has no kubernetes fault' },
        { id: 'restore-latest', why: 'has no kubernetes fault' },
      ],
    );
  });

  test('usage errors: unknown scenario, a fault command missing or not wanted', () => {
    assert.throws(() => selectScenarios('pod-explode', 'lab', false), DrillUsageError);
    assert.throws(() => selectScenarios('database-failover', 'kubernetes', false), /needs --fault-command/);
    assert.throws(() => selectScenarios('pod-crash', 'kubernetes', true), /injects its own fault/);
    assert.throws(() => selectScenarios('all', 'kubernetes', true), /goes with one scenario/);
    assert.equal(selectScenarios('database-failover', 'kubernetes', true).run.length, 1);
  });
});
