import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth.ts';
import {
  IdParams,
  InvestorCreate,
  InvestorPage,
  InvestorPatch,
  InvestorView,
  PageQuery,
  pageLimit,
} from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

export async function investorRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  const investors = runtime.stores.investors;

  app.post(
    '/investors',
    {
      config: { roles: ['compliance'] },
      schema: {
        tags: ['investors'],
        summary: 'Register an investor',
        body: InvestorCreate,
        response: { 201: InvestorView },
      },
    },
    async (request, reply) => reply.code(201).send(await investors.create(request.body, actorOf(request))),
  );

  app.patch(
    '/investors/:id',
    {
      config: { roles: ['compliance'] },
      schema: {
        tags: ['investors'],
        summary: 'Update an investor (name, country, KYC status)',
        params: IdParams,
        body: InvestorPatch,
        response: { 200: InvestorView },
      },
    },
    async (request) => investors.update(request.params.id, request.body, actorOf(request)),
  );

  app.get(
    '/investors',
    {
      schema: {
        tags: ['investors'],
        summary: 'List investors',
        querystring: PageQuery,
        response: { 200: InvestorPage },
      },
    },
    async (request) => investors.list(pageLimit(request.query), request.query.cursor),
  );

  app.get(
    '/investors/:id',
    {
      schema: {
        tags: ['investors'],
        summary: 'Get one investor',
        params: IdParams,
        response: { 200: InvestorView },
      },
    },
    async (request) => investors.get(request.params.id),
  );
}
