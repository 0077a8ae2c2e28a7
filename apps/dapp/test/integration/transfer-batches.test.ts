import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  idempotencyKey,
  postTransfer,
  seededRandom,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
} from '../support/helpers.ts';
import { assertBooksBalance } from '../support/ledger-workload.ts';

// Transfers are applied in batches, planned from what each replica last wrote (its state cache) and checked
// by the write statement. Two replicas on one database make that cache stale on purpose: every fact the
// other replica changes (balances, KYC, asset status, used keys) must be noticed, never overwritten.
let db: TestDatabase;
let a: TestService;
let b: TestService;

before(async () => {
  db = await TestDatabase.start();
  const url = await db.createDatabase();
  a = await startService(url, { DATABASE_POOL_MAX: '6' });
  b = await startService(url, { DATABASE_POOL_MAX: '6' });
});
after(async () => {
  await a?.close();
  await b?.close();
  await db?.destroy();
});

const transfer = (
  svc: TestService,
  assetId: string,
  from: string,
  to: string,
  amount: string,
  key?: string,
) => postTransfer(svc.admin, assetId, from, to, amount, key);

async function balances(assetId: string): Promise<Record<string, string>> {
  const rows = await a.sql('SELECT investor_id, amount FROM balances WHERE asset_id = $1', [assetId]);
  return Object.fromEntries(rows.map((r) => [r.investor_id, r.amount]));
}

/**
 * Transfers through replica a's ledger store, as the admin key, bypassing HTTP: writes started in one turn
 * of the event loop are sure to form one batch.
 */
async function storeWriter(assetId: string) {
  const [{ id: principalId }] = await a.sql("SELECT id FROM api_keys WHERE role = 'admin' LIMIT 1");
  return (from: string, to: string, amount: bigint, key: string) =>
    a.runtime.stores.ledger.write(
      { assetId, kind: 'transfer', from, to, amount, idempotencyKey: key, requestHash: key },
      { principalId, requestId: key },
    );
}

async function funded(investors = 4, amount = '1000') {
  const seeded = await seedLedger(a.admin, { investors });
  for (const id of seeded.investors) {
    const mint = await a.admin.post(
      `/api/v1/assets/${seeded.assetId}/mint`,
      { to: id, amount },
      { 'idempotency-key': idempotencyKey() },
    );
    assert.equal(mint.status, 201);
  }
  // Both replicas plan from cached state after this.
  for (const svc of [a, b]) {
    assert.equal(
      (await transfer(svc, seeded.assetId, seeded.investors[0]!, seeded.investors[1]!, '1')).status,
      201,
    );
    assert.equal(
      (await transfer(svc, seeded.assetId, seeded.investors[1]!, seeded.investors[0]!, '1')).status,
      201,
    );
  }
  return seeded;
}

test('two replicas moving the same balances at once lose no write and apply none twice', async () => {
  const { assetId, investors } = await funded(4);
  const expected = new Map(investors.map((id) => [id, 1000n]));
  const random = seededRandom(7);
  const planned = Array.from({ length: 300 }, (_, i) => {
    const from = investors[random(4)]!;
    const to = investors[(investors.indexOf(from) + 1 + random(3)) % 4]!;
    return { via: i % 2 ? a : b, from, to, amount: String(1 + random(40)) };
  });
  const replies = await Promise.all(planned.map((t) => transfer(t.via, assetId, t.from, t.to, t.amount)));
  replies.forEach((reply, i) => {
    const t = planned[i]!;
    if (reply.status === 201) {
      expected.set(t.from, expected.get(t.from)! - BigInt(t.amount));
      expected.set(t.to, expected.get(t.to)! + BigInt(t.amount));
    } else {
      assert.equal(reply.status, 422, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, 'insufficient_balance');
    }
  });
  const applied = replies.filter((r) => r.status === 201).length;
  assert.ok(applied > 200, `most transfers applied (${applied} of 300)`);
  assert.deepEqual(
    await balances(assetId),
    Object.fromEntries([...expected].map(([id, v]) => [id, v.toString()])),
    'every balance is exactly the sum of the acknowledged transfers',
  );
  const [journal] = await a.sql(
    "SELECT count(*)::int AS n FROM journal WHERE asset_id = $1 AND kind = 'transfer' AND amount > 1",
    [assetId],
  );
  assert.equal(journal.n, replies.filter((r, i) => r.status === 201 && planned[i]!.amount !== '1').length);
});

