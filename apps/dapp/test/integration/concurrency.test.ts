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

let db: TestDatabase;
let svc: TestService;

before(async () => {
  db = await TestDatabase.start();
  svc = await startService(await db.createDatabase(), { DATABASE_POOL_MAX: '10' });
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

const transfer = (assetId: string, from: string, to: string, amount: string, key?: string) =>
  postTransfer(svc.admin, assetId, from, to, amount, key);

test('parallel random transfers keep the invariant, and every balance matches the acknowledged writes', async () => {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 4 });
  const expected = new Map<string, bigint>();
  for (const id of investors) {
    const mint = await svc.admin.post(
      `/api/v1/assets/${assetId}/mint`,
      { to: id, amount: '1000' },
      {
        'idempotency-key': idempotencyKey(),
      },
    );
    assert.equal(mint.status, 201);
    expected.set(id, 1000n);
  }
  // A deterministic pseudo-random sequence keeps failures reproducible.
  const random = seededRandom(42);
  const planned = Array.from({ length: 240 }, () => {
    const from = investors[random(4)]!;
    let to = investors[random(4)]!;
    if (to === from) to = investors[(investors.indexOf(from) + 1) % 4]!;
    return { from, to, amount: String(1 + random(450)) };
  });
  const replies = await Promise.all(planned.map((t) => transfer(assetId, t.from, t.to, t.amount)));

  let applied = 0;
  let refused = 0;
  replies.forEach((reply, i) => {
    const t = planned[i]!;
    if (reply.status === 201) {
      applied++;
      expected.set(t.from, expected.get(t.from)! - BigInt(t.amount));
      expected.set(t.to, expected.get(t.to)! + BigInt(t.amount));
    } else {
      assert.equal(reply.status, 422, `unexpected ${reply.status}: ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error.code, 'insufficient_balance');
      refused++;
    }
  });
  assert.ok(
    applied > 0 && refused > 0,
    `the mix must include both outcomes (applied ${applied}, refused ${refused})`,
  );
  await assertBooksBalance(svc, assetId);
  const holders = await svc.admin.get(`/api/v1/assets/${assetId}/holders`);
  assert.equal(holders.body.totalSupply, '4000');
  for (const id of investors) {
    const held = holders.body.holders.find((h: any) => h.investorId === id)?.balance ?? '0';
    assert.equal(held, expected.get(id)!.toString(), `balance of ${id} equals its acknowledged transfers`);
  }
  const journal = await svc.sql(
    "SELECT count(*)::int AS n FROM journal WHERE asset_id = $1 AND kind = 'transfer'",
    [assetId],
  );
  assert.equal(journal[0].n, applied, 'one journal entry per acknowledged transfer');
});

test('a drained account refuses exactly the transfers it cannot cover', async () => {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 2 });
  const [a, b] = investors as [string, string];
  await svc.admin.post(
    `/api/v1/assets/${assetId}/mint`,
    { to: a, amount: '50' },
    { 'idempotency-key': idempotencyKey() },
  );
  const replies = await Promise.all(Array.from({ length: 120 }, () => transfer(assetId, a, b, '1')));
  assert.equal(replies.filter((r) => r.status === 201).length, 50);
  assert.equal(
    replies.filter((r) => r.status === 422 && r.body.error.code === 'insufficient_balance').length,
    70,
  );
  await assertBooksBalance(svc, assetId);
});

test('one idempotency key replayed concurrently applies exactly once', async () => {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 2 });
  const [a, b] = investors as [string, string];
  await svc.admin.post(
    `/api/v1/assets/${assetId}/mint`,
    { to: a, amount: '100' },
    { 'idempotency-key': idempotencyKey() },
  );
  const key = idempotencyKey();
  const replies = await Promise.all(Array.from({ length: 30 }, () => transfer(assetId, a, b, '7', key)));
  assert.ok(
    replies.every((r) => r.status === 201),
    'every replay succeeds',
  );
  assert.equal(replies.filter((r) => r.headers.get('idempotent-replayed') === 'false').length, 1);
  assert.equal(new Set(replies.map((r) => r.body.id)).size, 1, 'all replies carry the same journal entry');
  const holders = await svc.admin.get(`/api/v1/assets/${assetId}/holders`);
  const balance = Object.fromEntries(holders.body.holders.map((h: any) => [h.investorId, h.balance]));
  assert.deepEqual(balance, { [a]: '93', [b]: '7' });
  await assertBooksBalance(svc, assetId);
});

test('concurrent mints never push supply past the maximum', async () => {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 3, asset: { maxSupply: '100' } });
  const replies = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      svc.admin.post(
        `/api/v1/assets/${assetId}/mint`,
        { to: investors[i % 3], amount: '3' },
        {
          'idempotency-key': idempotencyKey(),
        },
      ),
    ),
  );
  assert.equal(replies.filter((r) => r.status === 201).length, 33);
  assert.ok(
    replies.filter((r) => r.status !== 201).every((r) => r.body.error.code === 'max_supply_exceeded'),
  );
  const [asset] = await svc.sql('SELECT total_supply FROM assets WHERE id = $1', [assetId]);
  assert.equal(asset.total_supply, '99');
  await assertBooksBalance(svc, assetId);
});
