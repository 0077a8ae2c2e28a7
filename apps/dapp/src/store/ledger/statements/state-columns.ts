import type { Parties } from '../planner.ts';

/**
 * The assets and investors of a batch, with their row versions (xmin), as JSON columns of its state read;
 * `assetIds` and `investorIds` are the parameters ($n) holding their ids.
 */
export const stateColumns = (assetIds: string, investorIds: string) => `
  (SELECT json_agg(json_build_object('version', a.xmin::text, 'id', a.id, 'symbol', a.symbol, 'name', a.name,
     'type', a.type, 'decimals', a.decimals, 'max_supply', a.max_supply::text,
     'total_supply', a.total_supply::text, 'allowed_countries', a.allowed_countries, 'details', a.details,
     'status', a.status, 'created_at', a.created_at, 'updated_at', a.updated_at))
   FROM assets a WHERE a.id = ANY(${assetIds}::uuid[])) AS assets,
  (SELECT json_agg(json_build_object('version', i.xmin::text, 'id', i.id, 'name', i.name, 'country', i.country,
     'kyc_status', i.kyc_status, 'created_at', i.created_at, 'updated_at', i.updated_at))
   FROM unnest(${investorIds}::uuid[]) AS p(id) JOIN investors i ON i.id = p.id) AS investors`;

/**
 * A batch's state parameters, in the order both state reads take them: the (asset, investor) pairs whose
 * balances it reads, as two arrays, then the asset ids and the investor ids for stateColumns.
 */
export const stateParameters = (parties: Parties): string[][] => [
  parties.pairs.map((p) => p.assetId),
  parties.pairs.map((p) => p.investorId),
  parties.assetIds,
  parties.investorIds,
];
