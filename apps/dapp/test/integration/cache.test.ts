import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type RedisSentinelSet,
  type RedisServer,
  startRedis,
  startRedisSentinel,
  withRedisClient,
} from '@dalp/lab';
import {
  type Client,
  idempotencyKey,
  runLoad,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
  waitUntil,
} from '../support/helpers.ts';

const PASSWORD = 'cache-test-password-9f8e7d';
let db: TestDatabase;
let databaseUrl: string;

before(async () => {
  db = await TestDatabase.start();
  databaseUrl = await db.createDatabase();
});
after(async () => db?.destroy());

async function cachedKeys(server: { host: string; port: number }, pattern = 'val:*'): Promise<string[]> {
  return withRedisClient({ host: server.host, port: server.port, password: PASSWORD }, (c) =>
    c.keys(pattern),
  );
}

/** Reads, holder reads and idempotent transfers, as a client mix. */
function mixedTraffic(client: Client, assetId: string, investors: string[]) {
  return (i: number) => {
    if (i % 5 === 4) {
      const [from, to] = i % 2 === 0 ? investors : [...investors].reverse();
      return client.post(
        `/api/v1/assets/${assetId}/transfers`,
        { from, to, amount: '1' },
        {
          'idempotency-key': idempotencyKey(),
        },
      );
    }
    return client.get(`/api/v1/assets/${assetId}${i % 2 === 0 ? '' : '/holders'}`);
  };
}

describe('Redis standalone shared by two replicas', () => {
  let redis: RedisServer;
  let a: TestService;
  let b: TestService;
  let assetId: string;
  let investors: string[];

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    const env = { CACHE_URL: redis.url(), CACHE_TTL_SECONDS: '300' };
    a = await startService(databaseUrl, env);
    b = await startService(databaseUrl, env);
    await waitUntil('both replicas to connect to the cache', () =>
      [a, b].every((s) => s.runtime.cache.state() === 'up'),
    );
    ({ assetId, investors } = await seedLedger(a.admin, { investors: 2 }));
    await a.admin.post(
      `/api/v1/assets/${assetId}/mint`,
      { to: investors[0], amount: '100000' },
      {
        'idempotency-key': idempotencyKey(),
      },
    );
    await a.admin.post(
      `/api/v1/assets/${assetId}/mint`,
      { to: investors[1], amount: '100000' },
      {
        'idempotency-key': idempotencyKey(),
      },
    );
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.destroy();
  });

  test('reads go through the shared cache', async () => {
    assert.equal((await b.admin.get(`/api/v1/assets/${assetId}`)).status, 200);
    assert.equal((await b.admin.get(`/api/v1/assets/${assetId}/holders`)).status, 200);
    const keys = await cachedKeys(redis);
    assert.ok(
      keys.some((k) => k.startsWith(`val:asset:${assetId}:`)),
      `no cached asset in ${keys.join(', ')}`,
    );
    assert.ok(keys.some((k) => k.startsWith(`val:holders:${assetId}:`)));
  });

  test('a write on replica A is never followed by a stale read on replica B', async () => {
    for (const status of ['paused', 'active', 'paused', 'active']) {
      assert.equal((await b.admin.get(`/api/v1/assets/${assetId}`)).status, 200, 'B has it cached');
      assert.equal((await a.admin.post(`/api/v1/assets/${assetId}/status`, { status })).status, 200);
      assert.equal((await b.admin.get(`/api/v1/assets/${assetId}`)).body.status, status);
    }
    const before = await b.admin.get(`/api/v1/assets/${assetId}/holders`);
    await a.admin.post(
      `/api/v1/assets/${assetId}/transfers`,
      { from: investors[0], to: investors[1], amount: '5' },
      {
        'idempotency-key': idempotencyKey(),
      },
    );
    const afterTransfer = await b.admin.get(`/api/v1/assets/${assetId}/holders`);
    const balance = (r: any, id: string) =>
      BigInt(r.body.holders.find((h: any) => h.investorId === id).balance);
    assert.equal(balance(afterTransfer, investors[1]!), balance(before, investors[1]!) + 5n);
  });

  test('killing Redis under load causes no client-visible error; the service uses it again when it returns', async () => {
    const load = runLoad(mixedTraffic(a.admin, assetId, investors), { durationMs: 5000, concurrency: 4 });
    await sleep(1000);
    await redis.kill();
    await waitUntil(
      'the replica to notice the cache is gone',
      () => a.runtime.cache.state() !== 'up',
      10_000,
    );
    const ready = await a.anonymous.get('/readyz');
    assert.equal(ready.status, 200, 'a lost cache does not take the replica out of service');
    assert.equal(ready.body.dependencies.cache, 'degraded');
    assert.match((await a.anonymous.get('/metrics')).body, /dalp_dependency_up\{dependency="cache"\} 0/);
    await sleep(1500);
    await redis.start();
    const result = await load;
    assert.ok(result.total > 50, `load ran (${result.total} requests)`);
    assert.deepEqual(result.failures, [], `${result.failures.length} failed requests of ${result.total}`);
    console.log(`redis killed under load: ${result.total} requests, 0 failed`);

    await waitUntil('the replica to reconnect', () => a.runtime.cache.state() === 'up', 15_000);
    assert.equal((await a.anonymous.get('/readyz')).body.dependencies.cache, 'up');
    await a.admin.get(`/api/v1/assets/${assetId}`);
    assert.ok(
      (await cachedKeys(redis)).some((k) => k.startsWith(`val:asset:${assetId}:`)),
      'cache in use again',
    );
    // Writes made while the cache was down were invalidated once it came back: B reads the truth.
    const truth = await a.sql('SELECT status, total_supply FROM assets WHERE id = $1', [assetId]);
    const seen = await b.admin.get(`/api/v1/assets/${assetId}`);
    assert.equal(seen.body.totalSupply, truth[0].total_supply);
  });
});

