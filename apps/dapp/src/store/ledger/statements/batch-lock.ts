import type { QueryConfig } from 'pg';
import { pgArray } from '../../../adapters/postgres/array-literal.ts';
import type { Parties, TransferRequest } from '../planner.ts';
import { stateColumns, stateParameters } from './state-columns.ts';

const TEXT = `WITH claim AS (
         INSERT INTO idempotency_keys (principal_id, key, request_hash)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ORDER BY 1, 2
         ON CONFLICT DO NOTHING RETURNING principal_id, key
       ), locked AS (
         SELECT b.asset_id, b.investor_id, b.amount
         FROM unnest($4::uuid[], $5::uuid[]) AS p(asset_id, investor_id)
         JOIN balances b ON b.asset_id = p.asset_id AND b.investor_id = p.investor_id
         ORDER BY b.asset_id, b.investor_id FOR UPDATE OF b
       )
       SELECT
         (SELECT json_agg(json_build_array(principal_id, key)) FROM claim) AS keys,
         (SELECT json_agg(json_build_array(asset_id, investor_id, amount::text)) FROM locked) AS balances,
         ${stateColumns('$6', '$7')}`;

/**
 * The locked batch path's first statement (one BatchStateRow): claims every free key and locks the balance
 * rows that exist, in (asset, investor) order so that concurrent batches and single writes never deadlock
 * on balances.
 */
export const batchLock = (requests: TransferRequest[], parties: Parties): QueryConfig => ({
  name: 'ledger-batch-lock',
  text: TEXT,
  values: [
    requests.map((r) => r.actor.principalId),
    requests.map((r) => r.input.idempotencyKey),
    requests.map((r) => r.input.requestHash),
    ...stateParameters(parties),
  ].map(pgArray),
});
