import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../../src/adapters/postgres/embedded/processes.ts';
import { watchdogAvailable } from '../../src/adapters/postgres/embedded.ts';
import { banner, embeddedDatabase, embeddedDataDir, postmastersOn } from '../support/embedded-support.ts';
import { Client, idempotencyKey, seedLedger, spawnService, waitUntil } from '../support/helpers.ts';
import { assertLedgerIntact, runLedgerWorkload } from '../support/ledger-workload.ts';

// Issue 23: the embedded PostgreSQL after the service dies without cleaning up (kill -9, the OOM killer),
// with real processes: the service, its PostgreSQL, and the next start.

const stop = async (svc: { child: { kill(s: NodeJS.Signals): boolean }; exited: Promise<number | null> }) => {
  svc.child.kill('SIGTERM');
  return svc.exited;
};

/** Starts a service, seeds a ledger and returns what the workload needs. */
async function startAndSeed(dataDir: string, env: Record<string, string> = {}) {
  const svc = await spawnService({ DALP_DATA_DIR: dataDir, ...env });
  await banner(svc);
  const key = readFileSync(join(dataDir, 'admin-api-key'), 'utf8').trim();
  const client = new Client(svc.url, key);
  const { assetId, investors } = await seedLedger(client, { investors: 4 });
  for (const to of investors) {
    const mint = await client.post(
      `/api/v1/assets/${assetId}/mint`,
      { to, amount: '1000000' },
      { 'idempotency-key': idempotencyKey() },
    );
    assert.equal(mint.status, 201);
  }
  return { svc, client, assetId, investors };
}

/**
 * Transfers run while the service is SIGKILLed and started again on the same port; the workload retries
 * every unacknowledged transfer with its idempotency key until the new service answers. Returns the new
 * service, the postmaster PID before the kill and the workload's record.
 */
async function killDuringWrites(
  dataDir: string,
  env: Record<string, string>,
  onKilled: (postmaster: number) => Promise<void>,
) {
  const { svc, client, assetId, investors } = await startAndSeed(dataDir, env);
  const db = embeddedDatabase(dataDir);
  const postmaster = db.pidFile()!.pid;
  const workload = runLedgerWorkload({ client, assetId, investors, durationMs: 4000, retryDelayMs: 100 });
  await waitUntil('acknowledged writes before the kill', async () => {
    const [row] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM journal WHERE asset_id = $1', [
      assetId,
    ]);
    return (row?.n ?? 0) >= 10;
  });
  svc.child.kill('SIGKILL');
  await svc.exited;
  await onKilled(postmaster);
  const next = await spawnService({ DALP_DATA_DIR: dataDir, PORT: String(svc.port), ...env });
  await banner(next);
  const result = await workload;
  return { next, postmaster, result, assetId, db };
}

