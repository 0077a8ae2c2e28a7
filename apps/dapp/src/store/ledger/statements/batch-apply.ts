import type { QueryConfig } from 'pg';
import { pgArray } from '../../../adapters/postgres/array-literal.ts';
import type { PlannedBatch } from '../planner.ts';
import { openAndJournal, openAndJournalValues } from './open-and-journal.ts';

const TEXT = `WITH released AS (
         DELETE FROM idempotency_keys k USING unnest($1::uuid[], $2::text[]) AS r(principal_id, key)
         WHERE k.principal_id = r.principal_id AND k.key = r.key
       ), keyed AS (
         UPDATE idempotency_keys k SET journal_id = v.journal_id
         FROM unnest($3::uuid[], $4::text[], $5::uuid[]) AS v(principal_id, key, journal_id)
         WHERE k.principal_id = v.principal_id AND k.key = v.key
       ), moved AS (
         UPDATE balances b SET amount = v.amount
         FROM unnest($6::uuid[], $7::uuid[], $8::numeric[]) AS v(asset_id, investor_id, amount)
         WHERE b.asset_id = v.asset_id AND b.investor_id = v.investor_id
       ), ${openAndJournal(9)}
       SELECT 1`;

/**
 * The locked batch path's write, under the locks batchLock took: every write of the batch, the journal
 * reference of each applied key, and the release of the keys of refused transfers.
 */
export const batchApply = (batch: PlannedBatch): QueryConfig => ({
  name: 'ledger-batch-apply',
  text: TEXT,
  values: [
    batch.refused.map((r) => r.actor.principalId),
    batch.refused.map((r) => r.input.idempotencyKey),
    batch.applied.map(({ request }) => request.actor.principalId),
    batch.applied.map(({ request }) => request.input.idempotencyKey),
    batch.applied.map(({ entry }) => entry.id),
    batch.updated.map((u) => u.assetId),
    batch.updated.map((u) => u.investorId),
    batch.updated.map((u) => u.amount),
    ...openAndJournalValues(batch),
  ].map(pgArray),
});
