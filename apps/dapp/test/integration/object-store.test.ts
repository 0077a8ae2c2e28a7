import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { type S3Server, startS3 } from '@dalp/lab';
import { startAzurite } from '../support/azurite.ts';
import { documentsSuite } from '../support/documents-suite.ts';
import { s3Env, seedLedger, startService, TestDatabase, type TestService } from '../support/helpers.ts';

let db: TestDatabase;
before(async () => {
  db = await TestDatabase.start();
});
after(async () => db?.destroy());

async function listS3(s3: S3Server): Promise<string[]> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    client.destroy();
  }
}

// s3rver speaks the S3 API the AWS SDK v3 uses; a prefix proves keys stay inside it.
let s3: S3Server;
documentsSuite('S3 (s3rver, path-style, with a key prefix)', {
  async start(maxBytes) {
    s3 = await startS3();
    return startService(await db.createDatabase(), {
      ...s3Env(s3, 'tenant-a'),
      DOCUMENT_MAX_BYTES: String(maxBytes),
    });
  },
  async listObjects() {
    const keys = await listS3(s3);
    assert.ok(
      keys.every((k) => k.startsWith('tenant-a/documents/')),
      `keys outside the prefix: ${keys.join(', ')}`,
    );
    return keys;
  },
  stop: () => s3.destroy(),
});

let azurite: { stop(): void; connectionString: string } | undefined;

documentsSuite('Azure Blob Storage (azurite)', {
  async start(maxBytes) {
    azurite = await startAzurite();
    return startService(await db.createDatabase(), {
      OBJECT_STORE_DRIVER: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER: 'documents',
      OBJECT_STORE_CREATE_BUCKET: 'true',
      DOCUMENT_MAX_BYTES: String(maxBytes),
    });
  },
  async listObjects() {
    const container = BlobServiceClient.fromConnectionString(azurite!.connectionString).getContainerClient(
      'documents',
    );
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    // Uncommitted blocks of an aborted upload are not blobs: nothing is visible unless committed.
    return names.sort();
  },
  stop: async () => azurite?.stop(),
});

describe('object store outage', () => {
  let store: S3Server;
  let svc: TestService;
  before(async () => {
    store = await startS3({ bucket: 'outage' });
    svc = await startService(await db.createDatabase(), s3Env(store));
  });
  after(async () => {
    await svc?.close();
    await store?.destroy();
  });

  test('only document uploads and downloads fail (503), and they work again when the store is back', async () => {
    const { assetId, investors } = await seedLedger(svc.admin, { investors: 1 });
    const upload = () =>
      svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=a.txt`, {
        body: 'hello',
        headers: { 'content-type': 'text/plain' },
      });
    const stored = await upload();
    assert.equal(stored.status, 201);

    await store.kill();
    const failed = await upload();
    assert.equal(failed.status, 503);
    assert.equal(failed.body.error.code, 'object_store_unavailable');
    assert.equal(failed.headers.get('retry-after'), '2');
    const download = await svc.admin.get(`/api/v1/assets/${assetId}/documents/${stored.body.id}/content`);
    assert.equal(download.status, 503);
    assert.equal(
      (await svc.admin.get(`/api/v1/assets/${assetId}/documents`)).body.items.length,
      1,
      'no row for the failed upload',
    );
    assert.equal((await svc.admin.get(`/api/v1/assets/${assetId}`)).status, 200);
    const mint = await svc.admin.post(
      `/api/v1/assets/${assetId}/mint`,
      { to: investors[0], amount: '1' },
      {
        'idempotency-key': 'outage-mint',
      },
    );
    assert.equal(mint.status, 201, 'the ledger does not depend on the object store');
    const ready = await svc.anonymous.get('/readyz');
    assert.equal(ready.status, 200, 'the instance stays in service');
    assert.equal(ready.body.dependencies.objectStore, 'degraded');
    assert.match(
      (await svc.anonymous.get('/metrics')).body,
      /dalp_dependency_up\{dependency="object_store"\} 0/,
    );
    assert.match(
      (await svc.anonymous.get('/metrics')).body,
      /dalp_object_store_errors_total\{operation="put"\} [1-9]/,
    );

    await store.start();
    const again = await upload();
    assert.equal(again.status, 201);
    assert.equal((await svc.anonymous.get('/readyz')).body.dependencies.objectStore, 'up');
    const content = await svc.admin.get(`/api/v1/assets/${assetId}/documents/${stored.body.id}/content`);
    assert.equal(content.body, 'hello');
  });
});