/** A PATH without util-linux's setpriv: a platform where the service cannot tie PostgreSQL to itself. */
function pathWithoutWatchdog(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-nowatchdog-'));
  for (const tool of ['id', 'getent', 'useradd', 'sh']) {
    try {
      symlinkSync(`/usr/bin/${tool}`, join(dir, tool));
    } catch {
      // not on this machine: the service says so if it needs it
    }
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('the embedded PostgreSQL when its service dies without cleaning up (issue 23)', () => {
  const dirs: Array<{ remove(): void }> = [];
  after(() => {
    for (const dir of dirs) dir.remove();
  });

  test('SIGKILL during writes: the watchdog stops PostgreSQL, the next start serves, every acknowledged write is there, one postmaster', {
    skip: !watchdogAvailable() && 'no watchdog on this platform (setpriv --pdeathsig)',
  }, async () => {
    const data = embeddedDataDir('sigkill');
    dirs.push(data);
    const { next, postmaster, result, assetId, db } = await killDuringWrites(data.path, {}, async (pid) => {
      // Nothing else stops it: the kernel's parent-death signal does, without any new start.
      await waitUntil('the watchdog to stop the orphaned PostgreSQL', () => !processAlive(pid), 60_000);
    });
    try {
      assert.ok(result.acknowledged.size > 0);
      await assertLedgerIntact({ sql: db.sql }, assetId, result);
      assert.deepEqual(postmastersOn(db.pgdata()), [db.pidFile()!.pid], 'exactly one postmaster');
      assert.notEqual(db.pidFile()!.pid, postmaster);
      assert.equal((await fetch(`${next.url}/readyz`)).status, 200);
    } finally {
      assert.equal(await stop(next), 0, next.output());
    }
    assert.deepEqual(postmastersOn(db.pgdata()), [], 'a clean stop leaves no postmaster behind');
  });

  test('without a watchdog, the orphaned PostgreSQL is stopped cleanly by the next start and replaced', async () => {
    const data = embeddedDataDir('orphan');
    const path = pathWithoutWatchdog();
    dirs.push(data, path);
    const env = { PATH: path.path };
    const { next, postmaster, result, assetId, db } = await killDuringWrites(data.path, env, async (pid) => {
      await sleep(1000);
      assert.ok(processAlive(pid), 'without a watchdog the PostgreSQL outlives its service (a real orphan)');
    });
    try {
      assert.match(next.output(), new RegExp(`stopping the embedded PostgreSQL \\(PID ${postmaster}`));
      assert.ok(!processAlive(postmaster), 'the orphan is gone');
      await assertLedgerIntact({ sql: db.sql }, assetId, result);
      assert.deepEqual(postmastersOn(db.pgdata()), [db.pidFile()!.pid], 'exactly one postmaster');
    } finally {
      assert.equal(await stop(next), 0, next.output());
    }
  });

  test('a second start while the first serves: one line with its PID and port, exit 1, the first keeps serving', async () => {
    const data = embeddedDataDir('second');
    dirs.push(data);
    const first = await spawnService({ DALP_DATA_DIR: data.path });
    try {
      await banner(first);
      const db = embeddedDatabase(data.path);
      const postmaster = db.pidFile()!.pid;
      const second = await spawnService({ DALP_DATA_DIR: data.path });
      const outcome = await Promise.race([second.exited, sleep(120_000).then(() => 'still running')]);
      if (outcome === 'still running') second.child.kill('SIGKILL');
      assert.equal(outcome, 1, second.output());
      const errors = second
        .output()
        .split('\n')
        .filter((line) => line.startsWith('dapp:'));
      assert.equal(errors.length, 1, second.output());
      assert.match(
        errors[0]!,
        new RegExp(
          `^dapp: failed to start: another dapp \\(PID ${first.child.pid}, port ${first.port}\\) is already running`,
        ),
      );
      assert.doesNotMatch(second.output(), /undefined|\n\s+at /);
      assert.equal((await fetch(`${first.url}/readyz`)).status, 200, 'the first keeps serving');
      assert.deepEqual(postmastersOn(db.pgdata()), [postmaster], 'its PostgreSQL untouched');
    } finally {
      assert.equal(await stop(first), 0, first.output());
    }
  });

  test('a stale postmaster.pid whose process is gone (service and PostgreSQL both killed): the next start serves', async () => {
    const data = embeddedDataDir('stale');
    dirs.push(data);
    const { svc, client, assetId, investors } = await startAndSeed(data.path);
    const result = await runLedgerWorkload({ client, assetId, investors, durationMs: 1000 });
    const db = embeddedDatabase(data.path);
    const postmaster = db.pidFile()!.pid;
    // Both at once, PostgreSQL first: no clean shutdown, postmaster.pid stays behind.
    process.kill(postmaster, 'SIGKILL');
    svc.child.kill('SIGKILL');
    await svc.exited;
    await waitUntil('the killed postmaster to be gone', () => !processAlive(postmaster), 30_000);
    assert.equal(db.pidFile()?.pid, postmaster, 'a stale postmaster.pid is left behind');
    const next = await spawnService({ DALP_DATA_DIR: data.path });
    try {
      await banner(next);
      assert.ok(result.acknowledged.size > 0);
      await assertLedgerIntact({ sql: db.sql }, assetId, result);
      assert.deepEqual(postmastersOn(db.pgdata()), [db.pidFile()!.pid], 'exactly one postmaster');
    } finally {
      assert.equal(await stop(next), 0, next.output());
    }
  });
});
