import type { Database } from '../../adapters/postgres/database.ts';
import type { Actor } from '../../domain/identity.ts';
import type { Holders, JournalEntry } from '../../domain/ledger.ts';
import { errors } from '../../errors.ts';
import { Batcher } from '../batcher.ts';
import { CURSOR_SEQ, decodeCursor, type Page, page } from '../pagination.ts';
import { type LedgerWrite, partiesOf, type TransferRequest } from './planner.ts';
import { entryFromRow, type JournalRow } from './rows.ts';
import { LedgerStateCache } from './state-cache.ts';
import { assetExists, holders, journalPage } from './statements/reads.ts';
import { type LedgerObserver, type LedgerWriteResult, LedgerWriter } from './writer.ts';

// The ledger's store: one facade over the planner (planner.ts, pure), the per-replica state cache
// (state-cache.ts), the statements (statements/, each beside its parameters) and the writer (writer.ts).

export type { LedgerWrite } from './planner.ts';
export type { LedgerObserver, LedgerWriteResult } from './writer.ts';

export class LedgerStore {
  private readonly stateCache = new LedgerStateCache();
  private readonly writer: LedgerWriter;

  /**
   * Transfers go through group commit: the ones that arrive while a batch is being written are applied
   * together in the next. One batch at a time per process: the next batch is planned from what the last one
   * wrote (LedgerStateCache), which two batches in flight could not do; one larger batch also carried
   * more transfers than two smaller ones in flight (figures in docs/operations.md).
   */
  private readonly transfers: Batcher<TransferRequest, LedgerWriteResult>;

  constructor(
    private readonly db: Database,
    observer: LedgerObserver = { batch: () => undefined, retried: () => undefined },
  ) {
    this.writer = new LedgerWriter(db, this.stateCache, observer);
    this.transfers = new Batcher((batch) => this.writer.applyTransfers(batch), {
      maxConcurrent: 1,
      maxSize: 64,
    });
  }

  /** Resolves when no transfer batch is queued or running (called before the pool closes). */
  drain(): Promise<void> {
    return this.transfers.idle();
  }

  /**
   * Applies one ledger write exactly once per (caller, idempotency key).
   *
   * Transfers are batched (LedgerWriter.applyTransfers); mints, burns and redemptions change the asset's
   * supply and take the locked path one by one. Both decide with the same pure planLedgerWrite, and both
   * commit the write together with its idempotency key.
   */
  async write(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    if (input.kind === 'transfer') return this.transfers.submit({ input, actor });
    try {
      return await this.writer.writeLocked(input, actor);
    } finally {
      // The write moved a balance and the asset's supply (its row version): the next batch reads them.
      this.stateCache.forget(partiesOf([{ input, actor }]));
    }
  }

  async holders(assetId: string): Promise<Holders> {
    const { rows } = await this.db.query<{
      total_supply: string;
      investor_id: string | null;
      amount: string | null;
    }>(holders(assetId));
    if (!rows[0]) throw errors.assetNotFound(assetId);
    return {
      assetId,
      totalSupply: BigInt(rows[0].total_supply),
      holders: rows
        .filter((r) => r.investor_id !== null)
        .map((r) => ({ investorId: r.investor_id!, balance: BigInt(r.amount!) })),
    };
  }

  async journal(assetId: string, limit: number, cursor?: string): Promise<Page<JournalEntry>> {
    const before = decodeCursor(cursor, [CURSOR_SEQ]);
    const exists = await this.db.query(assetExists(assetId));
    if (exists.rowCount === 0) throw errors.assetNotFound(assetId);
    const { rows } = await this.db.query<JournalRow>(journalPage(assetId, limit + 1, before?.[0]));
    const seqById = new Map(rows.map((r) => [r.id, r.seq]));
    return page(rows.map(entryFromRow), limit, (e) => [seqById.get(e.id)!]);
  }
}
