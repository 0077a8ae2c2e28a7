import type { FastifyInstance } from 'fastify';
import { actorOf } from '../plugins/auth.ts';
import {
  IdParams,
  InvestorCreate,
  InvestorPage,
  InvestorPatch,
  InvestorView,
  PageQuery,
  pageLimit,
} from '../schemas.ts';
import { investorView, pageView } from '../views.ts';
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
    async (request, reply) =>
      reply.code(201).send(investorView(await investors.create(request.body, actorOf(request)))),
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
    async (request) =>
      investorView(await investors.update(request.params.id, request.body, actorOf(request))),
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
    async (request) =>
      pageView(await investors.list(pageLimit(request.query), request.query.cursor), investorView),
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
    async (request) => investorView(await investors.get(request.params.id)),
  );
}
