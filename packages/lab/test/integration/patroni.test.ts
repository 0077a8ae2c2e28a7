import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  type Haproxy,
  type PatroniCluster,
  patroniFrontend,
  startHaproxy,
  startPatroniCluster,
} from '../../src/index.ts';
import { TIMED_OUT, withTimeout } from '../../src/processes.ts';

// The heaviest lab file: one 3-node cluster shared by every test below, which run in order.
describe('Patroni cluster behind HAProxy (synchronous replication)', () => {
  let cluster: PatroniCluster;
  let haproxy: Haproxy;
  let pgConfig: pg.ClientConfig;

  before(async () => {
    cluster = await startPatroniCluster({ synchronous: true });
    haproxy = await startHaproxy({
      frontends: [patroniFrontend(cluster)],
    });
    pgConfig = {
      host: '127.0.0.1',
      port: haproxy.port('postgres'),
      user: cluster.user,
      password: cluster.password,
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
      query_timeout: 3_000,
    };
  });

  after(async () => {
    await haproxy?.stop();
    await cluster?.stop();
  });

  async function viaHaproxy<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(pgConfig);
    client.on('error', () => {
      // A connection cut by the failover surfaces through the pending query.
    });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  test('becomes healthy with 2 streaming replicas, one synchronous', async () => {
    const leader = await cluster.waitForHealthy({ streamingReplicas: 2 });
    const replication = await cluster.replication();
    assert.equal(replication.filter((r) => r.state === 'streaming').length, 2);
    assert.equal(replication.filter((r) => r.syncState === 'sync').length, 1);
    const replicas = await cluster.replicas();
    assert.deepEqual(
      replicas.map((r) => r.name).sort(),
      cluster.members
        .filter((m) => m.name !== leader.name)
        .map((m) => m.name)
        .sort(),
    );
  });

  test('HAProxy routes only to the leader, so writes through it succeed', async () => {
    const leader = (await cluster.primary())!;
    await haproxy.waitForServer('postgres', leader.name, 'UP');
    for (const replica of await cluster.replicas())
      await haproxy.waitForServer('postgres', replica.name, 'DOWN');
    const port = await viaHaproxy(async (client) => {
      await client.query('CREATE TABLE writes (id int PRIMARY KEY, at timestamptz DEFAULT now())');
      return (await client.query('SELECT inet_server_port() AS port')).rows[0].port as number;
    });
    assert.equal(port, leader.pgPort);
  });

  test('killing the leader promotes a replica; writes resume through HAProxy with no acknowledged row lost', async () => {
    const acknowledged: number[] = [];
    let lastSuccessBeforeKill = 0;
    let firstSuccessAfterKill = 0;
    let killCompletedAt = 0;
    let failedAttempts = 0;
    let client: pg.Client | undefined;
    let nextId = 1;
    const loopDeadline = Date.now() + 90_000;

    // Bounded write loop: one insert at a time, reconnecting after any error, until a write succeeds
    // after the kill (or the deadline passes).
    const writer = (async () => {
      while (Date.now() < loopDeadline && firstSuccessAfterKill === 0) {
        const id = nextId++;
        const startedAt = Date.now();
        try {
          if (!client) {
            const fresh = new pg.Client(pgConfig);
            fresh.on('error', () => undefined);
            client = fresh;
            await fresh.connect();
          }
          await client.query('INSERT INTO writes (id) VALUES ($1)', [id]);
          acknowledged.push(id);
          // Only a write begun once the old leader is dead proves the cluster took writes again.
          if (killCompletedAt > 0 && startedAt >= killCompletedAt) firstSuccessAfterKill = Date.now();
          else lastSuccessBeforeKill = Date.now();
        } catch {
          failedAttempts++;
          await client?.end().catch(() => undefined);
          client = undefined;
          await sleep(50);
        }
        await sleep(20);
      }
      await client?.end().catch(() => undefined);
    })();

    await sleep(1_000);
    assert.ok(acknowledged.length > 0, 'writes must succeed before the failover');
    const old = await cluster.primary();
    const oldName = await cluster.killPrimary();
    killCompletedAt = Date.now();
    assert.equal(oldName, old!.name);
    assert.equal(cluster.running(oldName), false);

    const promoted = await cluster.waitForNewPrimary(oldName, 60_000);
    assert.notEqual(promoted.name, oldName);
    await writer;
    assert.ok(firstSuccessAfterKill > 0, 'writes must resume within the loop bound');

    const outageMs = firstSuccessAfterKill - lastSuccessBeforeKill;
    console.log(
      `patroni failover: write outage ${outageMs} ms (last acknowledged write before the kill -> first write after it), ` +
        `${firstSuccessAfterKill - killCompletedAt} ms from kill to first write, ${failedAttempts} failed attempts, ` +
        `${acknowledged.length} acknowledged writes, new leader ${promoted.name}`,
    );
    assert.ok(outageMs < 60_000, `writes recovered only after ${outageMs} ms`);

    await haproxy.waitForServer('postgres', promoted.name, 'UP');
    const { rows, port } = await viaHaproxy(async (c) => ({
      rows: (await c.query<{ id: number }>('SELECT id FROM writes')).rows,
      port: (await c.query('SELECT inet_server_port() AS port')).rows[0].port as number,
    }));
    assert.equal(port, promoted.pgPort, 'HAProxy must route to the promoted leader');
    const stored = new Set(rows.map((r) => r.id));
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], 'every acknowledged write must be on the new leader');
    await haproxy.waitForServer('postgres', oldName, 'DOWN');
  });

  test('the killed node rejoins as a streaming replica after restartNode', async () => {
    const leader = (await cluster.primary())!;
    const killed = cluster.members.find((m) => !cluster.running(m.name))!;
    await cluster.restartNode(killed.name);
    await cluster.waitForHealthy({ streamingReplicas: 2, timeoutMs: 60_000 });
    const replication = await cluster.replication();
    assert.ok(replication.some((r) => r.applicationName === killed.name && r.state === 'streaming'));
    assert.equal((await cluster.primary())?.name, leader.name, 'a rejoining node must not take over');
  });
});

describe('Patroni with synchronous_mode_strict (2 nodes)', () => {
  let cluster: PatroniCluster;
  before(async () => {
    cluster = await startPatroniCluster({ nodes: 2, synchronous: true, synchronousStrict: true });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('with the only sync replica gone a commit waits, and completes once the replica is back', async () => {
    const leader = await cluster.waitForHealthy({ streamingReplicas: 1 });
    const replica = cluster.members.find((m) => m.name !== leader.name)!;
    const client = new pg.Client({ connectionString: cluster.nodeUrl(leader.name) });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('CREATE TABLE strict_writes (id int PRIMARY KEY)');
      await cluster.killNode(replica.name);
      let committed = false;
      const commit = client.query('INSERT INTO strict_writes VALUES (1)').then(() => {
        committed = true;
      });
      await sleep(3_000);
      assert.equal(committed, false, 'strict mode must not acknowledge a commit no replica has');
      await cluster.restartNode(replica.name);
      // withTimeout clears its timer: a pending 60 s sleep would hold the test process open.
      const outcome = await withTimeout(commit, 60_000);
      assert.notEqual(outcome, TIMED_OUT, 'the commit must complete once the replica is back');
      assert.equal(committed, true);
      assert.equal((await cluster.primary())?.name, leader.name);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
});
