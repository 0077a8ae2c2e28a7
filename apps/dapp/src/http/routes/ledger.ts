import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAmount } from '../../domain/amounts.ts';
import { DomainError } from '../../domain/errors.ts';
import type { LedgerKind } from '../../domain/ledger.ts';
import { actorOf } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { requestHash } from '../request-hash.ts';
import {
  BurnBody,
  HoldersView,
  IdempotencyHeaders,
  IdParams,
  JournalEntryView,
  JournalPage,
  MintBody,
  PageQuery,
  pageLimit,
  TransferBody,
} from '../schemas.ts';
import { type RouteContext, sendJsonText, typed } from './context.ts';

const OUTCOME_BY_ERROR = (error: unknown) =>
  error instanceof DomainError || error instanceof HttpError ? 'rejected' : 'failed';

export async function ledgerRoutes(fastify: FastifyInstance, { runtime, reads }: RouteContext) {
  const app = typed(fastify);
  const { ledger } = runtime.stores;
  const counter = runtime.metrics.ledgerOperations;

  const write = async (
    kind: LedgerKind,
    request: FastifyRequest<{ Params: { id: string }; Body: { from?: string; to?: string; amount: string } }>,
    reply: FastifyReply,
  ) => {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') {
      throw new HttpError(400, 'idempotency_key_required', 'ledger writes need an Idempotency-Key header');
    }
    try {
      const result = await ledger.write(
        {
          assetId: request.params.id,
          kind,
          from: request.body.from,
          to: request.body.to,
          amount: parseAmount(request.body.amount, 'amount'),
          idempotencyKey: key,
          requestHash: requestHash(request.method, request.url, request.body),
        },
        actorOf(request),
      );
      counter.inc({ kind, outcome: result.replayed ? 'replayed' : 'applied' });
      if (!result.replayed) {
        // A transfer leaves the asset row (and its total supply) as it was: only holders change.
        if (kind !== 'transfer') await reads.invalidate('asset', [request.params.id]);
        await reads.invalidate('holders', [request.params.id]);
      }
      return reply.code(201).header('idempotent-replayed', String(result.replayed)).send(result.entry);
    } catch (error) {
      counter.inc({ kind, outcome: OUTCOME_BY_ERROR(error) });
      throw error;
    }
  };

  const writeRoute = (
    path: string,
    kind: LedgerKind,
    body: typeof MintBody | typeof TransferBody | typeof BurnBody,
    summary: string,
  ) =>
    app.post(
      path,
      {
        config: { roles: ['issuer'] },
        schema: {
          tags: ['ledger'],
          summary,
          params: IdParams,
          headers: IdempotencyHeaders,
          body,
          response: { 201: JournalEntryView },
        },
      },
      (request, reply) => write(kind, request as never, reply),
    );

  writeRoute('/assets/:id/mint', 'mint', MintBody, 'Issue new units to a verified investor');
  writeRoute('/assets/:id/transfers', 'transfer', TransferBody, 'Move units between verified investors');
  writeRoute('/assets/:id/burn', 'burn', BurnBody, 'Destroy units held by an investor');
  writeRoute(
    '/assets/:id/redeem',
    'redeem',
    BurnBody,
    'Redeem units held by an investor (removes them from supply)',
  );

  app.get(
    '/assets/:id/holders',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Balances of every holder',
        params: IdParams,
        response: { 200: HoldersView },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      return sendJsonText(
        reply as FastifyReply,
        await reads.readJson('holders', id, () => ledger.holders(id)),
      );
    },
  );

  app.get(
    '/assets/:id/journal',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Ledger journal, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: JournalPage },
      },
    },
    async (request) => ledger.journal(request.params.id, pageLimit(request.query), request.query.cursor),
  );
}