describe('rate limits per API key, shared across replicas', () => {
  let redis: RedisServer;
  let a: TestService;
  let b: TestService;
  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    const env = { CACHE_URL: redis.url(), RATE_LIMIT_PER_MINUTE: '10', AUTH_FAILURES_PER_MINUTE: '5' };
    a = await startService(databaseUrl, env);
    b = await startService(databaseUrl, env);
    await waitUntil('cache', () => [a, b].every((s) => s.runtime.cache.state() === 'up'));
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.destroy();
  });

  test('the 11th request of a key in a minute is 429 with Retry-After, whichever replica it reaches', async () => {
    const created = await a.admin.post('/api/v1/api-keys', { name: 'limited', role: 'viewer' });
    const limitedA = a.admin.as(created.body.key);
    const limitedB = b.admin.as(created.body.key);
    // Stay inside one minute window, so the count is not reset half way.
    const secondsLeft = 60 - (Math.floor(Date.now() / 1000) % 60);
    if (secondsLeft < 5) await sleep(secondsLeft * 1000 + 100);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await (i % 2 ? limitedA : limitedB).get('/api/v1/assets')).status);
    assert.deepEqual(statuses, Array(10).fill(200));
    // The limit is a sliding window estimated from two fixed-window counters (apps/dapp/src/rate-limits.ts),
    // and the refused request is counted too: these 11 hits of a new key must first become the previous
    // window's count, then decay until 9 of 11 remain beside the next request, the first of its window,
    // which is (2 - 9/11) windows after this window began.
    const retryAt = (now: number) => Math.max(1, Math.ceil((2 - 9 / 11 - (now % 60_000) / 60_000) * 60));
    const latest = retryAt(Date.now());
    const limited = await limitedA.get('/api/v1/assets');
    const earliest = retryAt(Date.now());
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(
      retryAfter >= earliest && retryAfter <= latest,
      `Retry-After ${retryAfter}, not in ${earliest}-${latest}`,
    );
    assert.equal((await limitedB.get('/api/v1/assets')).status, 429);
    const other = await a.admin.post('/api/v1/api-keys', { name: 'other', role: 'viewer' });
    assert.equal(
      (await b.admin.as(other.body.key).get('/api/v1/assets')).status,
      200,
      'other keys are unaffected',
    );
  });

  test('an address that presented 5 unknown keys is refused unchecked (429) by every replica', async () => {
    const unknown = (replica: TestService, i: number) =>
      replica.admin.as(`dalp_unknown-${i}-${Date.now()}`).get('/api/v1/assets');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await unknown(i % 2 ? a : b, i)).status);
    assert.deepEqual(statuses, Array(5).fill(401));
    for (const replica of [a, b]) {
      const refused = await unknown(replica, 99);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, 'too_many_auth_failures');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 120, `Retry-After ${retryAfter}`);
    }
  });
});

