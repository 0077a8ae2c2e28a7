import type { QueryConfig } from 'pg';

// Both sides filtered by their primary key: prepared statements run a generic plan after five
// executions, and with `i.id = b.investor_id` alone that plan scanned every balance of the asset.
const TEXT = `SELECT i.*, b.amount FROM balances b JOIN investors i ON i.id = b.investor_id
         WHERE b.asset_id = $1 AND b.investor_id = ANY($2::uuid[]) AND i.id = ANY($2::uuid[])
         ORDER BY b.investor_id FOR UPDATE OF b`;

/** A single write's parties with their balances (InvestorRow and amount), balance rows locked in id order. */
export const lockParties = (assetId: string, partyIds: string[]): QueryConfig => ({
  name: 'ledger-lock-parties',
  text: TEXT,
  values: [assetId, partyIds],
});
