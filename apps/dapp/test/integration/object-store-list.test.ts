import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { startS3 } from '@dalp/lab';
import { AzureBlobObjectStore } from '../../src/adapters/object-store/azure.ts';
import { FilesystemObjectStore } from '../../src/adapters/object-store/filesystem.ts';
import { ObservedObjectStore } from '../../src/adapters/object-store/observed.ts';
import { S3ObjectStore } from '../../src/adapters/object-store/s3.ts';
import type { ListedObject, ObjectStore } from '../../src/ports/object-store.ts';
import { startAzurite } from '../support/azurite.ts';
import { tempDir } from '../support/helpers.ts';

// The object store port's `list` (reconcile's orphan check) on every adapter, each against the real
// thing: a directory, s3rver (S3 API) with a key prefix, Azurite (Blob API) with a key prefix.

/** Keys inside and outside the listed prefix, and one that only starts like it. */
const OBJECTS: Record<string, string> = {
  'documents/a1/d1': 'one',
  'documents/a1/d2': 'twenty-two',
  'documents/b2/d3': '',
  'other/x': 'outside',
  'documentsX/y': 'only starts like the prefix',
};

async function fill(store: ObjectStore): Promise<void> {
  for (const [key, text] of Object.entries(OBJECTS))
    await store.put(key, Readable.from([Buffer.from(text)]), 'text/plain');
}

async function listAll(
  store: ObjectStore,
  prefix: string,
): Promise<{ pages: number; objects: ListedObject[] }> {
  let pages = 0;
  const objects: ListedObject[] = [];
  for await (const page of store.list(prefix)) {
    pages += 1;
    objects.push(...page);
  }
  return { pages, objects: objects.sort((a, b) => a.key.localeCompare(b.key)) };
}

const EXPECTED = [
  { key: 'documents/a1/d1', size: 3 },
  { key: 'documents/a1/d2', size: 10 },
  { key: 'documents/b2/d3', size: 0 },
];

function listContract(name: string, open: () => Promise<{ store: ObjectStore; close(): Promise<void> }>) {
  describe(`list on ${name}`, () => {
    let store: ObjectStore;
    let close: () => Promise<void>;
    test('lists every key under the prefix with its size, and nothing outside it', async () => {
      ({ store, close } = await open());
      await fill(store);
      assert.deepEqual((await listAll(store, 'documents/')).objects, EXPECTED);
      assert.deepEqual((await listAll(store, 'documents/a1/')).objects, EXPECTED.slice(0, 2));
      assert.deepEqual((await listAll(store, 'nothing-here/')).objects, []);
    });
    test('a deleted object is no longer listed', async () => {
      await store.delete('documents/a1/d2');
      assert.deepEqual((await listAll(store, 'documents/')).objects, [EXPECTED[0], EXPECTED[2]]);
      // Deleting what is gone already succeeds: two purgers may race on a key.
      await store.delete('documents/a1/d2');
    });
    after(async () => close?.());
  });
}

listContract('the filesystem store (embedded default)', async () => {
  const dir = tempDir('list-fs');
  return { store: await FilesystemObjectStore.open(dir.path), close: async () => dir.remove() };
});

listContract('S3 (s3rver, with a key prefix)', async () => {
  const s3 = await startS3({ bucket: 'listing' });
  const config = {
    driver: 's3' as const,
    createBucket: true,
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: 'tenant-a/',
    forcePathStyle: true,
    accessKeyId: s3.credentials.accessKeyId,
    secretAccessKey: s3.credentials.secretAccessKey,
  };
  // A second tenant's objects in the same bucket must not show in the first's listing.
  const other = await S3ObjectStore.create({ ...config, prefix: 'tenant-b/' });
  await other.put('documents/zz/other-tenant', Readable.from([Buffer.from('b')]), 'text/plain');
  await other.close();
  const store = await S3ObjectStore.create(config);
  return {
    store,
    close: async () => {
      await store.close();
      await s3.destroy();
    },
  };
});

listContract('Azure Blob Storage (Azurite, with a key prefix)', async () => {
  const azurite = await startAzurite();
  const config = {
    driver: 'azure' as const,
    connectionString: azurite.connectionString,
    container: 'documents',
    prefix: 'tenant-a/',
    createBucket: true,
  };
  const other = await AzureBlobObjectStore.create({ ...config, prefix: 'tenant-b/' });
  await other.put('documents/zz/other-tenant', Readable.from([Buffer.from('b')]), 'text/plain');
  const store = await AzureBlobObjectStore.create(config);
  return { store, close: async () => azurite.stop() };
});

describe('list through the observed store', () => {
  test('pages of more than one store page arrive whole, and each page reports the store up', async () => {
    const dir = tempDir('list-observed');
    after(() => dir.remove());
    const inner = await FilesystemObjectStore.open(dir.path);
    const reports: string[] = [];
    const store = new ObservedObjectStore(inner, {
      up: () => reports.push('up'),
      down: () => reports.push('down'),
      failed: (operation) => reports.push(`failed ${operation}`),
    });
    const count = 1001 + 250;
    for (let i = 0; i < count; i++)
      await inner.put(
        `documents/a/${String(i).padStart(5, '0')}`,
        Readable.from([Buffer.from('x')]),
        'text/plain',
      );
    const { pages, objects } = await listAll(store, 'documents/');
    assert.equal(objects.length, count);
    assert.equal(pages, 2, 'the filesystem store pages by 1000');
    assert.ok(objects.every((o) => o.size === 1));
    assert.deepEqual(reports, ['up', 'up', 'up'], 'two pages and the end of the listing');
  });

  test('a store that fails while listing is reported down and the failure is objectStoreUnavailable', async () => {
    const s3 = await startS3({ bucket: 'listing-outage' });
    const inner = await S3ObjectStore.create({
      driver: 's3',
      createBucket: true,
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      prefix: '',
      forcePathStyle: true,
      accessKeyId: s3.credentials.accessKeyId,
      secretAccessKey: s3.credentials.secretAccessKey,
    });
    const reports: string[] = [];
    const store = new ObservedObjectStore(inner, {
      up: () => reports.push('up'),
      down: () => reports.push('down'),
      failed: (operation) => reports.push(`failed ${operation}`),
    });
    try {
      await s3.kill();
      await assert.rejects(listAll(store, 'documents/'), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'object_store_unavailable');
        return true;
      });
      assert.deepEqual(reports, ['failed list', 'down']);
    } finally {
      await inner.close();
      await s3.destroy();
    }
  });
});
