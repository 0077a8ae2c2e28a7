import type { QueryConfig } from 'pg';
import type { Actor } from '../../../domain/identity.ts';

// The ledger's reads: a key's stored result, an asset's holders, a page of its journal.

/** The key row and the journal entry it produced (a StoredKey). */
export const replay = (actor: Actor, idempotencyKey: string): QueryConfig => ({
  name: 'ledger-replay',
  // The stored result is the journal entry itself, so the key row holds a reference, not a copy of it.
  text: `SELECT k.request_hash, j.* FROM idempotency_keys k LEFT JOIN journal j ON j.id = k.journal_id
       WHERE k.principal_id = $1 AND k.key = $2`,
  values: [actor.principalId, idempotencyKey],
});

/** The asset's supply, and one row per positive balance (none, with nulls, for an asset without holders). */
export const holders = (assetId: string): QueryConfig => ({
  text: `SELECT a.total_supply, b.investor_id, b.amount
       FROM assets a LEFT JOIN balances b ON b.asset_id = a.id AND b.amount > 0
       WHERE a.id = $1 ORDER BY b.investor_id`,
  values: [assetId],
});

export const assetExists = (assetId: string): QueryConfig => ({
  text: 'SELECT 1 FROM assets WHERE id = $1',
  values: [assetId],
});

/** Up to `rows` JournalRows, newest first, before the sequence number `beforeSeq` when given. */
export const journalPage = (assetId: string, rows: number, beforeSeq?: string): QueryConfig =>
  beforeSeq === undefined
    ? {
        text: 'SELECT * FROM journal WHERE asset_id = $1 ORDER BY seq DESC LIMIT $2',
        values: [assetId, rows],
      }
    : {
        text: 'SELECT * FROM journal WHERE asset_id = $1 AND seq < $3::bigint ORDER BY seq DESC LIMIT $2',
        values: [assetId, rows, beforeSeq],
      };
