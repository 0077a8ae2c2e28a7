import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LedgerKind } from '../../src/domain/ledger.ts';
import {
  idempotencyKey,
  postTransfer,
  seededRandom,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
  waitUntil,
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

/**
 * Runs `writes` while the first transaction statement that `holds` names stays open after it ran: the
 * transaction is held right there, with the locks that statement took, until `writes` has settled. Returns
 * what `writes` did, whether anything waited on the held transaction meanwhile, and every write conflict
 * (serialization failure, deadlock) that any statement met, held or not.
 */
async function whileHeld<T>(
  holds: (text: string, name: string | undefined) => boolean,
  hold: () => Promise<unknown>,
  writes: () => Promise<T>,
) {
  const runtimeDb = svc.runtime.db;
  const conflicts: string[] = [];
  const noted = <R>(promise: Promise<R>) =>
    promise.catch((error: { code?: string }) => {
      if (error.code === '40P01' || error.code === '40001') conflicts.push(error.code);
      throw error;
    });
  let held: { pid: number; release: () => void } | undefined;
  let reached!: () => void;
  const holding = new Promise<void>((resolve) => (reached = resolve));
  const query = runtimeDb.query.bind(runtimeDb);
  const transaction = runtimeDb.transaction.bind(runtimeDb);
  runtimeDb.query = ((config: never, values?: unknown[]) =>
    noted(query(config, values))) as typeof runtimeDb.query;
  runtimeDb.transaction = ((work, attempts) =>
    transaction(
      (client) =>
        work({
          query: async (config: string | { text: string; name?: string }, values?: unknown[]) => {
            const result = await noted(client.query(config as never, values));
            const text = typeof config === 'string' ? config : config.text;
            const name = typeof config === 'string' ? undefined : config.name;
            if (!held && holds(text, name)) {
              const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
              await new Promise<void>((release) => {
                held = { pid, release };
                reached();
              });
            }
            return result;
          },
        } as never),
      attempts,
    )) as typeof runtimeDb.transaction;
  try {
    const holder = hold();
    await Promise.race([
      holding,
      holder.finally(() => {
        throw new Error('the held transaction ended without running the statement to hold it at');
      }),
    ]);
    let settled = false;
    const done = writes().finally(() => {
      settled = true;
    });
    done.catch(() => undefined); // judged below, once the held transaction is released
    // Until the writes are done, or one of their statements is found waiting for the held transaction.
    let waited = false;
    await waitUntil('the writes to finish or to wait for the held transaction', async () => {
      if (settled) return true;
      const waiting = await svc.sql(
        'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [held!.pid],
      );
      waited = waiting.length > 0;
      return waited;
    });
    held!.release();
    const [outcome, holderOutcome] = await Promise.allSettled([done, holder]);
    return { waited, outcome, holderOutcome, conflicts };
  } finally {
    held?.release();
    runtimeDb.query = query;
    runtimeDb.transaction = transaction;
  }
}

async function adminActor(requestId: string) {
  const [{ id }] = await svc.sql("SELECT id FROM api_keys WHERE role = 'admin' LIMIT 1");
  return { principalId: id as string, requestId };
}

const ledgerWrite = (
  assetId: string,
  kind: LedgerKind,
  parties: { from?: string; to?: string },
  amount: bigint,
) => {
  const key = idempotencyKey();
  return { assetId, kind, ...parties, amount, idempotencyKey: key, requestHash: key };
};

/** A fresh asset whose investor `a` holds 100 and whose investor `b` has no balance row yet. */
async function assetWithOneHolder() {
  const { assetId, investors } = await seedLedger(svc.admin, { investors: 2 });
  const [a, b] = investors as [string, string];
  const minted = await svc.admin.post(
    `/api/v1/assets/${assetId}/mint`,
    { to: a, amount: '100' },
    { 'idempotency-key': idempotencyKey() },
  );
  assert.equal(minted.status, 201);
  return { assetId, a, b };
}

// The 500 of issue 20's journal test: mints and burns locked their asset FOR UPDATE, which also blocks the
// KEY SHARE lock the balances table's foreign key takes when a transfer opens a balance row. The transfer
// then held its sender's balance while waiting for the asset, and the burn, holding the asset, waited for
// that balance: a deadlock, retried up to five times by Database.transaction and then answered with 500.
test('a transfer that opens a balance row never waits for a burn holding the asset, so the two cannot deadlock', async () => {
  const { assetId, a, b } = await assetWithOneHolder();
  const ledger = svc.runtime.stores.ledger;
  const actor = await adminActor('deadlock');

  // The burn is held right after its first statement: it holds the asset, and next locks a's balance.
  const { waited, outcome, holderOutcome, conflicts } = await whileHeld(
    (_, name) => name === 'ledger-claim-lock',
    () => ledger.write(ledgerWrite(assetId, 'burn', { from: a }, 10n), actor),
    // b has no balance row yet: the transfer inserts one, which checks the asset through the foreign key.
    () => ledger.write(ledgerWrite(assetId, 'transfer', { from: a, to: b }, 30n), actor),
  );
  assert.equal(waited, false, 'the transfer waited for the lock a burn holds on its asset');
  assert.equal(outcome.status, 'fulfilled', String((outcome as PromiseRejectedResult).reason));
  assert.equal(holderOutcome.status, 'fulfilled', String((holderOutcome as PromiseRejectedResult).reason));
  assert.deepEqual(conflicts, [], 'no statement met a deadlock or a serialization failure');

  const balances = await svc.sql('SELECT investor_id, amount FROM balances WHERE asset_id = $1', [assetId]);
  assert.deepEqual(Object.fromEntries(balances.map((r) => [r.investor_id, r.amount])), {
    [a]: '60',
    [b]: '30',
  });
  const [asset] = await svc.sql('SELECT total_supply FROM assets WHERE id = $1', [assetId]);
  assert.equal(asset.total_supply, '90');
  await assertBooksBalance(svc, assetId);
});

test('a transfer that opens a balance row does not wait for a status change holding the asset', async () => {
  const { assetId, a, b } = await assetWithOneHolder();
  const actor = await adminActor('status');

  // Closing the asset, held right after it locked the asset row: the transfer commits first, so it applies.
  const { waited, outcome, holderOutcome, conflicts } = await whileHeld(
    (text) => /^SELECT \* FROM assets WHERE id = \$1 FOR/.test(text),
    () => svc.runtime.stores.assets.setStatus(assetId, 'closed', actor),
    () => svc.runtime.stores.ledger.write(ledgerWrite(assetId, 'transfer', { from: a, to: b }, 30n), actor),
  );
  assert.equal(waited, false, 'the transfer waited for the lock a status change holds on its asset');
  assert.equal(outcome.status, 'fulfilled', String((outcome as PromiseRejectedResult).reason));
  assert.equal(holderOutcome.status, 'fulfilled', String((holderOutcome as PromiseRejectedResult).reason));
  assert.deepEqual(conflicts, []);
  const [asset] = await svc.sql('SELECT status FROM assets WHERE id = $1', [assetId]);
  assert.equal(asset.status, 'closed');
  await assertBooksBalance(svc, assetId);
});
