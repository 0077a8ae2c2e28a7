import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type S3Server, startS3 } from '../../src/index.ts';

describe('s3rver in a child process', () => {
  let s3: S3Server;
  let client: S3Client;
  before(async () => {
    s3 = await startS3({ bucket: 'lab-documents' });
    client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: s3.credentials,
      // One attempt: the outage must surface, not be retried away.
      maxAttempts: 1,
    });
  });
  after(async () => {
    client?.destroy();
    await s3?.destroy();
  });

  const getText = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return object.Body!.transformToString();
  };

  test('the bucket exists and objects round-trip through the AWS SDK v3', async () => {
    await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'docs/prospectus.txt', Body: 'term sheet v1' }),
    );
    assert.equal(await getText('docs/prospectus.txt'), 'term sheet v1');
  });

  test('killed, the store refuses connections; restarted on the same port, the object is still there', async () => {
    await s3.kill();
    assert.equal(s3.running(), false);
    // The SDK's kept-alive socket was cut by the kill, so the first request may see the reset; any
    // new connection must then be refused.
    await assert.rejects(getText('docs/prospectus.txt'), (error: Error & { code?: string }) => {
      assert.ok(['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(error.code ?? ''), String(error));
      return true;
    });
    await assert.rejects(getText('docs/prospectus.txt'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ECONNREFUSED');
      return true;
    });
    await s3.start();
    assert.equal(await getText('docs/prospectus.txt'), 'term sheet v1');
  });
});
