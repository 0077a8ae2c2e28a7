import { parseAmount } from '../domain/amounts.ts';
import type { Actor } from '../domain/identity.ts';
import type { LedgerKind } from '../domain/ledger.ts';
import { errors, isRefusal } from '../errors.ts';
import type { ReadCache } from '../read-cache.ts';
import type { LedgerStore, LedgerWriteResult } from '../store/ledger/index.ts';
import { requestHash } from './request-hash.ts';

export type LedgerOutcome = 'applied' | 'replayed' | 'rejected' | 'failed';

export interface LedgerWriteRequest {
  kind: LedgerKind;
  assetId: string;
  body: { from?: string; to?: string; amount: string };
  idempotencyKey: string | undefined;
  /** The request the key is bound to, with `body`: the same key with another request is misuse. */
  method: string;
  url: string;
}

/**
 * A ledger write as the API takes it: an idempotency key it is bound to, an amount to parse, the write
 * itself (exactly once per key), its outcome counted, and the cached reads it changed invalidated.
 */
export class LedgerWrites {
  constructor(
    private readonly ledger: LedgerStore,
    private readonly reads: ReadCache,
    private readonly outcome: (kind: LedgerKind, outcome: LedgerOutcome) => void,
  ) {}

  async write(request: LedgerWriteRequest, actor: Actor): Promise<LedgerWriteResult> {
    const { kind, assetId, body, idempotencyKey } = request;
    if (idempotencyKey === undefined) throw errors.idempotencyKeyRequired();
    try {
      const result = await this.ledger.write(
        {
          assetId,
          kind,
          from: body.from,
          to: body.to,
          amount: parseAmount(body.amount, 'amount'),
          idempotencyKey,
          requestHash: requestHash(request.method, request.url, body),
        },
        actor,
      );
      this.outcome(kind, result.replayed ? 'replayed' : 'applied');
      if (!result.replayed) {
        // A transfer leaves the asset row (and its total supply) as it was: only holders change.
        if (kind !== 'transfer') await this.reads.invalidate('asset', [assetId]);
        await this.reads.invalidate('holders', [assetId]);
      }
      return result;
    } catch (error) {
      this.outcome(kind, isRefusal(error) ? 'rejected' : 'failed');
      throw error;
    }
  }
}
