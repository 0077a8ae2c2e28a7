import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LedgerKind } from '../../domain/ledger.ts';
import { actorOf } from '../plugins/auth.ts';
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
import { holdersView, journalEntryView, pageView } from '../views.ts';
import { type RouteContext, sendJsonText, typed } from './context.ts';

export async function ledgerRoutes(fastify: FastifyInstance, { runtime, reads }: RouteContext) {
  const app = typed(fastify);
  const { ledger } = runtime.stores;
  const writes = runtime.useCases.ledger;

  const write = async (
    kind: LedgerKind,
    request: FastifyRequest<{ Params: { id: string }; Body: { from?: string; to?: string; amount: string } }>,
    reply: FastifyReply,
  ) => {
    const result = await writes.write(
      {
        kind,
        assetId: request.params.id,
        body: request.body,
        idempotencyKey: request.headers['idempotency-key'] as string | undefined,
        method: request.method,
        url: request.url,
      },
      actorOf(request),
    );
    return reply
      .code(201)
      .header('idempotent-replayed', String(result.replayed))
      .send(journalEntryView(result.entry));
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
      const text = await reads.readJson('holders', id, async () => holdersView(await ledger.holders(id)));
      return sendJsonText(reply as FastifyReply, text);
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
    async (request) =>
      pageView(
        await ledger.journal(request.params.id, pageLimit(request.query), request.query.cursor),
        journalEntryView,
      ),
  );
}
