import { v7 as uuidv7 } from 'uuid';
import type { Asset } from '../../domain/assets.ts';
import type { Actor } from '../../domain/identity.ts';
import type { Investor } from '../../domain/investors.ts';
import { type JournalEntry, type LedgerKind, planLedgerWrite } from '../../domain/ledger.ts';
import { type ApiError, errors, isRefusal } from '../../errors.ts';

// Batch planning, pure: given what a batch was read (or remembered) to be, which transfers apply, which are
// refused, and which balance rows change. No SQL and no I/O, so it is unit-tested on its own
// (test/unit/ledger-planner.test.ts); the writer checks in PostgreSQL that every fact it used still holds.

export interface LedgerWrite {
  assetId: string;
  kind: LedgerKind;
  from?: string;
  to?: string;
  amount: bigint;
  idempotencyKey: string;
  /** Digest of method, path and body: the same key with a different request is misuse. */
  requestHash: string;
}

export interface TransferRequest {
  input: LedgerWrite;
  actor: Actor;
}

/** What a batch decided for one transfer; replays are answered from the stored result afterwards. */
export type TransferDecision =
  | { kind: 'applied'; entry: JournalEntry }
  | { kind: 'refused'; error: ApiError }
  | { kind: 'replay' };

/** Identifies an idempotency key across callers: keys are scoped to the API key that sent them. */
export const keyOf = (principalId: string, key: string) => `${principalId}\n${key}`;
export const requestKey = (r: TransferRequest) => keyOf(r.actor.principalId, r.input.idempotencyKey);

export interface Parties {
  assetIds: string[];
  investorIds: string[];
  /** Every (asset, investor) balance the batch touches; key is "asset:investor". */
  pairs: Array<{ key: string; assetId: string; investorId: string }>;
}

export function partiesOf(requests: TransferRequest[]): Parties {
  const assetIds = new Set<string>();
  const investorIds = new Set<string>();
  const pairs = new Map<string, { key: string; assetId: string; investorId: string }>();
  for (const { input } of requests) {
    assetIds.add(input.assetId);
    for (const investorId of [input.from, input.to]) {
      if (investorId === undefined) continue;
      investorIds.add(investorId);
      const key = `${input.assetId}:${investorId}`;
      pairs.set(key, { key, assetId: input.assetId, investorId });
    }
  }
  return { assetIds: [...assetIds], investorIds: [...investorIds], pairs: [...pairs.values()] };
}

/**
 * Everything a batch is planned from. Assets and investors carry their row version (xmin, which changes
 * with every update of the row); balances are per "asset:investor", null where no row exists.
 */
export interface LedgerSnapshot {
  assets: Map<string, { asset: Asset; version: string }>;
  investors: Map<string, { investor: Investor; version: string }>;
  balances: Map<string, bigint | null>;
}

export interface PlannedBatch {
  decisions: TransferDecision[];
  applied: Array<{ request: TransferRequest; entry: JournalEntry }>;
  refused: TransferRequest[];
  /** Balance rows that existed when read and that applied transfers used: the amount read and to write. */
  updated: Array<{ assetId: string; investorId: string; was: bigint; amount: bigint }>;
  /** Parties without a balance row: what they received, net (never negative). */
  opened: Array<{ assetId: string; investorId: string; amount: bigint }>;
}

/**
 * Plans a batch in arrival order with planLedgerWrite, each transfer against the balances the transfers
 * before it left. `isNew` says whether a request's key is its own to use (else it is answered as a replay).
 */
export function planTransfers(
  snapshot: LedgerSnapshot,
  requests: TransferRequest[],
  parties: Parties,
  isNew: (request: TransferRequest) => boolean,
): PlannedBatch {
  const investors = new Map([...snapshot.investors].map(([id, { investor }]) => [id, investor]));
  // Balances per asset as the batch goes, starting from the rows that exist.
  const balances = new Map<string, Map<string, bigint>>();
  const balancesOf = (assetId: string) => {
    let map = balances.get(assetId);
    if (!map) {
      map = new Map();
      balances.set(assetId, map);
    }
    return map;
  };
  for (const { key, assetId, investorId } of parties.pairs) {
    const amount = snapshot.balances.get(key);
    if (amount !== null && amount !== undefined) balancesOf(assetId).set(investorId, amount);
  }

  const planned: PlannedBatch = { decisions: [], applied: [], refused: [], updated: [], opened: [] };
  for (const request of requests) {
    const { input } = request;
    if (!isNew(request)) {
      planned.decisions.push({ kind: 'replay' });
      continue;
    }
    try {
      const asset = snapshot.assets.get(input.assetId)?.asset;
      if (!asset) throw errors.assetNotFound(input.assetId);
      const assetBalances = balancesOf(asset.id);
      const plan = planLedgerWrite(
        { asset, investors, balances: assetBalances },
        { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
      );
      for (const [investorId, next] of plan.balances) assetBalances.set(investorId, next);
      const entry = newEntry(input, asset.id, plan.totalSupply);
      planned.applied.push({ request, entry });
      planned.decisions.push({ kind: 'applied', entry });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      planned.refused.push(request);
      planned.decisions.push({ kind: 'refused', error });
    }
  }
  // Every existing balance an applied transfer used is written back with its check, even when the batch
  // left it where it was (sent and received the same amount): the plan relied on its amount all the same.
  const used = new Set(
    planned.applied.flatMap(({ request: { input } }) =>
      [input.from, input.to].map((investorId) => `${input.assetId}:${investorId}`),
    ),
  );
  for (const { key, assetId, investorId } of parties.pairs) {
    const amount = balances.get(assetId)?.get(investorId);
    const was = snapshot.balances.get(key) ?? undefined;
    if (amount === undefined || !used.has(key)) continue;
    if (was !== undefined) planned.updated.push({ assetId, investorId, was, amount });
    else if (amount > 0n) planned.opened.push({ assetId, investorId, amount });
  }
  return planned;
}

/** The journal entry of a write that applies: its id and time are given here, before it is written. */
export function newEntry(input: LedgerWrite, assetId: string, totalSupply: bigint): JournalEntry {
  return {
    // Time-ordered, like every other id here: new entries land at the right edge of the primary key index.
    id: uuidv7(),
    assetId,
    kind: input.kind,
    from: input.from ?? null,
    to: input.to ?? null,
    amount: input.amount,
    totalSupply: input.kind === 'transfer' ? null : totalSupply,
    createdAt: new Date().toISOString(),
  };
}
