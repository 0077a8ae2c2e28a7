import type { FastifyInstance } from 'fastify';
import { actorOf } from '../plugins/auth.ts';
import {
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyPage,
  IdParams,
  NoContent,
  PageQuery,
  pageLimit,
} from '../schemas.ts';
import { apiKeyCreatedView, apiKeyView, pageView } from '../views.ts';
import { type RouteContext, typed } from './context.ts';

export async function apiKeyRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  const keys = runtime.useCases.apiKeys;

  app.post(
    '/api-keys',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the key is returned once and stored only as a hash',
        body: ApiKeyCreate,
        response: { 201: ApiKeyCreated },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        // The key is in this answer and nowhere else: no cache along the way may keep it.
        .header('cache-control', 'no-store')
        .send(apiKeyCreatedView(await keys.create(request.body.name, request.body.role, actorOf(request)))),
  );

  app.get(
    '/api-keys',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys (never their secrets), revoked ones included',
        querystring: PageQuery,
        response: { 200: ApiKeyPage },
      },
    },
    async (request) => pageView(await keys.list(pageLimit(request.query), request.query.cursor), apiKeyView),
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key (audited; revoking a revoked key changes nothing)',
        description:
          'The replica that answers refuses the key at once; every other replica within API_KEY_CACHE_MS.',
        params: IdParams,
        response: { 204: NoContent('Revoked') },
      },
    },
    async (request, reply) => {
      await keys.revoke(request.params.id, actorOf(request));
      return reply.code(204).send(null);
    },
  );
}
