import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { pgArray } from '../../src/adapters/postgres/array-literal.ts';
import { TestDatabase } from '../support/helpers.ts';

let db: TestDatabase;
let client: pg.Client;
before(async () => {
  db = await TestDatabase.start();
  client = new pg.Client({ connectionString: await db.createDatabase() });
  await client.connect();
});
after(async () => {
  await client?.end();
  await db?.destroy();
});

test('text elements come back from PostgreSQL exactly as sent, whatever they contain', async () => {
  const values = [
    'plain',
    '',
    'NULL',
    'with space',
    'comma,inside',
    '{braces}',
    'quote"inside',
    'back\\slash',
    '\\"both\\"',
    'new\nline',
    'ünïcødé 😀',
  ];
  const { rows } = await client.query('SELECT $1::text[] AS a', [pgArray(values)]);
  assert.deepEqual(rows[0].a, values);
});

test('null and undefined are SQL NULL elements; numbers, bigints and uuids keep their values', async () => {
  const { rows } = await client.query(
    'SELECT $1::text[] AS t, $2::numeric[]::text[] AS n, $3::uuid[]::text[] AS u, $4::text[] AS e',
    [
      pgArray(['a', null, undefined, 'b']),
      pgArray([10n ** 30n, 0, -5n]),
      pgArray(['0f8fad5b-d9cb-469f-a165-70867728950e']),
      pgArray([]),
    ],
  );
  assert.deepEqual(rows[0].t, ['a', null, null, 'b']);
  assert.deepEqual(rows[0].n, ['1000000000000000000000000000000', '0', '-5']);
  assert.deepEqual(rows[0].u, ['0f8fad5b-d9cb-469f-a165-70867728950e']);
  assert.deepEqual(rows[0].e, []);
});
