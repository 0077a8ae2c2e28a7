import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from '../../src/adapters/postgres/database.ts';
import { isUniqueViolation } from '../../src/adapters/postgres/sqlstate.ts';
import { ApiError, errors } from '../../src/errors.ts';
import { TestDatabase } from '../support/helpers.ts';

// The database adapter is where PostgreSQL's errors become the API's: a real server, real failures.

let server: TestDatabase;
let url: string;
before(async () => {
  server = await TestDatabase.start();
  url = await server.createDatabase();
});
after(() => server?.destroy());

test('a statement past statement_timeout is the catalog’s database_timeout, with PostgreSQL’s error as cause', async () => {
  const db = new Database({ connectionString: url, max: 1, statement_timeout: 100 });
  try {
    for (const run of [
      () => db.query('SELECT pg_sleep(2)'),
      () => db.transaction((tx) => tx.query('SELECT pg_sleep(2)')),
    ]) {
      await assert.rejects(run(), (error: unknown) => {
        assert.ok(errors.databaseTimeout.is(error), String(error));
        assert.equal((error as ApiError).status, 503);
        assert.equal(((error as ApiError).cause as { code?: string }).code, '57014');
        return true;
      });
    }
    // The connection stays usable: a timeout is not a lost connection.
    assert.equal((await db.query('SELECT 1 AS one')).rows[0]?.one, 1);
  } finally {
    await db.close();
  }
});

test('a server that is not there is database_unavailable; a query that is wrong stays PostgreSQL’s error', async () => {
  const gone = new URL(url);
  gone.port = '1';
  const unreachable = new Database({
    connectionString: gone.toString(),
    max: 1,
    connectionTimeoutMillis: 2000,
  });
  try {
    await assert.rejects(unreachable.query('SELECT 1'), (error: unknown) =>
      errors.databaseUnavailable.is(error),
    );
  } finally {
    await unreachable.close();
  }
  const db = new Database({ connectionString: url, max: 1 });
  try {
    await db.query('CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1)');
    await assert.rejects(db.query('INSERT INTO t VALUES (1)'), (error: unknown) => {
      assert.ok(!(error instanceof ApiError), 'not translated: the caller decides what a duplicate means');
      assert.ok(isUniqueViolation(error, 't_pkey') && !isUniqueViolation(error, 'other_pkey'));
      return true;
    });
  } finally {
    await db.close();
  }
});

test('a data exception (malformed value, a NUL in text) is the catalog’s invalid_data, a 400', async () => {
  const db = new Database({ connectionString: url, max: 1 });
  try {
    for (const [text, values] of [
      ['SELECT $1::uuid AS id', ['urn:uuid:not-even-one']],
      ['SELECT $1::text AS t', ['nul\u0000byte']],
      ['SELECT $1::int AS n', ['99999999999']],
    ] as const) {
      await assert.rejects(db.query(text, [...values]), (error: unknown) => {
        assert.ok(errors.invalidData.is(error), String(error));
        assert.equal((error as ApiError).status, 400);
        return true;
      });
    }
  } finally {
    await db.close();
  }
});

test('a transaction that keeps losing races (deadlock, serialization failure) is tried 5 times, then the catalog’s write_conflict, a 503', async () => {
  const db = new Database({ connectionString: url, max: 1 });
  try {
    for (const sqlstate of ['40P01', '40001']) {
      let runs = 0;
      await assert.rejects(
        db.transaction(async (tx) => {
          runs++;
          // PostgreSQL itself raises the SQLSTATE a lost race raises, inside the transaction.
          await tx.query(`DO $$ BEGIN RAISE EXCEPTION 'lost the race' USING ERRCODE = '${sqlstate}'; END $$`);
        }),
        (error: unknown) => {
          assert.ok(errors.writeConflict.is(error), String(error));
          assert.equal((error as ApiError).status, 503);
          assert.equal((error as ApiError).headers['retry-after'], '2');
          assert.equal(((error as ApiError).cause as { code?: string }).code, sqlstate);
          return true;
        },
      );
      assert.equal(runs, 5, `${sqlstate}: the work ran once and again four times`);
    }
    // A race lost once is won on the next attempt, and the caller never hears of it.
    let runs = 0;
    const won = await db.transaction(async (tx) => {
      runs++;
      if (runs === 1) await tx.query(`DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '40P01'; END $$`);
      return (await tx.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one;
    });
    assert.deepEqual([won, runs], [1, 2]);
  } finally {
    await db.close();
  }
});
