import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { actorOf } from '../plugins/auth.ts';
import {
  DocumentContent,
  DocumentList,
  DocumentParams,
  DocumentQuery,
  DocumentView,
  IdParams,
  Limits,
  NoContent,
  NotModified,
  UploadIdempotencyHeaders,
} from '../schemas.ts';
import { documentView } from '../views.ts';
import { type RouteContext, typed } from './context.ts';

export async function documentRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  const documents = runtime.useCases.documents;

  // Document bodies are bytes of any type, streamed to the object store; never parse or buffer them here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.post(
    '/assets/:id/documents',
    {
      config: { roles: ['issuer'], streamsBody: true },
      schema: {
        tags: ['documents'],
        summary: 'Upload a document (raw bytes in the body, streamed to object storage)',
        params: IdParams,
        querystring: DocumentQuery,
        headers: UploadIdempotencyHeaders,
        response: { 201: DocumentView },
      },
    },
    async (request, reply) => {
      const { document, replayed } = await documents.upload(
        {
          idempotencyKey: request.headers['idempotency-key'] as string | undefined,
          assetId: request.params.id,
          name: request.query.name,
          contentType: request.headers['content-type'],
          declaredLength: request.headers['content-length'],
          body: request.body as Readable,
        },
        actorOf(request),
        request.log,
      );
      return reply.code(201).header('idempotent-replayed', String(replayed)).send(documentView(document));
    },
  );

  app.get(
    '/assets/:id/documents',
    {
      schema: {
        tags: ['documents'],
        summary: 'List documents of an asset',
        params: IdParams,
        response: { 200: DocumentList },
      },
    },
    async (request) => ({ items: (await documents.list(request.params.id)).map(documentView) }),
  );

  app.get(
    '/assets/:id/documents/:docId/content',
    {
      schema: {
        tags: ['documents'],
        summary: 'Download the bytes of a document',
        params: DocumentParams,
        produces: ['*/*'],
        response: { 200: DocumentContent, 304: NotModified },
      },
    },
    async (request, reply) => {
      const download = await documents.download(
        request.params.id,
        request.params.docId,
        request.headers['if-none-match'],
      );
      // No payload at all: a 304 has no body, and a serialized null would add a JSON Content-Type.
      if (download.notModified) return (reply as FastifyReply).code(304).header('etag', download.etag).send();
      const { document, object, etag } = download;
      return (
        reply
          .header('content-type', document.contentType)
          .header('content-length', String(object.size))
          .header('etag', etag)
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(document.name)}`)
          // Described as bytes for OpenAPI; a stream is sent as it is, never serialized.
          .send(object.body as unknown as string)
      );
    },
  );

  // A client (the console) explains the size limit with this deployment's value, not the default's.
  app.get(
    '/limits',
    {
      schema: {
        tags: ['documents'],
        summary: 'The limits this deployment enforces on uploads',
        response: { 200: Limits },
      },
    },
    async () => ({ documentMaxBytes: runtime.config.documentMaxBytes }),
  );

  app.delete(
    '/assets/:id/documents/:docId',
    {
      config: { roles: ['issuer'] },
      schema: {
        tags: ['documents'],
        summary: 'Delete a document',
        params: DocumentParams,
        response: { 204: NoContent('Deleted') },
      },
    },
    async (request, reply) => {
      await documents.remove(request.params.id, request.params.docId, actorOf(request));
      return reply.code(204).send(null);
    },
  );
}
