import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import {
  type RedisSentinelSet,
  type RedisServer,
  startRedis,
  startRedisSentinel,
  waitFor,
  withRedisClient,
} from '../../src/index.ts';

describe('standalone Redis with a password and TLS', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: 'lab-secret', tls: true });
  });
  after(async () => {
    await redis?.destroy();
  });

  test('a password that would break redis.conf is refused', async () => {
    await assert.rejects(startRedis({ password: 'a"b' }), /must not contain quotes/);
  });

  test('answers with the password and refuses without it', async () => {
    assert.equal(
      await withRedisClient({ port: redis.port, password: 'lab-secret' }, (c) => c.ping()),
      'PONG',
    );
    await assert.rejects(
      withRedisClient({ port: redis.port }, (c) => c.get('anything')),
      /NOAUTH/,
    );
  });

  test('kill makes it unreachable; restart brings it back on the same port', async () => {
    await withRedisClient({ port: redis.port, password: 'lab-secret' }, (c) => c.set('key', 'value'));
    await redis.kill();
    assert.equal(redis.running(), false);
    await assert.rejects(
      withRedisClient({ port: redis.port, password: 'lab-secret' }, (c) => c.ping()),
      /ECONNREFUSED/,
    );
    await redis.restart();
    assert.equal(
      await withRedisClient({ port: redis.port, password: 'lab-secret' }, (c) => c.ping()),
      'PONG',
    );
    // Without persistence a restarted cache is empty: what a client sees after a real cache loss.
    assert.equal(
      await withRedisClient({ port: redis.port, password: 'lab-secret' }, (c) => c.get('key')),
      null,
    );
  });

  test('rediss:// with the returned CA is encrypted and verified', async () => {
    const client = new Redis(redis.url({ tls: true }), {
      tls: { ca: readFileSync(redis.caPath!) },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    try {
      await client.set('tls-key', 'over tls');
      assert.equal(await client.get('tls-key'), 'over tls');
      assert.equal((await client.info('server')).match(/tcp_port:(\d+)/)?.[1], String(redis.port));
    } finally {
      client.disconnect();
    }
  });

  test('rediss:// without the CA fails certificate verification', async () => {
    await assert.rejects(
      withRedisClient({ port: redis.tlsPort, password: 'lab-secret', tls: {} }, (c) => c.ping()),
      /self.signed|unable to verify|certificate/i,
    );
  });
});

describe('Redis Sentinel: 1 primary, 1 replica, 3 sentinels', () => {
  let set: RedisSentinelSet;
  before(async () => {
    set = await startRedisSentinel({ password: 'lab-secret' });
  });
  after(async () => {
    await set?.stop();
  });

  test('the sentinels agree on the initial primary', async () => {
    const address = await set.masterAddress();
    assert.equal(address.port, set.servers[0]!.port);
    assert.equal((await set.servers[1]!.info('replication')).role, 'slave');
  });

  test('killing the primary promotes the replica; the old primary rejoins as a replica', async () => {
    await withRedisClient({ port: set.servers[0]!.port, password: 'lab-secret' }, (c) =>
      c.set('before', '1'),
    );
    const started = Date.now();
    const old = await set.killPrimary();
    const promoted = await set.waitForFailover(old, 30_000);
    const failoverMs = Date.now() - started;
    console.log(
      `redis sentinel failover: ${failoverMs} ms from SIGKILL to the replica answering role:master`,
    );
    assert.notEqual(promoted.port, old.port);
    assert.equal(promoted.port, set.servers[1]!.port);
    assert.deepEqual(await set.masterAddress(), promoted);
    // Writes go to the new primary, and replicated data is there.
    await withRedisClient({ port: promoted.port, password: 'lab-secret' }, async (c) => {
      await c.set('after', '1');
      assert.equal(await c.get('before'), '1');
    });
    // A sentinel-aware client follows the new primary.
    const client = new Redis({
      sentinels: set.sentinelAddresses.map((a) => ({ host: a.host, port: a.port })),
      name: set.masterName,
      password: 'lab-secret',
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await client.connect();
    try {
      assert.equal(await client.get('after'), '1');
      assert.match(await client.info('server'), new RegExp(`tcp_port:${promoted.port}\r`));
    } finally {
      client.disconnect();
    }
    await set.servers[0]!.start();
    const rejoinStarted = Date.now();
    await waitFor(
      async () => (await set.servers[0]!.info('replication')).master_port === String(promoted.port),
      20_000,
      'the old primary to be reconfigured as a replica of the new one',
    );
    console.log(
      `redis sentinel: old primary rejoined as a replica ${Date.now() - rejoinStarted} ms after its restart`,
    );
  });
});

describe('Redis Sentinel with TLS: one CA, sentinels on tls-port only', () => {
  let set: RedisSentinelSet;
  before(async () => {
    set = await startRedisSentinel({ password: 'lab-secret', tls: true });
  });
  after(async () => {
    await set?.stop();
  });

  test('sentinels answer over TLS with the CA, refuse plain connections, and name the primary by its TLS port', async () => {
    const sentinel = set.sentinelAddresses[0]!;
    const ca = readFileSync(set.caPath!);
    const named = (await withRedisClient({ port: sentinel.port, tls: { ca } }, (c) =>
      c.call('SENTINEL', 'get-master-addr-by-name', set.masterName),
    )) as [string, string];
    const primary = await set.primary();
    assert.equal(Number(named[1]), primary.tlsPort);
    await assert.rejects(withRedisClient({ port: sentinel.port }, (c) => c.ping()));
    await assert.rejects(
      withRedisClient({ port: sentinel.port, tls: {} }, (c) => c.ping()),
      /self.signed|unable to verify|certificate/i,
      'a client without the CA does not trust the sentinels',
    );
    assert.equal(
      (await set.servers[1]!.info('replication')).master_link_status,
      'up',
      'replication over TLS',
    );
  });
});
