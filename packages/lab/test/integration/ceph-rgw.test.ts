// The lab's versioned object store for real: a one-OSD Ceph cluster with its RADOS Gateway, started by
// ceph-main.ts on the host's loopback, and the point-in-time restore of a bucket from its versions
// (objects.ts) against it: overwritten, deleted and newer objects each come back as they were at T.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  type ManagedProcess,
  makeTempDir,
  S3RVER_CREDENTIALS,
  spawnManaged,
  waitFor,
} from '../../src/index.ts';
import { bucketVersioning, deleteEveryObject, restoreBucketToTime } from '../../src/lab/objects.ts';
import { storeServesBucket } from '../../src/s3.ts';
import { createCertificates } from '../../src/tls.ts';

const CEPH_MAIN = fileURLToPath(new URL('../../src/ceph-main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BUCKET = 'documents';

describe('Ceph RADOS Gateway (the lab store that keeps versions)', { timeout: 300_000 }, () => {
  let dir: { path: string; remove(): void };
  let store: ManagedProcess;
  let client: S3Client;
  let endpoint: string;

  before(async () => {
    dir = makeTempDir('dalp-ceph-');
    const tls = join(dir.path, 'tls');
    mkdirSync(tls);
    await createCertificates(tls, 'dalp-test-s3', undefined, ['127.0.0.1']);
    const [port, tlsPort, monPort] = [await freePort(), await freePort(), await freePort()];
    endpoint = `http://127.0.0.1:${port}`;
    store = spawnManaged({
      name: 'ceph-rgw',
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        CEPH_MAIN,
        join(dir.path, 'store'),
        '127.0.0.1',
        String(port),
        String(tlsPort),
        join(tls, 'server.key'),
        join(tls, 'server.crt'),
        BUCKET,
        'backups',
      ],
      cwd: REPO_ROOT,
      logPath: join(dir.path, 'ceph-main.log'),
      env: { PATH: process.env.PATH, DALP_CEPH_MON_PORT: String(monPort) },
    });
    await waitFor(() => storeServesBucket(endpoint, BUCKET), 180_000, 'the RADOS Gateway and its buckets', {
      process: store,
      intervalMs: 500,
    });
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
  });
  after(async () => {
    client?.destroy();
    await store?.stop(20_000);
    dir?.remove();
  });

  const put = (key: string, body: string) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const text = async (key: string) => {
    try {
      return await (
        await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body!.transformToString();
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };
  // The store's clock has millisecond steps: T sits strictly between the writes before and after it.
  const pause = () => new Promise((r) => setTimeout(r, 50));

  test('the documents bucket keeps versions from the first start', async () => {
    assert.equal(await bucketVersioning(client, BUCKET), 'Enabled');
    assert.equal(await bucketVersioning(client, 'backups'), 'never enabled');
  });

  test('a bucket restored to T: overwritten and deleted objects come back, newer ones go', async () => {
    await put('docs/kept.txt', 'kept');
    await put('docs/overwritten.txt', 'before T');
    await put('docs/deleted.txt', 'deleted after T');
    await put('docs/a b+c.txt', 'a key that needs escaping');
    await pause();
    const at = new Date();
    await pause();
    await put('docs/overwritten.txt', 'after T');
    await put('docs/newer.txt', 'created after T');
    // The fault: every object deleted (delete markers in a versioned bucket).
    assert.equal(await deleteEveryObject(client, BUCKET), 5);
    assert.equal(await text('docs/kept.txt'), undefined);

    const result = await restoreBucketToTime(client, BUCKET, at);
    assert.deepEqual(result, { restored: 4, removed: 0, unchanged: 1 });
    assert.equal(await text('docs/kept.txt'), 'kept');
    assert.equal(await text('docs/overwritten.txt'), 'before T');
    assert.equal(await text('docs/deleted.txt'), 'deleted after T');
    assert.equal(await text('docs/a b+c.txt'), 'a key that needs escaping');
    assert.equal(await text('docs/newer.txt'), undefined);
    // Run again, nothing changes: the bucket is as it was at T.
    assert.deepEqual(await restoreBucketToTime(client, BUCKET, at), {
      restored: 0,
      removed: 0,
      unchanged: 5,
    });
    // To a time after everything: the newest entries are the current ones, nothing to do.
    assert.deepEqual(await restoreBucketToTime(client, BUCKET, new Date(Date.now() + 3_600_000)), {
      restored: 0,
      removed: 0,
      unchanged: 5,
    });
  });

  test('an object created after T is removed by the restore, unless only bringing back', async () => {
    const at = new Date();
    await pause();
    await put('docs/orphan.txt', 'no row at T references it');
    // Only bringing objects back (a store still in use): the newer object stays.
    const kept = await restoreBucketToTime(client, BUCKET, at, { removeNewer: false });
    assert.equal(kept.removed, 0);
    assert.equal(await text('docs/orphan.txt'), 'no row at T references it');
    const result = await restoreBucketToTime(client, BUCKET, at);
    assert.equal(result.removed, 1);
    assert.equal(await text('docs/orphan.txt'), undefined);
  });

  test('with versioning suspended, a deleted object cannot be restored', async () => {
    await client.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    try {
      await put('docs/unversioned.txt', 'written while versioning was suspended');
      await pause();
      const at = new Date();
      await pause();
      await deleteEveryObject(client, BUCKET);
      await restoreBucketToTime(client, BUCKET, at);
      assert.equal(await text('docs/unversioned.txt'), undefined, 'the only copy was replaced by the delete');
      // Objects written while versioning was on still come back.
      assert.equal(await text('docs/kept.txt'), 'kept');
    } finally {
      await client.send(
        new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
      );
    }
  });
});
