import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { seedLedger } from '@dalp/drill';
import {
  type Haproxy,
  type PatroniCluster,
  patroniFrontend,
  startHaproxy,
  startPatroniCluster,
} from '@dalp/lab';
import { startService, TestDatabase, type TestService } from '../support/helpers.ts';
import { assertLedgerIntact, median, runLedgerWorkload, watchReadiness } from '../support/ledger-workload.ts';

// Bounds that make a request hitting the failover gap fail fast instead of hanging.
const FAST_FAIL = { DATABASE_CONNECT_TIMEOUT_MS: '2000', DATABASE_STATEMENT_TIMEOUT_MS: '5000' };
const REQUEST_BOUND_MS = 15_000;

/**
 * One failure drill: a fresh ledger, the retrying transfer workload for `durationMs`, `fault` injected while
 * it runs, and the verdict: clients only ever see 201 or 503, no request hangs, every write is eventually
 * acknowledged and present exactly once, the books balance, and readiness went 503 and came back.
 */
async function drill(svc: TestService, name: string, durationMs: number, fault: () => Promise<void>) {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 4 });
  const readiness = watchReadiness(svc.url);
  const workload = runLedgerWorkload({ client: svc.admin, assetId, investors, durationMs, concurrency: 4 });
  await fault();
  const result = await workload;
  const seen = await readiness.stop();

  for (const status of new Set(result.attempts.map((a) => a.status))) {
    assert.ok([201, 503].includes(status), `clients only ever see 201 or 503, saw ${status}`);
  }
  assert.ok(
    result.attempts.some((a) => a.status === 503),
    'writes during the outage were refused with 503',
  );
  const slowest = Math.max(...result.attempts.map((a) => a.end - a.start));
  assert.ok(slowest < REQUEST_BOUND_MS, `a request hung for ${slowest} ms`);
  assert.deepEqual(result.abandoned, [], 'every write was eventually acknowledged');
  assert.ok(seen.includes(503), 'readiness turned false while no primary was reachable');
  assert.equal(seen.at(-1), 200, 'and true again once one was');
  await assertLedgerIntact(svc, assetId, result);
  console.log(
    `${name}: write outage ${result.writeOutageMs} ms, ${result.acknowledged.size} acknowledged, 0 lost`,
  );
  return result.writeOutageMs;
}

describe('PostgreSQL restart', () => {
  let db: TestDatabase;
  let svc: TestService;
  before(async () => {
    db = await TestDatabase.start();
    svc = await startService(await db.createDatabase(), FAST_FAIL);
  });
  after(async () => {
    await svc?.close();
    await db?.destroy();
  });

  test('the service rides through a database restart without a restart of its own', async () => {
    await drill(svc, 'database restart', 9000, async () => {
      await sleep(2000);
      await db.server.stop();
      await sleep(3000);
      await db.server.start();
    });
  });
});

describe('Patroni failover (3 nodes, synchronous replication, HAProxy on /primary)', () => {
  let cluster: PatroniCluster;
  let haproxy: Haproxy;
  let svc: TestService;
  const outages: number[] = [];

  before(async () => {
    cluster = await startPatroniCluster({ synchronous: true });
    haproxy = await startHaproxy({
      frontends: [patroniFrontend(cluster)],
    });
    await cluster.waitForHealthy({ streamingReplicas: 2 });
    const url = `postgres://${cluster.user}:${encodeURIComponent(cluster.password)}@127.0.0.1:${haproxy.port('postgres')}/postgres`;
    svc = await startService(url, FAST_FAIL);
  });
  after(async () => {
    await svc?.close();
    await haproxy?.stop();
    await cluster?.stop();
  });

  for (const round of [1, 2, 3]) {
    test(`failover ${round}: no acknowledged write lost, no 500, recovery without restart`, async () => {
      await cluster.waitForHealthy({ streamingReplicas: 2, timeoutMs: 90_000 });
      let old = '';
      const outage = await drill(svc, `patroni failover ${round}`, 22_000, async () => {
        await sleep(3000);
        old = await cluster.killPrimary();
        await cluster.waitForNewPrimary(old, 60_000);
      });
      outages.push(outage);
      await cluster.restartNode(old);
    });
  }

  test('median write outage of the three failovers is reported', () => {
    assert.equal(outages.length, 3);
    console.log(`patroni failover write outage: median ${median(outages)} ms of [${outages.join(', ')}]`);
  });
});
