import type { QueryConfig } from 'pg';
import { pgArray } from '../../../adapters/postgres/array-literal.ts';
import type { Parties, TransferRequest } from '../planner.ts';
import { stateColumns, stateParameters } from './state-columns.ts';

const TEXT = `SELECT
         (SELECT json_agg(json_build_array(k.principal_id, k.key))
          FROM unnest($1::uuid[], $2::text[]) AS r(principal_id, key)
          JOIN idempotency_keys k ON k.principal_id = r.principal_id AND k.key = r.key) AS keys,
         (SELECT json_agg(json_build_array(b.asset_id, b.investor_id, b.amount::text))
          FROM unnest($3::uuid[], $4::uuid[]) AS p(asset_id, investor_id)
          JOIN balances b ON b.asset_id = p.asset_id AND b.investor_id = p.investor_id) AS balances,
         ${stateColumns('$5', '$6')}`;

/** The optimistic path's read (one BatchStateRow): used keys, existing balances, parties with versions. */
export const batchRead = (requests: TransferRequest[], parties: Parties): QueryConfig => ({
  name: 'ledger-batch-read',
  text: TEXT,
  values: [
    requests.map((r) => r.actor.principalId),
    requests.map((r) => r.input.idempotencyKey),
    ...stateParameters(parties),
  ].map(pgArray),
});
