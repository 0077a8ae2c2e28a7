import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PURGE_LOCK_KEY, PurgeQueueStore } from '../../src/store/purge-queue.ts';
import { DocumentPurge } from '../../src/use-cases/purge-documents.ts';
import {
  seedLedger,
  spawnService,
  startService,
  TestDatabase,
  type TestService,
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
