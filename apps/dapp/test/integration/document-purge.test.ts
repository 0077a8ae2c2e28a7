import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { FilesystemObjectStore } from '../../src/adapters/object-store/filesystem.ts';
import { Database } from '../../src/adapters/postgres/database.ts';
import { loadConfig } from '../../src/config.ts';
import { createRuntime } from '../../src/runtime.ts';
import { PURGE_LOCK_KEY, PurgeQueueStore } from '../../src/store/purge-queue.ts';
import { DocumentPurge } from '../../src/use-cases/purge-documents.ts';
import {
  Client,
  captureLog,
  seedLedger,
  spawnService,
  startService,
  TestDatabase,
  type TestService,
  tempDir,
  waitUntil,
} from '../support/helpers.ts';

// The deferred deletion of document bytes (docs/reconcile.md) on the embedded default store (a directory)
// and real PostgreSQL: a deleted document's bytes stay, queued, until the purge finds them older than the
// retention; one purger at a time; a row restored before the purge finds its bytes.

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const quiet = { warn: () => undefined };

let db: TestDatabase;
let databaseUrl: string;
let svc: TestService;
let assetId: string;

before(async () => {
  db = await TestDatabase.start();
  databaseUrl = await db.createDatabase();
  svc = await startService(databaseUrl);
  assetId = (await seedLedger(svc.admin, { investors: 0 })).assetId;
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

const purger = (hours: number) =>
  new DocumentPurge(new PurgeQueueStore(svc.runtime.db), svc.runtime.objectStore.unobserved, hours);

async function uploadAndDelete(bytes: Buffer): Promise<{ id: string; objectKey: string; row: any }> {
  const created = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=p.bin`, {
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(created.status, 201);
  const [row] = await svc.sql('SELECT * FROM documents WHERE id = $1', [created.body.id]);
  const deleted = await svc.admin.request('DELETE', `/api/v1/assets/${assetId}/documents/${created.body.id}`);
  assert.equal(deleted.status, 204);
  return { id: created.body.id, objectKey: row.object_key, row };
}

async function storedSha(objectKey: string): Promise<string | undefined> {
  const object = await svc.runtime.objectStore.unobserved.get(objectKey);
  if (!object) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of object.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const queued = async () =>
  (await svc.sql('SELECT object_key FROM object_purge_queue ORDER BY object_key')).map((r) => r.object_key);

test('a deleted document: gone for clients, its bytes still in the store and queued, kept until the retention has passed', async () => {
  const bytes = randomBytes(3000);
  const doc = await uploadAndDelete(bytes);
  assert.equal((await svc.admin.get(`/api/v1/assets/${assetId}/documents/${doc.id}`)).status, 404);
  assert.equal(await storedSha(doc.objectKey), sha256(bytes));
  assert.deepEqual(await queued(), [doc.objectKey]);

  // Queued an hour ago, a retention of two hours keeps it; of one hour, purges it.
  await svc.sql("UPDATE object_purge_queue SET queued_at = now() - interval '61 minutes'");
  assert.deepEqual(await purger(2).run(quiet), { ran: true, purged: 0, failed: 0, keptReferenced: 0 });
  assert.equal(await storedSha(doc.objectKey), sha256(bytes));
  assert.deepEqual(await purger(1).run(quiet), { ran: true, purged: 1, failed: 0, keptReferenced: 0 });
  assert.equal(await storedSha(doc.objectKey), undefined);
  assert.deepEqual(await queued(), []);
});

test('retention 0 purges at once; more than one batch (100) of keys is purged in one run', async () => {
  const docs = [];
  for (let i = 0; i < 130; i++) docs.push(await uploadAndDelete(randomBytes(10)));
  assert.equal((await queued()).length, 130);
  assert.deepEqual(await purger(0).run(quiet), { ran: true, purged: 130, failed: 0, keptReferenced: 0 });
  for (const doc of docs.slice(0, 5)) assert.equal(await storedSha(doc.objectKey), undefined);
  assert.deepEqual(await queued(), []);
});

test('one purger at a time: while another holds the lock a run does nothing; concurrent runs purge each key once, without errors', async () => {
  const doc = await uploadAndDelete(randomBytes(10));
  // Another replica mid-purge: it holds the advisory lock in its transaction.
  const holder = await svc.runtime.db.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock($1)', [PURGE_LOCK_KEY]);
    assert.deepEqual(await purger(0).run(quiet), { ran: false, purged: 0, failed: 0, keptReferenced: 0 });
    assert.ok(await storedSha(doc.objectKey), 'not purged while another purger holds the lock');
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }

  for (let i = 0; i < 40; i++) await uploadAndDelete(randomBytes(10));
  const warnings: unknown[] = [];
  const log = { warn: (details: object) => warnings.push(details) };
  const results = await Promise.all([purger(0).run(log), purger(0).run(log), purger(0).run(log)]);
  assert.equal(
    results.reduce((sum, r) => sum + r.purged, 0),
    41,
    JSON.stringify(results),
  );
  assert.ok(results.every((r) => r.failed === 0));
  assert.deepEqual(warnings, []);
  assert.deepEqual(await queued(), []);
});

test('a restored row (re-inserted while its key is still queued) finds its bytes, and the purge keeps them', async () => {
  const bytes = randomBytes(5000);
  const doc = await uploadAndDelete(bytes);
  // What a point-in-time restore to before the deletion gives back: the row, referencing the same key.
  const r = doc.row;
  await svc.sql(
    'INSERT INTO documents (id, asset_id, name, content_type, size, sha256, object_key, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [r.id, r.asset_id, r.name, r.content_type, r.size, r.sha256, r.object_key, r.created_by, r.created_at],
  );
  const response = await fetch(`${svc.url}/api/v1/assets/${assetId}/documents/${doc.id}/content`, {
    headers: { authorization: `Bearer ${svc.adminKey}` },
  });
  assert.equal(response.status, 200);
  assert.equal(sha256(new Uint8Array(await response.arrayBuffer())), sha256(bytes));
  const report = await svc.runtime.useCases.reconcile.run();
  assert.deepEqual(report.discrepancies, []);
  assert.equal(report.pendingPurgeCount, 0, 'a referenced key is not pending purge');

  assert.deepEqual(await purger(0).run(quiet), { ran: true, purged: 0, failed: 0, keptReferenced: 1 });
  assert.equal(await storedSha(doc.objectKey), sha256(bytes));
  assert.deepEqual(await queued(), []);
});

test('dapp purge-documents: the operator command purges what is due with the service configuration', async () => {
  const doc = await uploadAndDelete(randomBytes(10));
  const env = {
    DATABASE_URL: databaseUrl,
    DALP_DATA_DIR: svc.runtime.config.dataDir,
    LOG_LEVEL: 'warn',
  };
  const kept = await spawnService({ ...env }, ['purge-documents']);
  assert.equal(await kept.exited, 0, kept.output());
  assert.match(kept.output(), /purged 0 object\(s\) of documents deleted more than 168 h ago; 0 failed/);
  assert.ok(await storedSha(doc.objectKey));
  const purged = await spawnService({ ...env, DOCUMENT_PURGE_AFTER_HOURS: '0' }, ['purge-documents']);
  assert.equal(await purged.exited, 0, purged.output());
  assert.match(purged.output(), /purged 1 object\(s\) of documents deleted more than 0 h ago; 0 failed/);
  assert.equal(await storedSha(doc.objectKey), undefined);
  const bad = await spawnService({ ...env, DOCUMENT_PURGE_AFTER_HOURS: 'soon' }, ['purge-documents']);
  assert.equal(await bad.exited, 2);
  assert.match(bad.output(), /DOCUMENT_PURGE_AFTER_HOURS must be a whole number/);
});

test('a serving replica purges on its own every DOCUMENT_PURGE_INTERVAL_MS, and exits cleanly on SIGTERM', async () => {
  const url = await db.createDatabase();
  const dir = tempDir('purge-replica');
  const adminKey = `purge-replica-admin-${randomBytes(12).toString('hex')}`;
  const direct = new Database({ connectionString: url, max: 1 });
  const replica = await spawnService({
    DATABASE_URL: url,
    DALP_DATA_DIR: dir.path,
    DALP_BOOTSTRAP_ADMIN_KEY: adminKey,
    DOCUMENT_PURGE_INTERVAL_MS: '1000',
    DOCUMENT_PURGE_AFTER_HOURS: '0',
  });
  try {
    await waitUntil('the replica listening', () => replica.output().includes('Server listening'));
    const api = new Client(replica.url, adminKey);
    const asset = (await seedLedger(api, { investors: 0 })).assetId;
    const created = await api.request('POST', `/api/v1/assets/${asset}/documents?name=r.bin`, {
      body: randomBytes(100),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(created.status, 201);
    const deleted = await api.request('DELETE', `/api/v1/assets/${asset}/documents/${created.body.id}`);
    assert.equal(deleted.status, 204);
    const objectKey = `documents/${asset}/${created.body.id}`;
    const store = await FilesystemObjectStore.open(resolve(dir.path));
    const queuedKeys = async () =>
      (await direct.query('SELECT object_key FROM object_purge_queue')).rows.map((r) => r.object_key);
    // Nobody runs `dapp purge-documents` here: only the replica's own timer can delete the bytes.
    await waitUntil(
      'the replica purging the deleted document',
      async () => (await store.get(objectKey)) === undefined && (await queuedKeys()).length === 0,
    );
    assert.match(replica.output(), /deleted documents purged/);

    replica.child.kill('SIGTERM');
    assert.equal(await replica.exited, 0, replica.output());
    assert.doesNotMatch(replica.output(), /document purge failed/);
  } finally {
    replica.child.kill('SIGKILL');
    await direct.close();
    dir.remove();
  }
});

test('the purge timer stops with the runtime: nothing is purged after close', async () => {
  const url = await db.createDatabase();
  const dir = tempDir('purge-close');
  const config = loadConfig({
    DATABASE_URL: url,
    DALP_DATA_DIR: dir.path,
    DOCUMENT_PURGE_INTERVAL_MS: '1000',
    DOCUMENT_PURGE_AFTER_HOURS: '0',
  });
  const log = captureLog();
  const runtime = await createRuntime(config, pino({ level: 'info' }, log.stream));
  const direct = new Database({ connectionString: url, max: 1 });
  const store = await FilesystemObjectStore.open(resolve(dir.path));
  /** An object of a deleted document, as a deletion leaves it: its bytes, its key queued. */
  const queue = async (objectKey: string) => {
    await store.put(objectKey, Readable.from([randomBytes(10)]), 'application/octet-stream');
    await direct.query('INSERT INTO object_purge_queue (object_key) VALUES ($1)', [objectKey]);
  };
  const queued = async (objectKey: string) =>
    (await direct.query('SELECT 1 FROM object_purge_queue WHERE object_key = $1', [objectKey])).rows
      .length === 1;
  try {
    runtime.startBackgroundPurge();
    await queue('documents/before-close');
    await waitUntil(
      'the purge while running',
      async () => !(await queued('documents/before-close')) && !(await store.get('documents/before-close')),
    );
    await runtime.close();
    await queue('documents/after-close');
    // Three intervals and more: a timer still armed would have run by now, and found the pool closed
    // (its failure logged) or, were it not, purged the key. (A slow machine can only make this pass
    // wrongly, never fail it.)
    await sleep(3500);
    assert.ok(await queued('documents/after-close'), 'still queued');
    assert.ok(await store.get('documents/after-close'), 'its bytes still there');
    assert.deepEqual(
      log.lines().filter((line) => line.component === 'document-purge' && line.level >= 40),
      [],
      'no purge ran after close',
    );
    assert.ok(
      log.lines().some((line) => line.msg === 'deleted documents purged'),
      'the purge before close logged what it did',
    );
  } finally {
    await runtime.close();
    await direct.close();
    dir.remove();
  }
});
