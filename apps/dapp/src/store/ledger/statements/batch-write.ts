import type { QueryConfig } from 'pg';
import { pgArray } from '../../../adapters/postgres/array-literal.ts';
import type { LedgerSnapshot, PlannedBatch } from '../planner.ts';
import { openAndJournal, openAndJournalValues } from './open-and-journal.ts';

// Keys are claimed by a plain INSERT: a key used meanwhile fails the statement on the primary key
// (lostRace), which costs less than ON CONFLICT's speculative insertion on every key. The claim count
// comes first in the final SELECT, so keys are claimed before balances, like the locked path.
const TEXT = `WITH ${openAndJournal(1)}, claim AS (
         INSERT INTO idempotency_keys (principal_id, key, request_hash, journal_id)
         SELECT e.actor, e.key, h.request_hash, e.id
         FROM e JOIN unnest($14::text[]) WITH ORDINALITY AS h(request_hash, n) USING (n)
         ORDER BY 1, 2
         RETURNING 1
       ), moved AS (
         UPDATE balances b SET amount = v.amount
         FROM unnest($15::uuid[], $16::uuid[], $17::numeric[], $18::numeric[]) AS v(asset_id, investor_id, was, amount)
         WHERE b.asset_id = v.asset_id AND b.investor_id = v.investor_id AND b.amount = v.was
         RETURNING 1
       )
       SELECT CASE WHEN (SELECT count(*) FROM claim) = cardinality($14::text[])
                    AND (SELECT count(*) FROM moved) = cardinality($15::uuid[])
                    AND (SELECT count(*) FROM unnest($19::uuid[], $20::xid[]) AS v(id, version)
                         JOIN assets a ON a.id = v.id AND a.xmin = v.version) = cardinality($19::uuid[])
                    AND (SELECT count(*) FROM unnest($21::uuid[], $22::xid[]) AS v(id, version)
                         JOIN investors i ON i.id = v.id AND i.xmin = v.version) = cardinality($21::uuid[])
                   THEN true ELSE ledger_state_changed() END`;

/**
 * The optimistic write: every balance, journal entry, audit row and idempotency key of the batch in one
 * statement, which aborts as a whole unless every fact the plan used still holds: each key still free
 * (else its INSERT fails on the primary key), and through ledger_state_changed() each balance still at
 * the amount planned from, each asset and investor still at the row version read.
 */
export const batchWrite = (batch: PlannedBatch, snapshot: LedgerSnapshot): QueryConfig => ({
  name: 'ledger-batch-write',
  text: TEXT,
  values: [
    ...openAndJournalValues(batch),
    batch.applied.map(({ request }) => request.input.requestHash),
    batch.updated.map((u) => u.assetId),
    batch.updated.map((u) => u.investorId),
    batch.updated.map((u) => u.was),
    batch.updated.map((u) => u.amount),
    [...snapshot.assets.keys()],
    [...snapshot.assets.values()].map((a) => a.version),
    [...snapshot.investors.keys()],
    [...snapshot.investors.values()].map((i) => i.version),
  ].map(pgArray),
});
