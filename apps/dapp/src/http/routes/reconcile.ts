import type { FastifyInstance } from 'fastify';
import { ReconcileReportView } from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

/** The books check over the API, for `dalp reconcile --url` (docs/reconcile.md). */
export async function reconcileRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  app.get(
    '/reconcile',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['operations'],
        summary: 'Check the books: ledger totals, idempotency records, documents and their objects',
        description:
          'Runs the same checks as `dapp reconcile` and answers 200 with the report whether or not the books ' +
          'reconcile (`reconciled` says which). Reads every asset, record and document, and streams every ' +
          'object through SHA-256: run it after a restore or an incident, not on a schedule of seconds.',
        response: { 200: ReconcileReportView },
      },
    },
    async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(await runtime.useCases.reconcile.run()),
  );
}
