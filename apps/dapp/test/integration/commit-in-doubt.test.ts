// A session that ends while the answer to COMMIT is on its way (database.ts, Database.transaction): the
// service cannot tell from the client side whether the write committed, so it asks the server
// (pg_xact_status) on a new connection. Both answers are made real against PostgreSQL: a proxy that loses
// COMMIT's answer after the server committed ('committed': the write is answered, not run again), and a
// trigger at COMMIT that ends its own session before the commit ('aborted': the write runs once more).
// Either way the client gets its 201 and the ledger holds the write exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CommitCutter, startCommitCutter } from '../support/commit-cutter.ts';
import {
  captureLog,
  idempotencyKey,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
} from '../support/helpers.ts';

const AT_COMMIT = 'database session ended at COMMIT; the server says how the transaction ended';

let db: TestDatabase;
let cutter: CommitCutter;
let svc: TestService;
let log: ReturnType<typeof captureLog>;
let assetId: string;
let investor: string;

before(async () => {
  db = await TestDatabase.start();
  const url = new URL(await db.createDatabase());
  cutter = await startCommitCutter({ host: db.server.host, port: db.server.port });
  // The service reaches PostgreSQL through the proxy only.
  url.port = String(cutter.port);
  log = captureLog();
  svc = await startService(url.toString(), {}, {}, log.stream);
  const seeded = await seedLedger(svc.admin, { investors: 1 });
  assetId = seeded.assetId;
  investor = seeded.investors[0]!;
});
after(async () => {
  await svc?.close();
  await cutter?.close();
  await db?.destroy();
});

const mint = (amount: string, key: string) =>
  svc.admin.post(`/api/v1/assets/${assetId}/mint`, { to: investor, amount }, { 'idempotency-key': key });

/** What the database holds for one idempotency key, and the investor's balance and the asset's supply. */
async function books(key: string) {
  const entries = await svc.sql<{ id: string; xmin: string }>(
    'SELECT id, xmin::text FROM journal WHERE idempotency_key = $1',
    [key],
  );
  const [balance] = await svc.sql('SELECT amount::text FROM balances WHERE investor_id = $1', [investor]);
  const [asset] = await svc.sql('SELECT total_supply::text AS supply FROM assets WHERE id = $1', [assetId]);
  return { entries, balance: balance?.amount as string | undefined, supply: asset.supply as string };
}

const atCommit = () => log.lines().filter((line) => line.msg === AT_COMMIT);

describe('a session that ends at COMMIT', () => {
  test('the answer lost after the server committed: the write is answered once, not run again', async () => {
    const first = await mint('100', idempotencyKey());
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(cutter.cuts, 0, 'nothing cut while disarmed');

    const key = idempotencyKey();
    cutter.arm();
    const reply = await mint('7', key);
    assert.equal(cutter.cuts, 1, 'the proxy lost the answer to exactly one COMMIT');
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.amount, '7');
    assert.equal(reply.headers.get('idempotent-replayed'), 'false', 'the write itself, not a replay');

    const { entries, balance, supply } = await books(key);
    assert.equal(entries.length, 1, 'one journal entry for the key');
    assert.equal(entries[0]!.id, reply.body.id, 'the answer is the entry that was committed');
    assert.deepEqual([balance, supply], ['107', '107'], 'applied once');
    // The warning names the transaction whose answer was lost: the one that wrote the entry (a new
    // database's transaction ids have epoch 0, so the 64-bit id equals the row's 32-bit xmin).
    assert.deepEqual(
      atCommit().map(({ transaction, status }) => ({ transaction, status })),
      [{ transaction: entries[0]!.xmin, status: 'committed' }],
    );
    assert.equal(atCommit()[0]!.level, 40, 'a warning');

    // A retry of the same request is a replay of that entry, not a second write.
    const again = await mint('7', key);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.id, reply.body.id);
    assert.equal((await books(key)).entries.length, 1);
  });

  test('the session ended before the commit: the write runs once more and is applied once', async () => {
    // A constraint trigger deferred to COMMIT that ends its own session the first time only (a sequence's
    // nextval is not rolled back with the transaction): the server aborts that transaction.
    await svc.sql(`
      CREATE SEQUENCE kill_once;
      CREATE FUNCTION kill_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('kill_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER kill_once AFTER INSERT ON journal
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kill_once();
    `);
    try {
      const before = await books('');
      const [logged, cuts] = [atCommit().length, cutter.cuts];
      const key = idempotencyKey();
      const reply = await mint('5', key);
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const [{ runs }] = await svc.sql('SELECT last_value AS runs FROM kill_once');
      assert.equal(Number(runs), 2, 'the trigger ran twice: the aborted attempt and the one rerun');

      const { entries, balance, supply } = await books(key);
      assert.equal(entries.length, 1, 'one journal entry for the key');
      assert.equal(entries[0]!.id, reply.body.id);
      const plus5 = (value: string | undefined) => String(BigInt(value ?? '0') + 5n);
      assert.deepEqual([balance, supply], [plus5(before.balance), plus5(before.supply)], 'applied once');
      assert.deepEqual(
        atCommit()
          .slice(logged)
          .map(({ status }) => status),
        ['aborted'],
      );
      assert.equal(cutter.cuts, cuts, 'no COMMIT answer was cut this time');
    } finally {
      await svc.sql(`
        DROP TRIGGER kill_once ON journal;
        DROP FUNCTION kill_once();
        DROP SEQUENCE kill_once;
      `);
    }
  });
});
