import type { PlannedBatch } from '../planner.ts';

/**
 * The writes both batch paths share, as CTEs of their write statement starting at parameter `$first`:
 * balance rows opened by the batch (an upsert adding what the party received) and, per applied transfer,
 * its journal entry and audit row, in arrival order.
 */
export const openAndJournal = (first: number) => {
  const p = (n: number) => `$${first + n}`;
  return `opened AS (
    INSERT INTO balances (asset_id, investor_id, amount)
    SELECT * FROM unnest(${p(0)}::uuid[], ${p(1)}::uuid[], ${p(2)}::numeric[]) ORDER BY 1, 2
    ON CONFLICT (asset_id, investor_id) DO UPDATE SET amount = balances.amount + EXCLUDED.amount
  ), e AS (
    SELECT * FROM unnest(${p(3)}::uuid[], ${p(4)}::uuid[], ${p(5)}::uuid[], ${p(6)}::uuid[], ${p(7)}::numeric[],
      ${p(8)}::numeric[], ${p(9)}::text[], ${p(10)}::uuid[], ${p(11)}::text[], ${p(12)}::timestamptz[])
      WITH ORDINALITY AS e(id, asset_id, from_investor, to_investor, amount, total_supply, key, actor,
                           request_id, created_at, n)
  ), entries AS (
    INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                         idempotency_key, actor, request_id, created_at)
    SELECT id, asset_id, 'transfer', from_investor, to_investor, amount, total_supply, key, actor,
           request_id, created_at FROM e ORDER BY n
  ), audit AS (
    INSERT INTO audit_log (actor, action, entity_type, entity_id, request_id, details)
    SELECT actor, 'ledger.transfer', 'journal', id::text, request_id,
           jsonb_build_object('assetId', asset_id, 'amount', amount::text) FROM e ORDER BY n
  )`;
};

/** The thirteen parameters of openAndJournal, in its order. */
export const openAndJournalValues = ({ opened, applied }: PlannedBatch) => [
  opened.map((o) => o.assetId),
  opened.map((o) => o.investorId),
  opened.map((o) => o.amount),
  applied.map(({ entry }) => entry.id),
  applied.map(({ entry }) => entry.assetId),
  applied.map(({ entry }) => entry.from),
  applied.map(({ entry }) => entry.to),
  applied.map(({ entry }) => entry.amount),
  applied.map(({ entry }) => entry.totalSupply),
  applied.map(({ request }) => request.input.idempotencyKey),
  applied.map(({ request }) => request.actor.principalId),
  applied.map(({ request }) => request.actor.requestId),
  applied.map(({ entry }) => entry.createdAt),
];