test('a KYC revocation made through another replica stops transfers at once', async () => {
  const { assetId, investors } = await funded(2);
  const [x, y] = investors as [string, string];
  const revoked = await b.admin.patch(`/api/v1/investors/${x}`, { kycStatus: 'revoked' });
  assert.equal(revoked.status, 200);
  const reply = await transfer(a, assetId, x, y, '5');
  assert.equal(reply.status, 422, JSON.stringify(reply.body));
  assert.equal(reply.body.error.code, 'kyc_not_verified');
  const incoming = await transfer(a, assetId, y, x, '5');
  assert.equal(incoming.body.error?.code, 'kyc_not_verified', 'a revoked investor cannot receive either');
});

test('pausing the asset through another replica stops transfers at once', async () => {
  const { assetId, investors } = await funded(2);
  assert.equal((await b.admin.post(`/api/v1/assets/${assetId}/status`, { status: 'paused' })).status, 200);
  const reply = await transfer(a, assetId, investors[0]!, investors[1]!, '5');
  assert.equal(reply.status, 422);
  assert.equal(reply.body.error.code, 'asset_not_active');
});

test('a key used on one replica is a replay on the other, applied once', async () => {
  const { assetId, investors } = await funded(2);
  const [x, y] = investors as [string, string];
  const before = await balances(assetId);
  const key = idempotencyKey();
  const first = await transfer(b, assetId, x, y, '9', key);
  assert.equal(first.status, 201);
  const again = await transfer(a, assetId, x, y, '9', key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.body.id, first.body.id);
  const misuse = await transfer(a, assetId, x, y, '10', key);
  assert.equal(misuse.status, 422);
  assert.equal(misuse.body.error.code, 'idempotency_key_reused');
  const after = await balances(assetId);
  assert.equal(BigInt(after[x]!), BigInt(before[x]!) - 9n);
  assert.equal(BigInt(after[y]!), BigInt(before[y]!) + 9n);
});

test('a balance that only the other replica raised is not refused from stale state', async () => {
  const { assetId, investors } = await funded(3, '10');
  const [x, y, z] = investors as [string, string, string];
  // Replica a last saw x at 10; b raises it to 60.
  assert.equal((await transfer(a, assetId, x, y, '1')).status, 201);
  assert.equal((await transfer(b, assetId, z, x, '10')).status, 201);
  assert.equal((await transfer(b, assetId, y, x, '11')).status, 201);
  assert.equal(
    (
      await a.admin.post(
        `/api/v1/assets/${assetId}/mint`,
        { to: x, amount: '30' },
        { 'idempotency-key': idempotencyKey() },
      )
    ).status,
    201,
  );
  const reply = await transfer(a, assetId, x, z, '55');
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal((await balances(assetId))[x], '5');
});

test('receivers without a balance row, credited by both replicas at once, get every unit', async () => {
  const { assetId, investors } = await funded(2, '100000');
  const fresh: string[] = [];
  for (let i = 0; i < 3; i++) {
    const inv = await a.admin.post('/api/v1/investors', {
      name: `New ${i}`,
      country: 'BE',
      kycStatus: 'verified',
    });
    fresh.push(inv.body.id);
  }
  const replies = await Promise.all(
    Array.from({ length: 90 }, (_, i) =>
      transfer(i % 2 ? a : b, assetId, investors[i % 2]!, fresh[i % 3]!, '2'),
    ),
  );
  assert.ok(
    replies.every((r) => r.status === 201),
    JSON.stringify(replies.find((r) => r.status !== 201)?.body),
  );
  const after = await balances(assetId);
  for (const id of fresh) assert.equal(after[id], '60', `${id} received 30 transfers of 2`);
  await assertBooksBalance(a, assetId);
});

test('batches and their re-plans are visible in the metrics', async () => {
  for (const svc of [a, b]) {
    const metrics = await svc.anonymous.get('/metrics');
    const count = Number(metrics.body.match(/^dalp_ledger_batch_transfers_count (\d+)$/m)?.[1]);
    const sum = Number(metrics.body.match(/^dalp_ledger_batch_transfers_sum (\d+)$/m)?.[1]);
    assert.ok(count > 0 && sum >= count, `batches recorded (count ${count}, sum ${sum})`);
  }
  // Replica a planned from cached state that b had made stale (KYC revocation, asset pause) at least twice.
  const metrics = await a.anonymous.get('/metrics');
  const stale = Number(
    metrics.body.match(/^dalp_ledger_batch_retries_total\{reason="stale_cache"\} (\d+)$/m)?.[1],
  );
  assert.ok(stale >= 2, `conflicts on cached state were counted (${stale})`);
});

