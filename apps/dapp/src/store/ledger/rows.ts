import type { JournalEntry, LedgerKind } from '../../domain/ledger.ts';
import { type AssetRow, assetFromRow } from '../assets.ts';
import { type InvestorRow, investorFromRow } from '../investors.ts';
import { keyOf, type LedgerSnapshot, type Parties } from './planner.ts';

// The rows the ledger's statements return, and what they become.

export interface JournalRow {
  seq: string;
  id: string;
  asset_id: string;
  kind: LedgerKind;
  from_investor: string | null;
  to_investor: string | null;
  amount: string;
  total_supply: string | null;
  created_at: Date;
}

export function entryFromRow(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    assetId: row.asset_id,
    kind: row.kind,
    from: row.from_investor,
    to: row.to_investor,
    amount: BigInt(row.amount),
    // Transfers written before migration 0002 still hold a supply, possibly stale: never reported.
    totalSupply: row.kind === 'transfer' || row.total_supply === null ? null : BigInt(row.total_supply),
    createdAt: row.created_at.toISOString(),
  };
}

/** An idempotency record and the journal entry it produced (null while its transaction is in flight). */
export type StoredKey = { request_hash: string } & (JournalRow | { [K in keyof JournalRow]: null });

type Timestamped<T> = Omit<T, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

/** The one row a batch reads: JSON columns, numerics as text (JSON numbers would lose digits). */
export interface BatchStateRow {
  keys: Array<[string, string]> | null;
  balances: Array<[string, string, string]> | null;
  assets: Array<Timestamped<AssetRow> & { version: string }> | null;
  investors: Array<Timestamped<InvestorRow> & { version: string }> | null;
}

/** The (caller, idempotency key) pairs of a state row, as keyOf() spells them. */
export const keySet = (keys: BatchStateRow['keys']) =>
  new Set((keys ?? []).map(([principal, key]) => keyOf(principal, key)));

export function snapshotOf(state: BatchStateRow, parties: Parties): LedgerSnapshot {
  const snapshot: LedgerSnapshot = { assets: new Map(), investors: new Map(), balances: new Map() };
  for (const { version, ...a } of state.assets ?? []) {
    const asset = assetFromRow({
      ...a,
      created_at: new Date(a.created_at),
      updated_at: new Date(a.updated_at),
    });
    snapshot.assets.set(a.id, { asset, version });
  }
  for (const { version, ...i } of state.investors ?? []) {
    const investor = investorFromRow({
      ...i,
      created_at: new Date(i.created_at),
      updated_at: new Date(i.updated_at),
    });
    snapshot.investors.set(i.id, { investor, version });
  }
  for (const { key } of parties.pairs) snapshot.balances.set(key, null);
  for (const [assetId, investorId, amount] of state.balances ?? []) {
    snapshot.balances.set(`${assetId}:${investorId}`, BigInt(amount));
  }
  return snapshot;
}