describe('Redis Sentinel (1 primary, 1 replica, 3 sentinels)', () => {
  let set: RedisSentinelSet;
  let svc: TestService;
  let assetId: string;
  let investors: string[];
  before(async () => {
    set = await startRedisSentinel({ password: PASSWORD });
    svc = await startService(databaseUrl, {
      CACHE_SENTINELS: set.sentinelAddresses.map((s) => `${s.host}:${s.port}`).join(','),
      CACHE_SENTINEL_MASTER: set.masterName,
      CACHE_PASSWORD: PASSWORD,
    });
    await waitUntil('cache', () => svc.runtime.cache.state() === 'up');
    ({ assetId, investors } = await seedLedger(svc.admin, { investors: 2 }));
    for (const to of investors) {
      await svc.admin.post(
        `/api/v1/assets/${assetId}/mint`,
        { to, amount: '100000' },
        {
          'idempotency-key': idempotencyKey(),
        },
      );
    }
  });
  after(async () => {
    await svc?.close();
    await set?.stop();
  });

  test('a failover under load causes no client-visible error and the service follows the new primary', async () => {
    await svc.admin.get(`/api/v1/assets/${assetId}`);
    const oldPrimary = await set.masterAddress();
    assert.ok((await cachedKeys(oldPrimary)).length > 0, 'cache in use on the first primary');

    const load = runLoad(mixedTraffic(svc.admin, assetId, investors), { durationMs: 7000, concurrency: 4 });
    await sleep(800);
    const killedAt = Date.now();
    await set.killPrimary();
    const newPrimary = await set.waitForFailover(oldPrimary, 30_000);
    const failoverMs = Date.now() - killedAt;
    const result = await load;
    assert.notDeepEqual(newPrimary, oldPrimary);
    assert.deepEqual(result.failures, [], `${result.failures.length} failed requests of ${result.total}`);

    await waitUntil(
      'the service to write to the new primary',
      async () => {
        await svc.admin.post(`/api/v1/assets/${assetId}/status`, { status: 'paused' });
        await svc.admin.post(`/api/v1/assets/${assetId}/status`, { status: 'active' });
        await svc.admin.get(`/api/v1/assets/${assetId}`);
        return (await cachedKeys(newPrimary, `val:asset:${assetId}:*`)).length > 0;
      },
      20_000,
    );
    console.log(
      `sentinel failover: ${failoverMs} ms from kill to new primary; ${result.total} requests, 0 failed`,
    );
  });
  test('a cache client that ioredis gave up on comes back by itself', async () => {
    // ioredis ends a Sentinel client for good when a failover notice interrupts a reconnect (a race the
    // cache-failover drill hit); ending it from outside takes the same 'end' path deterministically.
    const client = (
      svc.runtime.cache as unknown as { client: { disconnect(): void; once(e: 'end', f: () => void): void } }
    ).client;
    const ended = new Promise<void>((resolve) => client.once('end', resolve));
    client.disconnect();
    await ended;
    assert.equal(svc.runtime.cache.state(), 'down');
    await waitUntil('the cache to be used again', () => svc.runtime.cache.state() === 'up', 15_000);
  });
});

describe('Redis Sentinel with TLS (Sentinels serving only tls-port, one CA) (issue 13.3)', () => {
  let set: RedisSentinelSet;
  let svc: TestService;
  before(async () => {
    set = await startRedisSentinel({ password: PASSWORD, tls: true });
    svc = await startService(databaseUrl, {
      CACHE_SENTINELS: set.sentinelAddresses.map((s) => `${s.host}:${s.port}`).join(','),
      CACHE_SENTINEL_MASTER: set.masterName,
      CACHE_PASSWORD: PASSWORD,
      CACHE_TLS: 'true',
      CACHE_TLS_CA_FILE: set.caPath!,
    });
  });
  after(async () => {
    await svc?.close();
    await set?.stop();
  });

  test('the service finds the primary through the TLS Sentinels, caches on it, and follows a failover', async () => {
    await waitUntil('cache through TLS sentinels', () => svc.runtime.cache.state() === 'up', 20_000);
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    await svc.admin.get(`/api/v1/assets/${assetId}`);
    const primary = await set.primary();
    assert.ok(
      (await cachedKeys(primary)).some((k) => k.includes(assetId)),
      'cached on the primary',
    );

    const oldPrimary = await set.masterAddress();
    await set.killPrimary();
    const next = await set.waitForFailover(oldPrimary, 30_000);
    const newPrimary = set.servers.find((s) => s.tlsPort === next.port)!;
    // An asset created after the failover can only be cached on the new primary by this service.
    const fresh = await seedLedger(svc.admin, { investors: 0 });
    await waitUntil(
      'the service to cache on the new primary',
      async () => {
        await svc.admin.get(`/api/v1/assets/${fresh.assetId}`);
        return (await cachedKeys(newPrimary)).some((k) => k.includes(fresh.assetId));
      },
      30_000,
    );
  });
});

describe('Redis over TLS', () => {
  test('rediss:// with a CA file is used for caching', async () => {
    const redis = await startRedis({ password: PASSWORD, tls: true });
    const svc = await startService(databaseUrl, {
      CACHE_URL: redis.url({ tls: true }),
      CACHE_TLS_CA_FILE: redis.caPath!,
    });
    try {
      await waitUntil('cache over TLS', () => svc.runtime.cache.state() === 'up');
      const { assetId } = await seedLedger(svc.admin, { investors: 0 });
      await svc.admin.get(`/api/v1/assets/${assetId}`);
      assert.ok((await cachedKeys(redis)).some((k) => k.includes(assetId)));
    } finally {
      await svc.close();
      await redis.destroy();
    }
  });

  test('a rediss:// server with an untrusted certificate is never used (the service still serves)', async () => {
    const redis = await startRedis({ password: PASSWORD, tls: true });
    const svc = await startService(databaseUrl, { CACHE_URL: redis.url({ tls: true }) });
    try {
      await sleep(1500);
      assert.equal(svc.runtime.cache.state(), 'down');
      const { assetId } = await seedLedger(svc.admin, { investors: 0 });
      assert.equal((await svc.admin.get(`/api/v1/assets/${assetId}`)).status, 200);
      assert.equal((await svc.anonymous.get('/readyz')).body.dependencies.cache, 'degraded');
    } finally {
      await svc.close();
      await redis.destroy();
    }
  });
});
