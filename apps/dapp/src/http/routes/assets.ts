import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Asset, validateNewAsset } from '../../domain/assets.ts';
import { actorOf } from '../auth.ts';
import {
  AssetCreate,
  AssetPage,
  AssetView,
  commonErrors,
  IdParams,
  PageQuery,
  pageLimit,
  StatusChange,
} from '../schemas.ts';
import { type RouteContext, sendJsonText, typed } from './context.ts';

export function assetView(asset: Asset) {
  return {
    id: asset.id,
    symbol: asset.symbol,
    name: asset.name,
    type: asset.type,
    decimals: asset.decimals,
    maxSupply: asset.maxSupply?.toString() ?? null,
    totalSupply: asset.totalSupply.toString(),
    allowedCountries: asset.allowedCountries,
    ...asset.details,
    status: asset.status,
    createdAt: asset.createdAt,
    updatedAt: asset.updatedAt,
  };
}

export async function assetRoutes(fastify: FastifyInstance, { runtime, reads }: RouteContext) {
  const app = typed(fastify);
  const assets = runtime.stores.assets;

  app.post(
    '/assets',
    {
      config: { roles: ['issuer'] },
      schema: {
        tags: ['assets'],
        summary: 'Create an asset (starts as draft)',
        body: AssetCreate,
        response: { 201: AssetView, ...commonErrors, 409: commonErrors[400] },
      },
    },
    async (request, reply) => {
      const asset = await assets.create(validateNewAsset(request.body), actorOf(request));
      return reply.code(201).send(assetView(asset));
    },
  );

  app.get(
    '/assets',
    {
      schema: {
        tags: ['assets'],
        summary: 'List assets',
        querystring: PageQuery,
        response: { 200: AssetPage },
      },
    },
    async (request) => {
      const page = await assets.list(pageLimit(request.query), request.query.cursor);
      return { items: page.items.map(assetView), nextCursor: page.nextCursor };
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
      const asset = await assets.setStatus(request.params.id, request.body.status, actorOf(request));
      await reads.invalidate('asset', [asset.id]);
      return assetView(asset);
    },
  );
}
