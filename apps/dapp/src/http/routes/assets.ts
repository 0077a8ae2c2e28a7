import type { FastifyInstance, FastifyReply } from 'fastify';
import { actorOf } from '../plugins/auth.ts';
import {
  AssetCreate,
  AssetListQuery,
  AssetPage,
  AssetView,
  IdParams,
  pageLimit,
  StatusChange,
} from '../schemas.ts';
import { assetView, pageView } from '../views.ts';
import { type RouteContext, sendJsonText, typed } from './context.ts';

export async function assetRoutes(fastify: FastifyInstance, { runtime, reads }: RouteContext) {
  const app = typed(fastify);
  const assets = runtime.stores.assets;
  const lifecycle = runtime.useCases.assets;

  app.post(
    '/assets',
    {
      config: { roles: ['issuer'] },
      schema: {
        tags: ['assets'],
        summary: 'Create an asset (starts as draft)',
        body: AssetCreate,
        response: { 201: AssetView },
      },
    },
    async (request, reply) => {
      const asset = await lifecycle.create(request.body, actorOf(request));
      return reply.code(201).send(assetView(asset));
    },
  );

  app.get(
    '/assets',
    {
      schema: {
        tags: ['assets'],
        summary: 'List assets, optionally filtered by type, status and a search text (q)',
        querystring: AssetListQuery,
        response: { 200: AssetPage },
      },
    },
    async (request) => {
      const { cursor, type, status, q } = request.query;
      return pageView(await assets.list(pageLimit(request.query), cursor, { type, status, q }), assetView);
    },
  );

  app.get(
    '/assets/:id',
    {
      schema: { tags: ['assets'], summary: 'Get one asset', params: IdParams, response: { 200: AssetView } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const text = await reads.readJson('asset', id, async () => assetView(await assets.get(id)));
      return sendJsonText(reply as FastifyReply, text);
    },
  );

  app.post(
    '/assets/:id/status',
    {
      config: { roles: ['issuer'] },
      schema: {
        tags: ['assets'],
        summary: 'Move an asset through its lifecycle: draft -> active <-> paused, active|paused -> closed',
        params: IdParams,
        body: StatusChange,
        response: { 200: AssetView },
      },
    },
    async (request) => {
      const asset = await lifecycle.setStatus(request.params.id, request.body.status, actorOf(request));
      return assetView(asset);
    },
  );
}
