import type { Readable } from 'node:stream';
import { BlobServiceClient, type ContainerClient, RestError } from '@azure/storage-blob';
import type { Config } from '../../config.ts';
import { errors } from '../../errors.ts';
import type { ListedObject, ObjectStore, StoredObject } from '../../ports/object-store.ts';

type AzureConfig = Extract<Config['objectStore'], { driver: 'azure' }>;

/**
 * Azure Blob Storage, for the source document's Azure pattern (Blob Storage ZRS/GRS does not speak S3).
 * Block blobs are committed only when the whole stream has been staged, so a failed upload leaves no blob.
 */
export class AzureBlobObjectStore implements ObjectStore {
  readonly kind = 'azure' as const;
  private readonly container: ContainerClient;
  private readonly prefix: string;

  static async create(config: AzureConfig): Promise<AzureBlobObjectStore> {
    const store = new AzureBlobObjectStore(config);
    // For emulators and bundled set-ups; managed containers are created by their owners.
    if (config.createBucket) await store.container.createIfNotExists();
    return store;
  }

  private constructor(config: AzureConfig) {
    this.container = BlobServiceClient.fromConnectionString(config.connectionString, {
      retryOptions: { maxTries: 2, tryTimeoutInMs: 30_000 },
    }).getContainerClient(config.container);
    this.prefix = config.prefix;
  }

  private blob(key: string) {
    return this.container.getBlockBlobClient(`${this.prefix}${key}`);
  }

  async put(key: string, body: Readable, contentType: string): Promise<void> {
    const abort = new AbortController();
    body.once('error', () => abort.abort());
    try {
      await this.blob(key).uploadStream(body, 4 * 1024 * 1024, 2, {
        blobHTTPHeaders: { blobContentType: contentType },
        abortSignal: abort.signal,
      });
    } catch (error) {
      if (body.errored) throw body.errored;
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.blob(key).download();
      return {
        size: response.contentLength ?? 0,
        contentType: response.contentType ?? 'application/octet-stream',
        body: response.readableStreamBody as Readable,
      };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.blob(key).deleteIfExists();
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject[]> {
    const pages = this.container
      .listBlobsFlat({ prefix: `${this.prefix}${prefix}` })
      .byPage({ maxPageSize: 1000 });
    try {
      for await (const page of pages) {
        yield page.segment.blobItems.map((blob) => ({
          key: blob.name.slice(this.prefix.length),
          size: blob.properties.contentLength ?? 0,
        }));
      }
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.container.getProperties();
    } catch (error) {
      throw errors.objectStoreUnavailable.because(error);
    }
  }

  async close(): Promise<void> {}
}
