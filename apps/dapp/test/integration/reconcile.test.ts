import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type S3Server, startS3 } from '@dalp/lab';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { dalp as dalpInProcess } from '../../../../packages/cli/test/support/run-cli.ts';
import { type Discrepancy, type ReconcileReport, reportText } from '../../src/use-cases/reconcile.ts';
import { assertErrorShape } from '../support/error-shape.ts';
import {
  idempotencyKey,
  MAIN,
  postTransfer,
  s3Env,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
  tempDir,
} from '../support/helpers.ts';

// `reconcile` (docs/reconcile.md) against real PostgreSQL and a real S3-compatible store (s3rver): a book
// built through the API reconciles; then each invariant is broken on purpose, with SQL or in the store, and
// `dapp reconcile` (a process, text and --json), the API and `dalp reconcile --url` (a process) must name
// exactly that discrepancy and exit 1; repaired, the book reconciles again.

const DALP = fileURLToPath(new URL('../../../../packages/cli/bin/dalp.js', import.meta.url));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let db: TestDatabase;
let s3: S3Server;
let svc: TestService;
let env: Record<string, string>;
let assetId: string;
let other: string;
let investors: string[];
let adminId: string;
const docs: Array<{ id: string; objectKey: string; bytes: Buffer }> = [];
let deletedKey: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], extraEnv: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', command, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dapp = (args: string[], extra: Record<string, string> = {}) =>
  run(MAIN, ['reconcile', ...args], { ...env, LOG_LEVEL: 'warn', ...extra });
const dalp = (args: string[], extra: Record<string, string> = {}) => run(DALP, ['reconcile', ...args], extra);

