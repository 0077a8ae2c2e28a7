// The failover tests' client workload and ledger checks are the drills' own (@dalp/drill: one copy of the
// measuring code); this file adds the assertions the tests make with them.
import assert from 'node:assert/strict';
import {
  acknowledgedOf,
  type LedgerWorkloadResult,
  median,
  runLedgerWorkload,
  type Sql,
  sqlLedgerReader,
  verifyLedger,
  watchReadiness,
} from '@dalp/drill';

export { type LedgerWorkloadResult, median, runLedgerWorkload, watchReadiness };

/**
 * The drill's verdict on the data: every acknowledged transfer is in the journal exactly once (no lost
 * acknowledged write, no double application after retries), and the books balance.
 */
export async function assertLedgerIntact(svc: { sql: Sql }, assetId: string, result: LedgerWorkloadResult) {
  const findings = await verifyLedger(sqlLedgerReader(svc.sql), assetId, acknowledgedOf(result.attempts));
  const lost = findings.lost.map((l) => l.key);
  assert.deepEqual(lost, [], `${lost.length} acknowledged writes are missing from the journal`);
  assert.equal(findings.duplicates, 0, 'each acknowledged write applied exactly once');
  assertBalanced(findings.books);
}

/** The ledger invariant, read straight from the tables: balances sum to the supply, none below zero. */
export async function assertBooksBalance(svc: { sql: Sql }, assetId: string) {
  assertBalanced(await sqlLedgerReader(svc.sql).books(assetId));
}

function assertBalanced(books: { totalSupply: string; sumOfBalances: string; negativeBalances: number }) {
  assert.equal(books.sumOfBalances, books.totalSupply, 'sum of balances equals total supply');
  assert.equal(books.negativeBalances, 0, 'no balance below zero');
}
