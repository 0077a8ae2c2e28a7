import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ObjectStoreUnavailableError } from '../../ports/object-store.ts';
import { publicMeta } from '../../store/documents.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { DocumentParams, DocumentQuery, DocumentView, IdParams } from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

class PayloadTooLarge extends HttpError {
  constructor(limit: number) {
    // The rest of the body is not read: closing the connection is the only clean way to refuse it.
    super(413, 'payload_too_large', `documents are limited to ${limit} bytes`, { connection: 'close' });
  }
}

/** Counts and hashes bytes as they stream to the store, failing the stream past the size limit. */
class Meter extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(new PayloadTooLarge(this.limit));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

export async function documentRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  const { documents } = runtime.stores;
  const store = runtime.objectStore;
  const limit = runtime.config.documentMaxBytes;

  // Document bodies are bytes of any type, streamed to the object store; never parse or buffer them here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  /** Runs an object store call, mapping its failures to 503 and recording them for health and metrics. */
  const storeCall = async <T>(operation: 'put' | 'get' | 'delete', call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      runtime.health.objectStoreObserved(true);
      return result;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      runtime.metrics.objectStoreErrors.inc({ operation });
      runtime.health.objectStoreObserved(false);
      if (error instanceof ObjectStoreUnavailableError) throw error;
      throw new ObjectStoreUnavailableError(`object store ${operation} failed`, { cause: error });
    }
  };

  app.post(
    '/assets/:id/documents',
    {
      config: { roles: ['issuer'] },
      schema: {
        tags: ['documents'],
        summary: 'Upload a document (raw bytes in the body, streamed to object storage)',
        params: IdParams,
        querystring: DocumentQuery,
        response: { 201: DocumentView },
      },
    },
    async (request, reply) => {
      const contentType = request.headers['content-type'];
      if (!contentType)
        throw new HttpError(415, 'content_type_required', 'send the document with its Content-Type');
      const declared = Number(request.headers['content-length'] ?? Number.NaN);
      if (declared > limit) throw new PayloadTooLarge(limit);
      await documents.assertAssetExists(request.params.id);

      const id = uuidv7();
      const objectKey = `documents/${request.params.id}/${id}`;
      const meter = new Meter(limit);
      const body = request.body as NodeJS.ReadableStream;
      body.on('error', (error) => meter.destroy(error));
      body.pipe(meter);
      await storeCall('put', () => store.put(objectKey, meter, contentType));
      try {
        const meta = await documents.insert(
          {
            id,
            assetId: request.params.id,
            name: request.query.name,
            contentType,
            size: meter.size,
            sha256: meter.digest(),
            objectKey,
          },
          actorOf(request),
        );
        return reply.code(201).send(publicMeta(meta));
      } catch (error) {
        // No metadata row: the bytes must not stay behind either.
        await store
          .delete(objectKey)
          .catch((e) => request.log.warn({ err: e, objectKey }, 'orphan object left'));
        throw error;
      }
    },
  );

  app.get(
    '/assets/:id/documents',
    { schema: { tags: ['documents'], summary: 'List documents of an asset', params: IdParams } },
    async (request) => ({ items: await documents.list(request.params.id) }),
  );

  app.get(
    '/assets/:id/documents/:docId/content',
    { schema: { tags: ['documents'], summary: 'Download the bytes of a document', params: DocumentParams } },
    async (request, reply) => {
      const meta = await documents.get(request.params.id, request.params.docId);
      const etag = `"${meta.sha256}"`;
      if (request.headers['if-none-match'] === etag) return reply.code(304).header('etag', etag).send();
      const object = await storeCall('get', () => store.get(meta.objectKey));
      if (!object) {
        throw new ObjectStoreUnavailableError(`object ${meta.objectKey} is missing from the store`);
      }
      return reply
        .header('content-type', meta.contentType)
        .header('content-length', String(object.size))
        .header('etag', etag)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(meta.name)}`)
        .send(object.body);
    },
  );

  app.delete(
    '/assets/:id/documents/:docId',
    {
      config: { roles: ['issuer'] },
      schema: { tags: ['documents'], summary: 'Delete a document', params: DocumentParams },
    },
    async (request, reply) => {
      const objectKey = await documents.delete(request.params.id, request.params.docId, actorOf(request));
      // The row is gone, so the document is gone for clients; a failed byte delete only leaves an orphan.
      await storeCall('delete', () => store.delete(objectKey)).catch((error) =>
        request.log.warn(
          { err: error, objectKey },
          'document bytes not deleted; orphan left in object store',
        ),
      );
      return reply.code(204).send();
    },
  );
}