/** What a discrepancy says, without its sentence: compared exactly. */
const facts = (d: Discrepancy) => {
  const { message: _message, ...rest } = d;
  return rest;
};
const sorted = (list: Array<Omit<Discrepancy, 'message'>>) =>
  [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * Runs reconcile and checks it names exactly `expected`: through the API, and either as `dapp reconcile`
 * processes in text and JSON with exit 1 (0 when nothing is expected), or (`processes: false`) through
 * the same shared check and text rendering in this process. A process costs seconds of start-up on a
 * loaded machine, so the exit codes and the wiring are proven on a consistent and a broken book, and
 * every other corruption is judged in-process.
 */
async function expectReport(
  expected: Array<Omit<Discrepancy, 'message'>>,
  { processes = false } = {},
): Promise<ReconcileReport> {
  const code = expected.length === 0 ? 0 : 1;
  let report: ReconcileReport;
  let text: Run;
  const api = svc.admin.get('/api/v1/reconcile');
  if (processes) {
    const [json, textRun] = await Promise.all([dapp(['--json']), dapp([])]);
    assert.equal(json.code, code, `dapp reconcile --json: ${json.stderr}`);
    assert.equal(textRun.code, code, `dapp reconcile: ${textRun.stderr}`);
    report = JSON.parse(json.stdout) as ReconcileReport;
    text = textRun;
  } else {
    report = await svc.runtime.useCases.reconcile.run();
    text = { code, stdout: reportText(report), stderr: '' };
  }
  assert.deepEqual(sorted(report.discrepancies.map(facts)), sorted(expected));
  assert.equal(report.reconciled, expected.length === 0);
  const answer = await api;
  assert.equal(answer.status, 200);
  assert.deepEqual(sorted((answer.body as ReconcileReport).discrepancies.map(facts)), sorted(expected));
  // Text: the verdict, then one line per discrepancy naming its kind and every id and value it carries.
  const lines = text.stdout.split('\n');
  assert.equal(
    lines[0],
    expected.length === 0
      ? 'reconciled: the books add up'
      : `NOT reconciled: ${expected.length} discrepanc${expected.length === 1 ? 'y' : 'ies'}`,
  );
  for (const d of expected) {
    const values = Object.entries(d)
      .filter(([k, v]) => k !== 'kind' && typeof v === 'string')
      .map(([, v]) => v as string);
    assert.ok(
      lines.some((l) => l.startsWith(`  ${d.kind}: `) && values.every((v) => l.includes(v))),
      `no text line names ${JSON.stringify(d)}:\n${text.stdout}`,
    );
  }
  assert.equal(lines.filter((l) => /^ {2}[a-z0-9_]+: /.test(l)).length, expected.length, text.stdout);
  return report;
}

/** Breaks the books with `corrupt`, expects exactly `expected`, and repairs them whatever happened. */
async function corrupted(
  corrupt: () => Promise<unknown>,
  expected: Array<Omit<Discrepancy, 'message'>>,
  repair: () => Promise<unknown>,
  options: { processes?: boolean } = {},
): Promise<void> {
  await corrupt();
  try {
    await expectReport(expected, options);
  } finally {
    await repair();
  }
}

async function balanceOf(asset: string, investor: string): Promise<string> {
  const [row] = await svc.sql('SELECT amount::text FROM balances WHERE asset_id = $1 AND investor_id = $2', [
    asset,
    investor,
  ]);
  return row.amount;
}
async function supplyOf(asset: string): Promise<string> {
  return (await svc.sql('SELECT total_supply::text AS s FROM assets WHERE id = $1', [asset]))[0].s;
}
const store = () => svc.runtime.objectStore.unobserved;
const putObject = (key: string, bytes: Buffer) =>
  store().put(key, Readable.from([bytes]), 'application/octet-stream');

before(async () => {
  db = await TestDatabase.start();
  s3 = await startS3({ bucket: 'reconcile' });
  const databaseUrl = await db.createDatabase();
  env = {
    DATABASE_URL: databaseUrl,
    ...s3Env(s3, 'tenant-a'),
  };
  svc = await startService(databaseUrl, env);
  adminId = (await svc.sql('SELECT id FROM api_keys LIMIT 1'))[0].id;

  // A book built through the API: mints, transfers (batched), a burn, a redemption, a refused transfer,
  // a replayed request, documents, and a deleted document (its object pending purge).
  ({ assetId, investors } = await seedLedger(svc.admin, { investors: 3 }));
  other = (await seedLedger(svc.admin, { investors: 0 })).assetId;
  const write = async (path: string, body: object, key = idempotencyKey()) => {
    const reply = await svc.admin.post(`/api/v1/assets/${assetId}/${path}`, body, { 'idempotency-key': key });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply;
  };
  await write('mint', { to: investors[0], amount: '1000' });
  const replayed = idempotencyKey();
  await write('mint', { to: investors[1], amount: '500' }, replayed);
  await write('mint', { to: investors[1], amount: '500' }, replayed);
  for (let i = 0; i < 5; i++) {
    const t = await postTransfer(svc.admin, assetId, investors[0]!, investors[2]!, String(10 + i));
    assert.equal(t.status, 201);
  }
  const refused = await postTransfer(svc.admin, assetId, investors[2]!, investors[0]!, '999999');
  assert.equal(refused.status, 422);
  await write('burn', { from: investors[1], amount: '20' });
  await write('redeem', { from: investors[2], amount: '5' });
  for (const size of [1, 2000, 70_000]) {
    const bytes = randomBytes(size);
    const created = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=d${size}.bin`, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(created.status, 201);
    docs.push({ id: created.body.id, objectKey: `documents/${assetId}/${created.body.id}`, bytes });
  }
  const gone = await svc.admin.request('POST', `/api/v1/assets/${other}/documents?name=gone.txt`, {
    body: 'deleted later',
    headers: { 'content-type': 'text/plain' },
  });
  deletedKey = `documents/${other}/${gone.body.id}`;
  assert.equal(
    (await svc.admin.request('DELETE', `/api/v1/assets/${other}/documents/${gone.body.id}`)).status,
    204,
  );
});

after(async () => {
  await svc?.close();
  await s3?.destroy();
  await db?.destroy();
});

describe('reconcile', () => {
  test('a consistent book reconciles: exit 0, every count, the deleted document pending purge', async () => {
    const report = await expectReport([], { processes: true });
    assert.deepEqual(report.checked, {
      assets: 2,
      // mint, replayed mint (one record), 5 transfers, burn, redeem; the refused transfer left none.
      idempotencyRecords: 9,
      documents: 3,
      objects: 4,
    });
    assert.equal(report.pendingPurgeCount, 1);
    assert.equal(report.pendingPurge[0]!.objectKey, deletedKey);
    assert.equal(report.truncated, false);
  });

  test('a changed balance: the supply no longer equals the balances, and the holder not its journal', async () => {
    const supply = await supplyOf(assetId);
    const balance = await balanceOf(assetId, investors[0]!);
    const move = (by: number) =>
      svc.sql('UPDATE balances SET amount = amount + $3 WHERE asset_id = $1 AND investor_id = $2', [
        assetId,
        investors[0],
        by,
      ]);
    await corrupted(
      () => move(5),
      [
        { kind: 'supply_balances_mismatch', assetId, expected: supply, actual: String(BigInt(supply) + 5n) },
        {
          kind: 'balance_journal_mismatch',
          assetId,
          investorId: investors[0],
          expected: balance,
          actual: String(BigInt(balance) + 5n),
        },
      ],
      () => move(-5),
      { processes: true },
    );
    await expectReport([]);
  });

  test('a changed supply: it equals neither the balances nor the journal', async () => {
    const supply = await supplyOf(assetId);
    const changed = String(BigInt(supply) + 7n);
    const move = (by: number) =>
      svc.sql('UPDATE assets SET total_supply = total_supply + $2 WHERE id = $1', [assetId, by]);
    await corrupted(
      () => move(7),
      [
        { kind: 'supply_balances_mismatch', assetId, expected: changed, actual: supply },
        { kind: 'supply_journal_mismatch', assetId, expected: supply, actual: changed },
      ],
      () => move(-7),
    );
  });

  test('an altered journal amount: the journal no longer adds up to the supply nor to the holder', async () => {
    const [mint] = await svc.sql(
      "SELECT id, to_investor FROM journal WHERE asset_id = $1 AND kind = 'mint' ORDER BY seq LIMIT 1",
      [assetId],
    );
    const supply = await supplyOf(assetId);
    const balance = await balanceOf(assetId, mint.to_investor);
    const alter = (by: number) =>
      svc.sql('UPDATE journal SET amount = amount + $2 WHERE id = $1', [mint.id, by]);
    await corrupted(
      () => alter(3),
      [
        { kind: 'supply_journal_mismatch', assetId, expected: String(BigInt(supply) + 3n), actual: supply },
        {
          kind: 'balance_journal_mismatch',
          assetId,
          investorId: mint.to_investor,
          expected: String(BigInt(balance) + 3n),
          actual: balance,
        },
      ],
      () => alter(-3),
    );
  });

  test('a deleted journal row: both holders of the transfer, and the idempotency record that named it', async () => {
    const [entry] = await svc.sql(
      "SELECT id, from_investor, to_investor, amount::text, idempotency_key FROM journal WHERE asset_id = $1 AND kind = 'transfer' ORDER BY seq LIMIT 1",
      [assetId],
    );
    const from = await balanceOf(assetId, entry.from_investor);
    const to = await balanceOf(assetId, entry.to_investor);
    const amount = BigInt(entry.amount);
    await corrupted(
      async () => {
        await svc.sql('CREATE TABLE saved_entry AS SELECT * FROM journal WHERE id = $1', [entry.id]);
        await svc.sql('DELETE FROM journal WHERE id = $1', [entry.id]);
      },
      [
        {
          kind: 'balance_journal_mismatch',
          assetId,
          investorId: entry.from_investor,
          expected: String(BigInt(from) + amount),
          actual: from,
        },
        {
          kind: 'balance_journal_mismatch',
          assetId,
          investorId: entry.to_investor,
          expected: String(BigInt(to) - amount),
          actual: to,
        },
        {
          kind: 'idempotency_entry_missing',
          principalId: adminId,
          idempotencyKey: entry.idempotency_key,
          journalId: entry.id,
          expected: entry.id,
        },
      ],
      async () => {
        await svc.sql('INSERT INTO journal SELECT * FROM saved_entry');
        await svc.sql('DROP TABLE saved_entry');
      },
    );
  });

  test('an idempotency record pointing at a missing entry, then at the entry of another key', async () => {
    const [a, b] = await svc.sql(
      'SELECT k.key, k.journal_id FROM idempotency_keys k JOIN journal j ON j.id = k.journal_id WHERE j.asset_id = $1 ORDER BY j.seq LIMIT 2',
      [assetId],
    );
    const point = (journalId: string) =>
      svc.sql('UPDATE idempotency_keys SET journal_id = $1 WHERE key = $2', [journalId, a.key]);
    const missing = uuidv7();
    await corrupted(
      () => point(missing),
      [
        {
          kind: 'idempotency_entry_missing',
          principalId: adminId,
          idempotencyKey: a.key,
          journalId: missing,
          expected: missing,
        },
      ],
      () => point(a.journal_id),
    );
    await corrupted(
      () => point(b.journal_id),
      [
        {
          kind: 'idempotency_entry_mismatch',
          principalId: adminId,
          idempotencyKey: a.key,
          journalId: b.journal_id,
          expected: `${adminId}/${a.key}`,
          actual: `${adminId}/${b.key}`,
        },
      ],
      () => point(a.journal_id),
    );
  });

  test('a deleted object: its document row names it missing', async () => {
    const doc = docs[1]!;
    await corrupted(
      () => store().delete(doc.objectKey),
      [
        {
          kind: 'document_object_missing',
          assetId,
          documentId: doc.id,
          objectKey: doc.objectKey,
          expected: sha256(doc.bytes),
        },
      ],
      () => putObject(doc.objectKey, doc.bytes),
    );
  });

  test('an object overwritten with other bytes of the same size: its SHA-256 differs', async () => {
    const doc = docs[2]!;
    const forged = randomBytes(doc.bytes.length);
    await corrupted(
      () => putObject(doc.objectKey, forged),
      [
        {
          kind: 'document_sha256_mismatch',
          assetId,
          documentId: doc.id,
          objectKey: doc.objectKey,
          expected: sha256(doc.bytes),
          actual: sha256(forged),
        },
      ],
      () => putObject(doc.objectKey, doc.bytes),
    );
  });

  test('a truncated object: its size differs', async () => {
    const doc = docs[2]!;
    await corrupted(
      () => putObject(doc.objectKey, doc.bytes.subarray(0, 1000)),
      [
        {
          kind: 'document_size_mismatch',
          assetId,
          documentId: doc.id,
          objectKey: doc.objectKey,
          expected: String(doc.bytes.length),
          actual: '1000',
        },
      ],
      () => putObject(doc.objectKey, doc.bytes),
    );
  });

  test('an object with no row and not queued for purging: an orphan; repaired, the books reconcile', async () => {
    const key = `documents/${assetId}/${uuidv7()}`;
    await corrupted(
      () => putObject(key, Buffer.from('stray')),
      [{ kind: 'orphan_object', objectKey: key, actual: '5' }],
      () => store().delete(key),
    );
    await expectReport([]);
  });
});

describe('the API and dalp reconcile --url', () => {
  test('GET /api/v1/reconcile is for admin keys only: another role gets 403 with the error body', async () => {
    for (const role of ['issuer', 'compliance', 'viewer']) {
      const key = (await svc.admin.post('/api/v1/api-keys', { name: `reconcile ${role}`, role })).body.key;
      const refused = await svc.admin.as(key).get('/api/v1/reconcile');
      assertErrorShape(refused, 403, 'forbidden');
    }
    assert.equal((await svc.anonymous.get('/api/v1/reconcile')).status, 401);
  });

  test('one run at a time per replica: a second call while one runs gets 429 reconcile_running with Retry-After; the guard is released when the run ends, whether it succeeded or failed', async () => {
    // Another session holds a table the first run reads: the run waits on it, so it is still running when
    // the second call comes, however fast the machine.
    const holder = new pg.Client({ connectionString: env.DATABASE_URL });
    await holder.connect();
    const hold = async () => {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE assets IN ACCESS EXCLUSIVE MODE');
    };
    /** The pid of the service's statement waiting for the lock, once it waits (bounded: a run that never
     * started must fail the test, not hang it). */
    const blocked = async () => {
      for (let i = 0; i < 3000; i++) {
        const rows = await svc.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%FROM assets a%' AND pid <> $1`,
          [(holder as unknown as { processID: number }).processID],
        );
        if (rows[0]) return rows[0].pid;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no reconcile run waits for the lock');
    };
    try {
      // A run that fails (its statement canceled: 503) releases the guard too.
      await hold();
      const failing = svc.admin.get('/api/v1/reconcile');
      const pid = await blocked();
      const refused = await svc.admin.get('/api/v1/reconcile');
      assertErrorShape(refused, 429, 'reconcile_running');
      assert.equal(refused.headers.get('retry-after'), '10');
      await svc.sql('SELECT pg_cancel_backend($1)', [pid]);
      assertErrorShape(await failing, 503, 'database_timeout');
      await holder.query('ROLLBACK');

      await hold();
      const first = svc.admin.get('/api/v1/reconcile');
      await blocked();
      const second = await svc.admin.get('/api/v1/reconcile');
      assertErrorShape(second, 429, 'reconcile_running');
      assert.equal(second.headers.get('retry-after'), '10');
      // `dalp reconcile --url` says what the 429 means and when to try again, on one line, exit 2.
      const cli = await dalp(['--url', svc.url], { DALP_API_KEY: svc.adminKey });
      assert.equal(cli.code, 2, cli.stderr);
      assert.match(
        cli.stderr.trim(),
        /^dalp: \S+ answered 429 \(a reconcile already runs on that replica: try again in 10 s\): reconcile_running: /,
      );
      await holder.query('ROLLBACK');
      const done = await first;
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.reconciled, true);
      const third = await svc.admin.get('/api/v1/reconcile');
      assert.equal(third.status, 200, JSON.stringify(third.body));
      assert.equal(third.body.reconciled, true);
      // The route's OpenAPI description says so, with the header.
      const openapi = await svc.anonymous.get('/openapi.json');
      const busy = openapi.body.paths['/api/v1/reconcile'].get.responses['429'];
      assert.match(busy.description, /reconcile_running/);
      assert.deepEqual(Object.keys(busy.headers), ['retry-after']);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });

  test('dalp reconcile --url: exit 0 on a consistent book, 1 naming the discrepancy, in text and JSON', async () => {
    const ok = await dalp(['--url', svc.url], { DALP_API_KEY: svc.adminKey });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^reconciled: the books add up\n/);
    assert.match(ok.stdout, /1 object\(s\) of deleted documents pending purge/);

    const key = `documents/${assetId}/${uuidv7()}`;
    await putObject(key, Buffer.from('stray!'));
    try {
      const dir = tempDir('reconcile-key');
      after(() => dir.remove());
      const keyFile = join(dir.path, 'admin-key');
      writeFileSync(keyFile, `${svc.adminKey}\n`, { mode: 0o600 });
      // One after the other: a second run while one runs is refused (429 reconcile_running).
      const text = await dalp(['--url', `${svc.url}/`, '--api-key-file', keyFile]);
      const json = await dalp(['--url', svc.url, '--json'], { DALP_API_KEY: svc.adminKey });
      assert.equal(text.code, 1, text.stderr);
      assert.match(text.stdout, /^NOT reconciled: 1 discrepancy\n/);
      assert.ok(
        text.stdout.includes(`  orphan_object: object ${key} (6 bytes) has no document row`),
        text.stdout,
      );
      assert.equal(json.code, 1, json.stderr);
      const report = JSON.parse(json.stdout) as ReconcileReport;
      assert.deepEqual(report.discrepancies.map(facts), [
        { kind: 'orphan_object', objectKey: key, actual: '6' },
      ]);
      for (const r of [ok, text, json]) assert.ok(!`${r.stdout}${r.stderr}`.includes(svc.adminKey));
    } finally {
      await store().delete(key);
    }
  });

  test('bad usage: no URL, no key, a wrong key, a non-admin key, nothing listening: a clear message, exit 2, no key shown', async () => {
    const wrong = `wrong-${randomBytes(16).toString('hex')}`;
    const viewer = (await svc.admin.post('/api/v1/api-keys', { name: 'cli viewer', role: 'viewer' })).body
      .key;
    const cases: Array<[string, string[], Record<string, string>, RegExp, string?]> = [
      ['no URL', [], { DALP_API_KEY: svc.adminKey }, /reconcile needs --url <url>/, svc.adminKey],
      ['no key', ['--url', svc.url], {}, /needs an admin API key: DALP_API_KEY or --api-key-file/],
      [
        'a wrong key',
        ['--url', svc.url],
        { DALP_API_KEY: wrong },
        /answered 401 \(the API key was not accepted\)/,
        wrong,
      ],
      [
        'a viewer key',
        ['--url', svc.url],
        { DALP_API_KEY: viewer },
        /answered 403 \(an admin key is needed\)/,
        viewer,
      ],
      [
        'nothing listening',
        ['--url', 'http://127.0.0.1:9'],
        { DALP_API_KEY: svc.adminKey },
        /cannot reach http:\/\/127\.0\.0\.1:9/,
        svc.adminKey,
      ],
    ];
    await Promise.all(
      cases.map(async ([what, args, extra, message, secret]) => {
        const result = await dalp(args, extra);
        assert.equal(result.code, 2, `${what}: ${result.stdout}${result.stderr}`);
        assert.equal(result.stdout, '', what);
        assert.match(result.stderr, message, what);
        assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, `${what}: one line`);
        if (secret) assert.ok(!result.stderr.includes(secret), `${what}: the key is not shown`);
      }),
    );
  });

  test('bad flags, checked in-process (the same code path as the bin): exit 2, one line, no key shown', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--url', svc.url, '--api-key-file', '/nonexistent/key'], {}, /--api-key-file: no such file/],
      [['--url', 'not a url'], { DALP_API_KEY: svc.adminKey }, /--url: not a URL/],
      [
        ['--url', 'ftp://example.org'],
        { DALP_API_KEY: svc.adminKey },
        /--url must be http:\/\/ or https:\/\//,
      ],
      [
        ['--url', svc.url, '--timeout', '0'],
        { DALP_API_KEY: svc.adminKey },
        /--timeout must be a number above 0/,
      ],
    ];
    const saved = process.env.DALP_API_KEY;
    try {
      for (const [args, extra, message] of cases) {
        if (extra.DALP_API_KEY) process.env.DALP_API_KEY = extra.DALP_API_KEY;
        else delete process.env.DALP_API_KEY;
        const result = await dalpInProcess(['reconcile', ...args]);
        assert.equal(result.code, 2, args.join(' '));
        assert.equal(result.stdout, '');
        assert.match(result.stderr, message);
        assert.ok(!result.stderr.includes(svc.adminKey));
      }
    } finally {
      if (saved === undefined) delete process.env.DALP_API_KEY;
      else process.env.DALP_API_KEY = saved;
    }
  });

  test('dapp reconcile: bad usage exits 2, an unreachable database 3, never with a secret in the output', async () => {
    const unknown = await dapp(['--yaml']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /dapp: .*--yaml.*usage: dapp/);
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const down = await dapp([], {
      DATABASE_URL: `postgres://dalp:${password}@127.0.0.1:9/dalp`,
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /dapp: reconcile could not run: /);
    assert.equal(down.stdout, '');
    assert.ok(!`${down.stdout}${down.stderr}`.includes(password));
  });
});
