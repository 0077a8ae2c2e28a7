import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { exitedChildrenCpu, postgresCpu, processCpu } from '../../bench/cpu.ts';
import { TestDatabase } from '../support/helpers.ts';

// The bench's per-request CPU column is only as good as this accounting, so it is checked against work
// whose CPU cost is known: a child that burns a given amount of CPU by its own measure, and a PostgreSQL
// backend whose CPU is read before it disconnects.

/** A node script that spins until it has used `ms` of CPU by its own count, then says so. */
const burn = (ms: number) =>
  `const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) / 1000 < ${ms}) {} console.log('burnt');`;

let db: TestDatabase;
before(async () => {
  db = await TestDatabase.start();
});
after(async () => {
  await db?.destroy();
});

test('processCpu counts what a running process has spent', async () => {
  const child = spawn(process.execPath, ['-e', `${burn(300)} setInterval(() => {}, 1000);`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await once(child.stdout!, 'data');
    const spent = processCpu(child.pid!);
    assert.ok(spent >= 0.29, `a child that burnt 300 ms of CPU counts ${spent} s`);
    assert.ok(spent < 5, `and not wildly more: ${spent} s`);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(processCpu(2 ** 22 + 12345), 0, 'a process that does not exist has spent nothing');
});

test('exitedChildrenCpu counts a child once it has been waited for', () => {
  const before = exitedChildrenCpu();
  const run = spawnSync(process.execPath, ['-e', burn(300)], { encoding: 'utf8' });
  assert.equal(run.stdout.trim(), 'burnt');
  const spent = exitedChildrenCpu() - before;
  assert.ok(spent >= 0.29, `a spawnSync child that burnt 300 ms of CPU counts ${spent} s`);
});

test('postgresCpu keeps the CPU of backends that have disconnected', async () => {
  const pidFile = join(db.server.dataDir, 'postmaster.pid');
  const start = postgresCpu(pidFile);
  const client = new pg.Client(db.server.clientConfig());
  await client.connect();
  const backend = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await client.query('SELECT count(*) FROM generate_series(1, 6000000)');
  const backendSpent = processCpu(backend);
  assert.ok(backendSpent > 0.3, `the backend did measurable work: ${backendSpent} s`);
  // Within a few clock ticks: the kernel rounds each process's time to ticks on its own, and a helper
  // process that exits meanwhile moves into the postmaster's children counters with its own rounding.
  const TICKS = 0.05;
  const whileConnected = postgresCpu(pidFile) - start;
  assert.ok(whileConnected >= backendSpent - TICKS, `${whileConnected} s counted while connected`);

  await client.end();
  // The postmaster reaps the backend; its CPU moves into the postmaster's children counters.
  for (let i = 0; i < 100 && processCpu(backend) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(processCpu(backend), 0, 'the backend has exited');
  const afterDisconnect = postgresCpu(pidFile) - start;
  assert.ok(afterDisconnect >= backendSpent - TICKS, `${afterDisconnect} s counted after the backend exited`);
});
