import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../../errors.ts';
import { ErrorResponse, ReconcileReportView } from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

/** The books check over the API, for `dalp reconcile --url` (docs/reconcile.md). */
export async function reconcileRoutes(fastify: FastifyInstance, { runtime }: RouteContext) {
  const app = typed(fastify);
  // One run at a time on this replica: each reads every row and hashes every object, so a second run
  // alongside would double that load and report nothing the first does not.
  let running = false;
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
          'object through SHA-256: run it after a restore or an incident, not on a schedule of seconds. ' +
          'One run at a time per replica: a call while one runs is answered 429 `reconcile_running`.',
        response: {
          200: ReconcileReportView,
          429: {
            ...ErrorResponse,
            description:
              '`reconcile_running`: a run is in progress on this replica (or `rate_limited`, ' +
              '`too_many_auth_failures`); retry after `Retry-After` seconds',
            headers: { 'retry-after': Type.String({ description: 'Seconds to wait before retrying.' }) },
          },
        },
      },
    },
    async (_request, reply) => {
      if (running) throw errors.reconcileRunning();
      running = true;
      try {
        const report = await runtime.useCases.reconcile.run();
        return reply.header('cache-control', 'no-store').send(report);
      } finally {
        running = false;
      }
    },
  );
}
