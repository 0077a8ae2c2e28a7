import type { QueryConfig } from 'pg';
import type { Actor } from '../../../domain/identity.ts';
import type { LedgerWrite } from '../planner.ts';

const text = (assetLock: string) => `WITH claim AS (
           INSERT INTO idempotency_keys (principal_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING 1
         ), ensure AS (
           INSERT INTO balances (asset_id, investor_id, amount)
           SELECT a.id, i.id, 0 FROM assets a JOIN investors i ON i.id = ANY($5::uuid[])
           WHERE a.id = $4 AND EXISTS (SELECT 1 FROM claim) ORDER BY i.id
           ON CONFLICT DO NOTHING
         )
         SELECT a.*, EXISTS (SELECT 1 FROM claim) AS claimed FROM assets a WHERE a.id = $4 ${assetLock}`;
const READ = text('');
// NO KEY UPDATE, not UPDATE: it still serialises mints and burns of one asset, but unlike FOR UPDATE it does
// not block the KEY SHARE lock the balances foreign key takes on the asset when a transfer opens a balance
// row. With FOR UPDATE that transfer, already holding its sender's balance, waited for the asset while the
// mint or burn holding the asset waited for that balance: a deadlock (issue 20, test/integration/
// concurrency.test.ts). Nothing changes an asset's id, so no stronger lock is ever needed.
const LOCK = text('FOR NO KEY UPDATE');

/**
 * A single write's first statement: claims the key, makes sure the parties' balance rows exist (so they can
 * be locked), and reads the asset (an AssetRow with `claimed`), locking it when `lockAsset`.
 */
export const claim = (
  input: LedgerWrite,
  actor: Actor,
  partyIds: string[],
  lockAsset: boolean,
): QueryConfig => ({
  name: lockAsset ? 'ledger-claim-lock' : 'ledger-claim',
  text: lockAsset ? LOCK : READ,
  values: [actor.principalId, input.idempotencyKey, input.requestHash, input.assetId, partyIds],
});
