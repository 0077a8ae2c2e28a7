import type { QueryConfig } from 'pg';
import type { Asset } from '../../../domain/assets.ts';
import type { Actor } from '../../../domain/identity.ts';
import type { JournalEntry, LedgerPlan } from '../../../domain/ledger.ts';

const TEXT = `WITH moved AS (
           UPDATE balances b SET amount = v.amount::numeric
           FROM unnest($2::uuid[], $3::text[]) AS v(investor_id, amount)
           WHERE b.asset_id = $1 AND b.investor_id = ANY($2::uuid[]) AND b.investor_id = v.investor_id
         ), supply AS (
           UPDATE assets SET total_supply = $4::numeric, updated_at = now() WHERE id = $1 AND $5::boolean
         ), entry AS (
           INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                                idempotency_key, actor, request_id, created_at)
           VALUES ($6, $1, $7, $8, $9, $10, $4::numeric, $11, $12, $13, $14)
         ), audit AS (
           INSERT INTO audit_log (actor, action, entity_type, entity_id, request_id, details)
           VALUES ($12, $15, 'journal', $6, $13, $16)
         )
         UPDATE idempotency_keys SET journal_id = $6 WHERE principal_id = $12 AND key = $11`;

/** A single write's every change in one statement: balances, supply, journal, audit, the key's result. */
export const apply = (
  asset: Asset,
  plan: LedgerPlan,
  entry: JournalEntry,
  idempotencyKey: string,
  actor: Actor,
): QueryConfig => ({
  name: 'ledger-apply',
  text: TEXT,
  values: [
    asset.id,
    [...plan.balances.keys()],
    [...plan.balances.values()].map(String),
    entry.totalSupply,
    plan.totalSupply !== asset.totalSupply,
    entry.id,
    entry.kind,
    entry.from,
    entry.to,
    entry.amount,
    idempotencyKey,
    actor.principalId,
    actor.requestId,
    entry.createdAt,
    `ledger.${entry.kind}`,
    JSON.stringify({ assetId: asset.id, amount: String(entry.amount) }),
  ],
});
