import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../../config.ts';
import { errors } from '../../errors.ts';
import type { ListedObject, ObjectStore, StoredObject } from '../../ports/object-store.ts';

type S3Config = Extract<Config['objectStore'], { driver: 's3' }>;

/**
 * S3 and S3-compatible stores (AWS S3, RustFS, MinIO, Ceph RGW, Google Cloud Storage's XML API) through
 * AWS SDK v3. Uploads stream through lib-storage's multipart upload, which aborts the upload when the body
 * stream fails, so a failed upload leaves no object behind.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  static async create(config: S3Config): Promise<S3ObjectStore> {
    const accessKeyId =
      config.accessKeyId ??
      (config.accessKeyIdFile ? (await readFile(config.accessKeyIdFile, 'utf8')).trim() : undefined);
    const secretAccessKey =
      config.secretAccessKey ??
      (config.secretAccessKeyFile ? (await readFile(config.secretAccessKeyFile, 'utf8')).trim() : undefined);
    const clientConfig: S3ClientConfig = {
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2000, requestTimeout: 30_000 },
      // Without static keys the SDK's default chain applies (IRSA, EKS Pod Identity, instance roles).
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    };
    const store = new S3ObjectStore(new S3Client(clientConfig), config.bucket, config.prefix);
    if (config.createBucket) await store.ensureBucket();
    return store;
  }

  /** For bundled stores (RustFS, MinIO) that start empty; managed buckets are created by their owners. */
  private async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // At start-up, not an answer to a request: the one line dapp prints before it exits says this.
      if (status !== 404) throw new Error('object store unreachable', { cause: error });
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  private key(key: string): string {
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(key), Body: body, ContentType: contentType },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    // A failing body (size limit, client gone) must stop the upload rather than let it wait for bytes.
    body.once('error', () => void upload.abort().catch(() => undefined));
    try {
      await upload.done();
    } catch (error) {
      if (body.errored) throw body.errored;
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return {
        size: result.ContentLength ?? 0,
        contentType: result.ContentType ?? 'application/octet-stream',
        body: result.Body as Readable,
      };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject[]> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, Prefix: this.key(prefix) },
    );
    try {
      for await (const page of pages) {
        yield (page.Contents ?? []).map((o) => ({
          key: o.Key!.slice(this.prefix.length),
          size: o.Size ?? 0,
        }));
      }
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
