// The drills against a real lab (etcd, Patroni, Redis with Sentinel, the S3 store, HAProxy and the
// dapp replicas in network namespaces), through `dalp drill` as a user runs it: every scenario, each
// judged on what does not depend on this machine's speed (failed requests, lost and duplicate writes,
// the invariant, the fault seen), and the weakened lab the drills must see fail. The 15 s recovery goal
// is a speed target: `npm run bench -- drills` judges it on medians (docs/drills.md says why).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dalp } from '../../../cli/test/support/run-cli.ts';
import type { DrillRecord } from '../../src/run.ts';
import { verdictCheck as check, drillLab } from '../support/lab-drills.ts';

const env = drillLab('lab');
const { drill } = env;

/** The suite's bound on database-failover's writes-back time (the goal, 15 s, is judged by the bench). */
const SUITE_WRITES_BACK_SECONDS = 30;

const faultEvent = (r: DrillRecord) => r.events.find((e) => e.kind === 'fault');

describe('dalp drill against the lab', { timeout: 600_000 }, () => {
  test('pod-crash: a killed replica costs no request, with progress and a summary', async () => {
    const { run, out, record } = await drill('pod-crash');
    const m = record.measures!;
    // The load balancer resends what the killed replica held to another one: reads, and writes that carry
    // an Idempotency-Key (transfers and, since uploads take a key too, documents).
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(record.result, 'pass');
    assert.equal(m.requests.failed, 0);
    for (const phase of ['warm-up', 'fault', 'recovery', 'verification'])
      assert.match(run.stderr, new RegExp(`^pod-crash: ${phase}$`, 'm'), 'a progress line per phase');
    assert.match(run.stderr, /^pod-crash: \S+ \d+ s, \d+ requests, \d+ failed, \d+ writes acknowledged/m);
    assert.match(run.stdout, /^pod-crash\s+Pod failure\s+pass\s+0\/\d+/m);
    assert.match(run.stdout, /every drill passed/);
    assert.match(faultEvent(record)!.detail, /^SIGKILL dapp-/);
    assert.ok(m.requests.byOp.transfer!.ok > 20, 'the workload wrote through the whole drill');
    assert.ok(m.requests.byOp.upload!.ok > 0, 'and uploaded documents');
    assert.equal(m.lostWrites.count, 0);
    assert.equal(m.duplicates, 0);
    assert.ok(m.invariant.holds);
    assert.ok(
      record.topology.some((t) => t.kind === 'dapp'),
      'the topology at the fault is kept',
    );
    assert.match(readFileSync(join(out, 'summary.md'), 'utf8'), /\| pod-crash \| Pod failure \| pass \|/);
  });

  // Pod faults the service must ride out without a failed request: a hung replica (its requests resent
  // elsewhere after the balancer's per-try timeout), a rollout, and a cache failover.
  for (const [scenario, fault] of [
    ['pod-hang', /^SIGSTOP dapp-/],
    ['rolling-update', /^replacing dapp-/],
    ['cache-failover', /^SIGKILL redis-/],
  ] as const) {
    test(`${scenario}: no failed request, nothing lost or applied twice`, async () => {
      const { run, record } = await drill(scenario);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const m = record.measures!;
      assert.equal(m.requests.failed, 0);
      assert.ok(m.requests.byOp.transfer!.ok > 20, 'the workload wrote through the whole drill');
      assert.equal(m.lostWrites.count, 0);
      assert.equal(m.duplicates, 0);
      assert.ok(m.invariant.holds);
      assert.match(faultEvent(record)!.detail, fault);
    });
  }

  // Faults that take the PostgreSQL primary with them (and, for the tier rebuild, every replica): writes
  // stop and must come back, bounded here at 30 s (the 15 s goal is the bench's), with nothing lost.
  for (const [scenario, fault] of [
    ['node-loss', /^power off node /],
    ['zone-partition', /^partition zone /],
    ['zone-loss', /^power off zone /],
    ['app-tier-rebuild', /^delete every dapp replica/],
  ] as const) {
    test(`${scenario}: writes come back (bounded at 30 s in the suite), no acknowledged write lost`, async () => {
      const { run, record } = await drill(
        scenario,
        '--threshold',
        `writes-back-seconds=${SUITE_WRITES_BACK_SECONDS}`,
      );
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const m = record.measures!;
      assert.match(faultEvent(record)!.detail, fault);
      assert.ok(m.requests.byOp.transfer!.failed > 0, 'the clients saw the fault');
      assert.ok(m.writesBackSeconds !== null && m.writesBackSeconds <= SUITE_WRITES_BACK_SECONDS);
      assert.equal(m.lostWrites.count, 0);
      assert.equal(m.duplicates, 0);
      assert.ok(m.invariant.holds);
      if (scenario !== 'app-tier-rebuild') {
        const primary = record.events.find((e) => e.kind === 'postgres-primary');
        assert.ok(primary, 'the watch saw another member become primary');
      }
    });
  }

  // The 15 s goal is a speed target, judged by `npm run bench -- drills` (medians of three runs), not here:
  // on a shared CI machine this failover took 15.4 s once (10.5 s median on a quiet one), and a timed
  // assertion that fails on a slow machine proves nothing about the platform. The suite's bound, 30 s,
  // still fails a failover that does not happen or that runs on Patroni's shipped defaults (32 s).
  test('database-failover: writes come back (bounded at 30 s in the suite), no acknowledged write lost, the app share measured', async () => {
    const { run, evidence, record } = await drill(
      'database-failover',
      '--threshold',
      `writes-back-seconds=${SUITE_WRITES_BACK_SECONDS}`,
    );
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const killed = faultEvent(record)!.subject;
    const promoted = record.events.find((e) => e.kind === 'postgres-primary');
    assert.ok(promoted && promoted.subject !== killed, 'the watch saw another member become primary');
    const m = record.measures!;
    assert.ok(m.requests.byOp.transfer!.failed > 0, 'the clients saw the failover');
    assert.ok(m.writesBackSeconds !== null && m.writesBackSeconds <= SUITE_WRITES_BACK_SECONDS);
    assert.equal(check(record, 'writes-back-seconds')?.limit, `<= ${SUITE_WRITES_BACK_SECONDS}`);
    assert.equal(m.lostWrites.count, 0);
    assert.equal(m.duplicates, 0);
    assert.ok(m.appShare && m.appShare.seconds >= 0, 'the application share of the failover');
    assert.equal(check(record, 'lost-writes')?.pass, true);

    // The evidence is the recovery test of the Managed PostgreSQL row of `dalp check --controls`, and of
    // no other row.
    const controls = join(env.work, 'controls.yaml');
    const evidenceFile = join(env.work, 'database.json');
    writeFileSync(evidenceFile, JSON.stringify(evidence));
    writeFileSync(
      controls,
      [
        'rows:',
        '  Managed PostgreSQL:',
        '    recoveryTests: [{name: database failover drill, evidence: database.json}]',
        '  Managed cache:',
        '    recoveryTests: [{name: cache drill, evidence: database.json}]',
        '',
      ].join('\n'),
    );
    const chart = new URL(
      '../../../check/test/fixtures/rules/controls-recovery-test/pass.yaml',
      import.meta.url,
    ).pathname;
    const checked = await dalp(['check', chart, '--controls', controls, '--format', 'json']);
    const findings = new Map(
      (JSON.parse(checked.stdout) as { findings: { rule: string; row: string; message: string }[] }).findings
        .filter((f) => f.rule === 'controls-recovery-test')
        .map((f) => [f.row, f.message]),
    );
    assert.equal(findings.has('Managed PostgreSQL'), false, 'the drill is its passing recovery test');
    assert.match(
      findings.get('Managed cache')!,
      /no drill that tests Managed cache \(its drills: database-failover\)/,
    );
  });

  test('object-store-outage: only document uploads fail, each with 503', async () => {
    const { run, record } = await drill('object-store-outage', '--hold', '8');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const m = record.measures!;
    assert.ok(m.requests.byOp.upload!.failed > 0, 'uploads failed while the store was down');
    assert.deepEqual(
      Object.keys(m.requests.byOp.upload!.statuses).filter((s) => s !== '201'),
      ['503'],
    );
    assert.equal(m.requests.byOp.transfer!.failed + m.requests.byOp.read!.failed, 0);
  });

  test('the drill sees what a weakened setup costs: a load balancer without retries fails pod-crash', async () => {
    await env.lab.configure({ loadBalancerRetries: false });
    try {
      // Without retries, what fails is what the killed replica held or was sent in the second before the
      // supervisor took it out: 1-6 requests at 20 operations a second here, and once in CI only an upload
      // (which no retry resends). At 60 a second, 6-13 requests failed in each of three runs, reads and
      // keyed writes among them every time.
      const { run, record } = await drill('pod-crash', '--rate', '60');
      assert.equal(run.code, 1, 'a failed verdict exits 1');
      assert.match(run.stdout, /a drill FAILED/);
      const failed = check(record, 'failed-requests')!;
      assert.equal(failed.pass, false);
      assert.ok((failed.actual as number) > 0);
      const byOp = record.measures!.requests.byOp;
      assert.ok(
        byOp.transfer!.failed + byOp.read!.failed > 0,
        'reads and keyed writes, which retries would have resent, failed',
      );
    } finally {
      await env.lab.configure({ loadBalancerRetries: true });
    }
  });
});
