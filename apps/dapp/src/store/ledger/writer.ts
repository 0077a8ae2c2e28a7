import type { Database, Queryable } from '../../adapters/postgres/database.ts';
import { isUniqueViolation, isWriteConflict } from '../../adapters/postgres/sqlstate.ts';
import type { Actor } from '../../domain/identity.ts';
import { type JournalEntry, planLedgerWrite } from '../../domain/ledger.ts';
import { errors } from '../../errors.ts';
import { type AssetRow, assetFromRow } from '../assets.ts';
import type { Settled } from '../batcher.ts';
import { type InvestorRow, investorFromRow } from '../investors.ts';
import {
  type LedgerSnapshot,
  type LedgerWrite,
  newEntry,
  type Parties,
  type PlannedBatch,
  partiesOf,
  planTransfers,
  requestKey,
  type TransferDecision,
  type TransferRequest,
} from './planner.ts';
import { type BatchStateRow, entryFromRow, keySet, type StoredKey, snapshotOf } from './rows.ts';
import type { LedgerStateCache } from './state-cache.ts';
import { apply } from './statements/apply.ts';
import { batchApply } from './statements/batch-apply.ts';
import { batchLock } from './statements/batch-lock.ts';
import { batchRead } from './statements/batch-read.ts';
import { batchWrite } from './statements/batch-write.ts';
import { claim } from './statements/claim.ts';
import { lockParties } from './statements/lock-parties.ts';
import { replay } from './statements/reads.ts';

export interface LedgerWriteResult {
  entry: JournalEntry;
  replayed: boolean;
}

/** What the ledger reports about its batches (the service wires these to Prometheus). */
export interface LedgerObserver {
  batch(transfers: number): void;
  retried(reason: 'stale_cache' | 'conflict'): void;
}

/**
 * The optimistic write lost a race: a fact it was planned from changed (ledger_state_changed(), a
 * serialization failure or a deadlock), or a key it claims was used meanwhile (its plain INSERT hit the
 * primary key). Either way the batch is planned again from fresh state.
 */
function lostRace(error: unknown): boolean {
  return isWriteConflict(error) || isUniqueViolation(error, 'idempotency_keys_pkey');
}

const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

/**
 * Writes ledger changes to PostgreSQL, each exactly once per (caller, idempotency key): batches of
 * transfers optimistically, then under row locks, then one by one; every other write one by one under row
 * locks. Every path plans with the pure planner and commits a write together with its idempotency key.
 */
export class LedgerWriter {
  constructor(
    private readonly db: Database,
    private readonly stateCache: LedgerStateCache,
    private readonly observer: LedgerObserver,
  ) {}

  /**
   * A batch of transfers, decided together. The transfers are planned in code one after the other, in
   * arrival order, each against the balances the ones before it left; a refused transfer (a rule, an unknown
   * party) only refuses itself. Its key is not kept, as if it had never been tried.
   *
   * First optimistically, without an explicit transaction: planned from what this replica's last batches
   * wrote (LedgerStateCache) or, when that does not cover the batch, from one read; then written by one
   * statement that changes nothing unless every fact the plan used still holds (each balance's amount, each
   * asset's and investor's row version, each key still free): otherwise ledger_state_changed(), or the key's
   * primary key, aborts it whole (lostRace). A conflict on cached state reads afresh and tries once more;
   * a conflict on fresh state goes to row locks in one transaction (applyTransfersLocked).
   *
   * Why: per transfer, the round trips to PostgreSQL (each a socket write, a wake-up on both sides and a wait
   * behind other requests in the event loop) and the commit's WAL flush were most of the cost; a batch pays
   * them once, usually in a single statement (two after a cache miss, four on the locked path). A receiver
   * without a balance row yet is given one by an upsert that adds what it received: credits commute, and a
   * balance only ever goes down from a row whose amount the statement checked.
   *
   * A transfer whose key was already used answers from the stored result; a second request with the same
   * key inside one batch takes the locked path after it. If a batch fails for anything but a lost
   * connection or a conflict, each transfer is retried alone on the locked path, so one transfer that breaks
   * a statement cannot fail its neighbours.
   */
  async applyTransfers(batch: TransferRequest[]): Promise<Array<Settled<LedgerWriteResult>>> {
    // Position among the leaders (the first request of each key), by key.
    const leaderOf = new Map<string, number>();
    const leaders: TransferRequest[] = [];
    for (const r of batch) {
      if (leaderOf.has(requestKey(r))) continue;
      leaderOf.set(requestKey(r), leaders.length);
      leaders.push(r);
    }

    this.observer.batch(leaders.length);
    const parties = partiesOf(leaders);
    let decisions: TransferDecision[];
    try {
      decisions = await this.applyTransfersOptimistic(leaders, parties).catch((error: unknown) => {
        if (!lostRace(error)) throw error;
        this.observer.retried('conflict');
        this.stateCache.forget(parties);
        return this.db.transaction((tx) => this.applyTransfersLocked(tx, leaders, parties));
      });
    } catch (error) {
      if (errors.databaseUnavailable.is(error) || leaders.length === 1) throw error;
      return Promise.all(batch.map((r) => settle(this.writeLocked(r.input, r.actor))));
    }
    return Promise.all(
      batch.map(async (r): Promise<Settled<LedgerWriteResult>> => {
        const position = leaderOf.get(requestKey(r))!;
        if (leaders[position] !== r) return settle(this.writeLocked(r.input, r.actor));
        const decision = decisions[position]!;
        if (decision.kind === 'applied')
          return { ok: true, value: { entry: decision.entry, replayed: false } };
        if (decision.kind === 'refused') return { ok: false, error: decision.error };
        return settle(this.replayStored(r.input, r.actor));
      }),
    );
  }

