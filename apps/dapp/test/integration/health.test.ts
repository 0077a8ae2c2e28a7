import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startService, TestDatabase, type TestService, waitUntil } from '../support/helpers.ts';

// Issue 13.2: each replica checks its dependencies in the background, so dalp_dependency_up and /readyz
// stay true on a replica nobody sends requests to. A real PostgreSQL is stopped and started again while
// no client talks to the service; the gauge is read from the service's own registry (no HTTP request).
// "Within interval + timeout" is asserted in rounds of the check, not in wall-clock time: the round
// running when PostgreSQL stopped may still see it up, the next one must see it down.

const INTERVAL_MS = 1000;
const TIMEOUT_MS = 500;

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function sample(svc: TestService) {
  const value = async (name: string, labels?: Record<string, string>) => {
    const metric = await svc.runtime.metrics.registry.getSingleMetric(name)!.get();
    return metric.values.find((v) => !labels || Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      ?.value;
  };
  return {
    databaseUp: await value('dalp_dependency_up', { dependency: 'database' }),
    rounds: (await value('dalp_dependency_checks_total')) ?? 0,
  };
}

describe('background dependency checks (issue 13.2)', () => {
  let db: TestDatabase;
  let svc: TestService;
  before(async () => {
    db = await TestDatabase.start();
    svc = await startService(await db.createDatabase(), {
      HEALTH_CHECK_INTERVAL_MS: String(INTERVAL_MS),
      HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });
  after(async () => {
    await svc?.close();
    await db?.destroy();
  });

  test('PostgreSQL stopped with no client traffic: the gauge turns 0 by the next check, and 1 again after the restart', async () => {
    const requests = () =>
      svc.runtime.metrics.registry.getSingleMetric('http_request_duration_seconds')!.get();
    const requestsBefore = JSON.stringify((await requests()).values);
    assert.equal((await sample(svc)).databaseUp, 1);

    await db.server.stop();
    const atStop = (await sample(svc)).rounds;
    await waitUntil('the database gauge to turn 0', async () => (await sample(svc)).databaseUp === 0, 60_000);
    const down = await sample(svc);
    assert.ok(down.rounds - atStop <= 2, `turned 0 after ${down.rounds - atStop} check rounds (bound: 2)`);
    assert.equal(svc.runtime.health.readiness().ready, false, 'readiness follows without a request');

    await db.server.start();
    const atStart = (await sample(svc)).rounds;
    await waitUntil('the database gauge to turn 1', async () => (await sample(svc)).databaseUp === 1, 60_000);
    const up = await sample(svc);
    assert.ok(up.rounds - atStart <= 2, `turned 1 after ${up.rounds - atStart} check rounds (bound: 2)`);
    assert.equal(svc.runtime.health.readiness().ready, true);
    assert.equal(
      JSON.stringify((await requests()).values),
      requestsBefore,
      'no client request was served meanwhile',
    );
  });

  test('PostgreSQL hanging (SIGSTOP: connections stay open, nothing fails by itself): the check times out, gauge 0, then 1 again', async () => {
    const postmaster = Number(readFileSync(join(db.server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Every PostgreSQL process: the backends call setsid(), so they are not in the postmaster's group.
    const server = [postmaster, ...childrenOf(postmaster)];
    const signalAll = (signal: NodeJS.Signals) => {
      for (const pid of server) process.kill(pid, signal);
    };
    assert.equal((await sample(svc)).databaseUp, 1);
    signalAll('SIGSTOP');
    try {
      const atStop = (await sample(svc)).rounds;
      await waitUntil(
        'the database gauge to turn 0',
        async () => (await sample(svc)).databaseUp === 0,
        60_000,
      );
      const down = await sample(svc);
      assert.ok(down.rounds - atStop <= 2, `turned 0 after ${down.rounds - atStop} check rounds (bound: 2)`);
      assert.equal(svc.runtime.health.readiness().ready, false);
    } finally {
      signalAll('SIGCONT');
    }
    await waitUntil('the database gauge to turn 1', async () => (await sample(svc)).databaseUp === 1, 60_000);
  });

  test('HEALTH_CHECK_TIMEOUT_MS longer than the interval is refused at start', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.ts');
    assert.throws(
      () => loadConfig({ HEALTH_CHECK_INTERVAL_MS: '1000', HEALTH_CHECK_TIMEOUT_MS: '2000' }),
      (error: Error) =>
        error instanceof ConfigError &&
        /HEALTH_CHECK_TIMEOUT_MS must not exceed HEALTH_CHECK_INTERVAL_MS/.test(error.message),
    );
  });
});