test('a batch that leaves a balance where it was still checks the amount it planned from', async () => {
  const { assetId, investors } = await funded(3, '10');
  const [x, y, z] = investors as [string, string, string];
  // Replica a last saw x at 10; b empties it.
  assert.equal((await transfer(b, assetId, x, z, '10')).status, 201);
  const write = await storeWriter(assetId);
  // Submitted in one turn of the event loop: one batch, x -> y first, then y -> x; x's net change is zero.
  const [first, second] = await Promise.allSettled([
    write(x, y, 10n, idempotencyKey()),
    write(y, x, 10n, idempotencyKey()),
  ]);
  assert.equal(first.status, 'rejected', 'x holds nothing: its transfer is refused');
  assert.equal((first as PromiseRejectedResult).reason.code, 'insufficient_balance');
  assert.equal(second.status, 'fulfilled');
  const after = await balances(assetId);
  assert.equal(after[x], '10');
  assert.equal(after[y], '0');
});

test('a batch whose state keeps moving under it is decided again under row locks, as one batch', async () => {
  const { assetId, investors } = await funded(4);
  const [w, x, y, z] = investors as [string, string, string, string];
  const newcomer = await a.admin.post('/api/v1/investors', {
    name: 'N',
    country: 'BE',
    kycStatus: 'verified',
  });
  const write = await storeWriter(assetId);

  // A batch with a refusal is planned from a fresh read, never from cache. Just before its optimistic write,
  // replica b mints to w: the plan is stale, so the batch must be decided again under row locks. Statements
  // are recorded by name.
  const statements: string[] = [];
  const db = a.runtime.db;
  const query = db.query.bind(db);
  let interference = 1;
  db.query = (async (config: Parameters<typeof db.query>[0], values?: unknown[]) => {
    const name = typeof config === 'object' ? config.name : undefined;
    if (name) statements.push(name);
    if (name === 'ledger-batch-write' && interference-- > 0) {
      const mint = await b.admin.post(
        `/api/v1/assets/${assetId}/mint`,
        { to: w, amount: '5' },
        { 'idempotency-key': idempotencyKey() },
      );
      assert.equal(mint.status, 201);
    }
    return query(config, values);
  }) as typeof db.query;
  const transaction = db.transaction.bind(db);
  db.transaction = ((work, attempts) =>
    transaction(
      (client) =>
        work({
          query: (config: { name?: string }, values?: unknown[]) => {
            if (config.name) statements.push(config.name);
            return client.query(config as never, values);
          },
        } as never),
      attempts,
    )) as typeof db.transaction;
  const refusedKey = idempotencyKey();
  try {
    // One turn of the event loop: one batch of an ordinary transfer, a refused one, and a credit to a
    // holder without a balance row.
    const [moved, refused, opened] = await Promise.allSettled([
      write(w, x, 100n, idempotencyKey()),
      write(y, z, 5000n, refusedKey),
      write(x, newcomer.body.id, 30n, idempotencyKey()),
    ]);
    assert.equal(moved.status, 'fulfilled');
    assert.equal(refused.status, 'rejected');
    assert.equal((refused as PromiseRejectedResult).reason.code, 'insufficient_balance');
    assert.equal(opened.status, 'fulfilled');
  } finally {
    db.query = query;
    db.transaction = transaction;
  }
  assert.deepEqual(
    statements.filter((name) => name.startsWith('ledger-batch-')),
    ['ledger-batch-read', 'ledger-batch-write', 'ledger-batch-lock', 'ledger-batch-apply'],
    'one batch: read, a write that met the change, then the locked read and write (not one transfer at a time)',
  );

  const after = await balances(assetId);
  assert.equal(after[w], String(1000 + 5 - 100));
  assert.equal(after[x], String(1000 + 100 - 30));
  assert.equal(after[y], '1000');
  assert.equal(after[z], '1000');
  assert.equal(after[newcomer.body.id], '30');
  await assertBooksBalance(a, assetId);
  // The refused transfer did not use up its key: the same key with an amount y holds applies.
  await write(y, z, 1n, refusedKey);
  assert.equal((await balances(assetId))[z], '1001');
  const metrics = await a.anonymous.get('/metrics');
  assert.match(metrics.body, /^dalp_ledger_batch_retries_total\{reason="conflict"\} [1-9]/m);
});