  private async applyTransfersOptimistic(
    requests: TransferRequest[],
    parties: Parties,
  ): Promise<TransferDecision[]> {
    const cached = this.stateCache.snapshot(parties);
    if (cached) {
      const batch = planTransfers(cached, requests, parties, () => true);
      if (batch.refused.length === 0) {
        try {
          await this.writeBatch(batch, cached);
          this.stateCache.wrote(batch);
          return batch.decisions;
        } catch (error) {
          // Stale (another writer moved a balance or changed a party) or a key used before: read afresh.
          if (!lostRace(error)) throw error;
          this.observer.retried('stale_cache');
        }
      }
      this.stateCache.forget(parties);
    }

    const { rows } = await this.db.query<BatchStateRow>(batchRead(requests, parties));
    const snapshot = snapshotOf(rows[0]!, parties);
    this.stateCache.learn(snapshot);
    const used = keySet(rows[0]!.keys);
    const batch = planTransfers(snapshot, requests, parties, (r) => !used.has(requestKey(r)));
    if (batch.applied.length === 0) return batch.decisions;
    await this.writeBatch(batch, snapshot);
    this.stateCache.wrote(batch);
    return batch.decisions;
  }

  private async writeBatch(batch: PlannedBatch, snapshot: LedgerSnapshot): Promise<void> {
    await this.db.query(batchWrite(batch, snapshot));
  }

  /**
   * The batch again under row locks, in one transaction of four round trips: BEGIN; one statement claims
   * every key and locks the balance rows that exist (batchLock); one statement writes everything and
   * releases the claims of refused transfers (batchApply); COMMIT.
   */
  private async applyTransfersLocked(
    tx: Queryable,
    requests: TransferRequest[],
    parties: Parties,
  ): Promise<TransferDecision[]> {
    const { rows } = await tx.query<BatchStateRow>(batchLock(requests, parties));
    const claimed = keySet(rows[0]!.keys);
    const batch = planTransfers(snapshotOf(rows[0]!, parties), requests, parties, (r) =>
      claimed.has(requestKey(r)),
    );
    if (batch.applied.length === 0 && batch.refused.length === 0) return batch.decisions;
    await tx.query(batchApply(batch));
    return batch.decisions;
  }

  /**
   * The locked path. The key is claimed by an INSERT in the same transaction as the write: a concurrent
   * request with the same key blocks on that row until the first commits (then replays its stored result) or
   * rolls back (then claims the key itself). A connection lost mid-way rolls everything back, key included,
   * so a client retry after a failover is applied once. Rows are locked asset first, then balances in
   * investor id order, so concurrent writes never deadlock on each other. The asset's lock (FOR NO KEY
   * UPDATE, statements/claim.ts) leaves alone the foreign-key checks of transfers, which take balances first
   * and the asset after.
   */
  async writeLocked(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const partyIds = [
      ...new Set([input.from, input.to].filter((id): id is string => id !== undefined)),
    ].sort();
    // Supply-changing writes lock the asset row. Transfers only read it: a status change committing while a
    // transfer runs simply orders after it (the transfer read the asset first), and locking one hot row from
    // every transfer would serialize them all on it.
    const lockAsset = input.kind !== 'transfer';

    // Four round trips per write (claim, lock, write, commit), as named prepared statements so PostgreSQL
    // plans them once per connection: row locks are held for as short as possible.
    const applied = await this.db.transaction(async (tx) => {
      const claimed = await tx.query<AssetRow & { claimed: boolean }>(
        claim(input, actor, partyIds, lockAsset),
      );
      const assetRow = claimed.rows[0];
      if (!assetRow) throw errors.assetNotFound(input.assetId);
      if (!assetRow.claimed) return undefined;
      const asset = assetFromRow(assetRow);

      const parties = await tx.query<InvestorRow & { amount: string }>(lockParties(asset.id, partyIds));
      const investors = new Map(parties.rows.map((r) => [r.id, investorFromRow(r)]));
      const balances = new Map(parties.rows.map((r) => [r.id, BigInt(r.amount)]));

      const plan = planLedgerWrite(
        { asset, investors, balances },
        { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
      );
      const entry = newEntry(input, asset.id, plan.totalSupply);
      await tx.query(apply(asset, plan, entry, input.idempotencyKey, actor));
      return entry;
    });
    if (applied) return { entry: applied, replayed: false };
    return this.replayStored(input, actor);
  }

  /** The key was claimed by an earlier request: answer with its stored result. */
  private async replayStored(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const { rows } = await this.db.query<StoredKey>(replay(actor, input.idempotencyKey));
    const stored = rows[0];
    if (stored && stored.request_hash !== input.requestHash) {
      throw errors.idempotencyKeyReused();
    }
    if (!stored || stored.id === null) {
      // Only reachable if the key row vanished between the two statements; the client may simply retry.
      throw errors.idempotencyKeyInFlight();
    }
    return { entry: entryFromRow(stored), replayed: true };
  }
}
