import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth.ts';
import { ApiKeyCreate, ApiKeyCreated } from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

export async function apiKeyRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  typed(fastify).post(
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
        .send(await runtime.stores.apiKeys.create(request.body.name, request.body.role, actorOf(request))),
  );
}
