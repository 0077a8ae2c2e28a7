import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertErrorShape } from '../support/error-shape.ts';
import { startService, TestDatabase, type TestService } from '../support/helpers.ts';

// Key management (issue 20, defect 5): list and revoke through the API, audited, and a revoked key refused
// by every replica within API_KEY_CACHE_MS.

const CACHE_MS = 1000;
let db: TestDatabase;
let replicaA: TestService;
let replicaB: TestService;
before(async () => {
  db = await TestDatabase.start();
  const url = await db.createDatabase();
  // Two replicas of one database, each with its own in-process cache of verified keys.
  replicaA = await startService(url, { API_KEY_CACHE_MS: String(CACHE_MS) });
  replicaB = await startService(url, { API_KEY_CACHE_MS: String(CACHE_MS), MIGRATE_ON_START: 'false' });
});
after(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await db?.destroy();
});

describe('API keys', () => {
  test('admins list keys without their secrets, newest last, a page at a time', async () => {
    const created = await replicaA.admin.post('/api/v1/api-keys', { name: 'listed', role: 'viewer' });
    assert.equal(created.status, 201);
    const list = await replicaA.admin.get('/api/v1/api-keys?limit=200');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const mine = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    assert.deepEqual(Object.keys(mine).sort(), ['createdAt', 'createdBy', 'id', 'name', 'revokedAt', 'role']);
    assert.equal(mine.revokedAt, null);
    assert.ok(!JSON.stringify(list.body).includes(created.body.key), 'no secret in the list');
    const first = await replicaA.admin.get('/api/v1/api-keys?limit=1');
    assert.equal(first.body.items.length, 1);
    assert.notEqual(first.body.nextCursor, null);
  });

  test('revoking is audited, idempotent, and a 404 for a key that does not exist', async () => {
    const created = await replicaA.admin.post('/api/v1/api-keys', { name: 'to revoke', role: 'issuer' });
    const revoked = await replicaA.admin.request('DELETE', `/api/v1/api-keys/${created.body.id}`);
    assert.equal(revoked.status, 204);
    assert.equal(revoked.body, '', 'a 204 has no body');
    assert.equal((await replicaA.admin.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status, 204);
    const audit = await replicaA.sql(
      `SELECT actor, action FROM audit_log WHERE entity_type = 'api_key' AND entity_id = $1 ORDER BY seq`,
      [created.body.id],
    );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['api_key.create', 'api_key.revoke'],
    );
    const listed = await replicaA.admin.get('/api/v1/api-keys?limit=200');
    assert.ok(listed.body.items.find((k: { id: string }) => k.id === created.body.id).revokedAt);
    assertErrorShape(
      await replicaA.admin.request('DELETE', '/api/v1/api-keys/01a22e28-93dd-705c-b5a7-a029d20329f6'),
      404,
      'api_key_not_found',
    );
  });

  test('a revoked key is refused at once by the replica that revoked it, and by every replica within API_KEY_CACHE_MS', async () => {
    const created = await replicaA.admin.post('/api/v1/api-keys', { name: 'leaked', role: 'viewer' });
    const onA = replicaA.admin.as(created.body.key);
    const onB = replicaB.admin.as(created.body.key);
    // Both replicas verify the key and remember it.
    assert.equal((await onA.get('/api/v1/assets')).status, 200);
    assert.equal((await onB.get('/api/v1/assets')).status, 200);

    const revokedAt = Date.now();
    assert.equal((await replicaA.admin.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status, 204);
    assertErrorShape(await onA.get('/api/v1/assets'), 401, 'invalid_api_key');

    // Replica B learns it when its remembered verification expires: at most API_KEY_CACHE_MS after it was
    // made, which was before the revocation. Waiting the bound is a lower bound on time, never an upper one.
    await sleep(Math.max(0, revokedAt + CACHE_MS - Date.now()) + 50);
    for (const path of ['/api/v1/assets', '/api/v1/investors', '/api/v1/api-keys']) {
      assertErrorShape(await onB.get(path), 401, 'invalid_api_key');
    }
  });
});

test('replicas starting together install the bootstrap admin key without failing each other', async () => {
  // Found by the drill bench: a lab whose replicas started at the same moment lost one of them to
  // `duplicate key value violates unique constraint "api_keys_key_hash_key"`. ON CONFLICT (id) only
  // arbitrates the id; two inserts racing on a fresh table still meet on the key's hash.
  const key = 'bootstrap-race-key-0123456789abcdef';
  const store = replicaA.runtime.stores.apiKeys;
  for (let round = 0; round < 20; round++) {
    await replicaA.sql("DELETE FROM api_keys WHERE name = 'bootstrap-admin'");
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => store.ensureBootstrap(key)));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(
      failed.map((r) => String((r as PromiseRejectedResult).reason)),
      [],
      `round ${round}: every replica starts`,
    );
  }
  const rows = await replicaA.sql("SELECT revoked_at FROM api_keys WHERE name = 'bootstrap-admin'");
  assert.equal(rows.length, 1);
});
