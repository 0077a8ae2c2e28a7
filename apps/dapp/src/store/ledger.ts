import { v7 as uuidv7 } from 'uuid';
import { pgArray } from '../adapters/postgres/array-literal.ts';
import {
  type Database,
  DatabaseUnavailableError,
  isWriteConflict,
  type Queryable,
} from '../adapters/postgres/database.ts';
import type { Asset } from '../domain/assets.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import type { Investor } from '../domain/investors.ts';
import { type LedgerKind, planLedgerWrite } from '../domain/ledger.ts';
import { type AssetRow, assetFromRow } from './assets.ts';
import type { Actor } from './audit.ts';
import { Batcher, type Settled } from './batcher.ts';
import { type InvestorRow, investorFromRow } from './investors.ts';
import { CURSOR_SEQ, decodeCursor, type Page, page } from './pagination.ts';

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

export interface JournalEntry {
  id: string;
  assetId: string;
  kind: LedgerKind;
  from: string | null;
  to: string | null;
  amount: string;
  totalSupply: string;
  createdAt: string;
}

export interface LedgerWriteResult {
  entry: JournalEntry;
  replayed: boolean;
}

interface JournalRow {
  seq: string;
  id: string;
  asset_id: string;
  kind: LedgerKind;
  from_investor: string | null;
  to_investor: string | null;
  amount: string;
  total_supply: string;
  created_at: Date;
}

function entryFromRow(row: JournalRow): JournalEntry {
  return {
    id: row.id,
    assetId: row.asset_id,
    kind: row.kind,
    from: row.from_investor,
    to: row.to_investor,
    amount: row.amount,
    totalSupply: row.total_supply,
    createdAt: row.created_at.toISOString(),
  };
}

/** An idempotency record and the journal entry it produced (null while its transaction is in flight). */
type StoredKey = { request_hash: string } & (JournalRow | { [K in keyof JournalRow]: null });

interface TransferRequest {
  input: LedgerWrite;
  actor: Actor;
}

/** What a batch decided for one transfer; replays are answered from the stored result afterwards. */
type TransferDecision =
  | { kind: 'applied'; entry: JournalEntry }
  | { kind: 'refused'; error: DomainError }
  | { kind: 'replay' };

type Timestamped<T> = Omit<T, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

/** The one row a batch reads: JSON columns, numerics as text (JSON numbers would lose digits). */
interface BatchStateRow {
  keys: Array<[string, string]> | null;
  balances: Array<[string, string, string]> | null;
  assets: Array<Timestamped<AssetRow> & { version: string }> | null;
  investors: Array<Timestamped<InvestorRow> & { version: string }> | null;
}

/** Identifies an idempotency key across callers: keys are scoped to the API key that sent them. */
const keyOf = (principalId: string, key: string) => `${principalId}\n${key}`;
const requestKey = (r: TransferRequest) => keyOf(r.actor.principalId, r.input.idempotencyKey);
const keySet = (keys: BatchStateRow['keys']) =>
  new Set((keys ?? []).map(([principal, key]) => keyOf(principal, key)));

/**
 * The optimistic write lost a race: a fact it was planned from changed (ledger_state_changed(), a
 * serialization failure or a deadlock), or a key it claims was used meanwhile (its plain INSERT hit the
 * primary key). Either way the batch is planned again from fresh state.
 */
function lostRace(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  return isWriteConflict(error) || (code === '23505' && constraint === 'idempotency_keys_pkey');
}

const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

interface Parties {
  assetIds: string[];
  investorIds: string[];
  /** Every (asset, investor) balance the batch touches; key is "asset:investor". */
  pairs: Array<{ key: string; assetId: string; investorId: string }>;
}

function partiesOf(requests: TransferRequest[]): Parties {
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

/** The assets and investors of a batch, with their row versions (xmin), as JSON columns of its state read. */
const stateColumns = (assetIds: string, investorIds: string) => `
  (SELECT json_agg(json_build_object('version', a.xmin::text, 'id', a.id, 'symbol', a.symbol, 'name', a.name,
     'type', a.type, 'decimals', a.decimals, 'max_supply', a.max_supply::text,
     'total_supply', a.total_supply::text, 'allowed_countries', a.allowed_countries, 'details', a.details,
     'status', a.status, 'created_at', a.created_at, 'updated_at', a.updated_at))
   FROM assets a WHERE a.id = ANY(${assetIds}::uuid[])) AS assets,
  (SELECT json_agg(json_build_object('version', i.xmin::text, 'id', i.id, 'name', i.name, 'country', i.country,
     'kyc_status', i.kyc_status, 'created_at', i.created_at, 'updated_at', i.updated_at))
   FROM unnest(${investorIds}::uuid[]) AS p(id) JOIN investors i ON i.id = p.id) AS investors`;

/**
 * Everything a batch is planned from. Assets and investors carry their row version (xmin, which changes
 * with every update of the row); balances are per "asset:investor", null where no row exists.
 */
interface LedgerSnapshot {
  assets: Map<string, { asset: Asset; version: string }>;
  investors: Map<string, { investor: Investor; version: string }>;
  balances: Map<string, bigint | null>;
}

function snapshotOf(state: BatchStateRow, parties: Parties): LedgerSnapshot {
  const snapshot: LedgerSnapshot = { assets: new Map(), investors: new Map(), balances: new Map() };
  for (const { version, ...a } of state.assets ?? []) {
    const asset = assetFromRow({
      ...a,
      created_at: new Date(a.created_at),
      updated_at: new Date(a.updated_at),
    });
    snapshot.assets.set(a.id, { asset, version });
  }
  for (const { version, ...i } of state.investors ?? []) {
    const investor = investorFromRow({
      ...i,
      created_at: new Date(i.created_at),
      updated_at: new Date(i.updated_at),
    });
    snapshot.investors.set(i.id, { investor, version });
  }
  for (const { key } of parties.pairs) snapshot.balances.set(key, null);
  for (const [assetId, investorId, amount] of state.balances ?? []) {
    snapshot.balances.set(`${assetId}:${investorId}`, BigInt(amount));
  }
  return snapshot;
}

/**
 * What this process last knew of the assets, investors and balances its transfers touched, so that a batch
 * can usually skip its read and go to PostgreSQL once. Nothing here is trusted: the write statement checks
 * every fact a plan used (each balance's amount, each asset's and investor's row version) and aborts on any
 * difference, after which the batch reads afresh. Refusals are never decided from here either (a cached
 * balance may be lower than the real one): a batch with a refusal is planned again from a fresh read.
 */
class LedgerStateCache {
  private static readonly MAX_BALANCES = 100_000;
  private readonly assets = new Map<string, { asset: Asset; version: string }>();
  private readonly investors = new Map<string, { investor: Investor; version: string }>();
  private readonly balances = new Map<string, bigint | null>();

  /** The batch's state if every part of it is known, else undefined. */
  snapshot(parties: Parties): LedgerSnapshot | undefined {
    const snapshot: LedgerSnapshot = { assets: new Map(), investors: new Map(), balances: new Map() };
    for (const id of parties.assetIds) {
      const known = this.assets.get(id);
      if (!known) return undefined;
      snapshot.assets.set(id, known);
    }
    for (const id of parties.investorIds) {
      const known = this.investors.get(id);
      if (!known) return undefined;
      snapshot.investors.set(id, known);
    }
    for (const { key } of parties.pairs) {
      const known = this.balances.get(key);
      if (known === undefined) return undefined;
      snapshot.balances.set(key, known);
    }
    return snapshot;
  }

  learn(snapshot: LedgerSnapshot): void {
    if (this.balances.size > LedgerStateCache.MAX_BALANCES) this.clear();
    for (const [id, known] of snapshot.assets) this.assets.set(id, known);
    for (const [id, known] of snapshot.investors) this.investors.set(id, known);
    for (const [key, amount] of snapshot.balances) this.balances.set(key, amount);
  }

  /** After a committed batch: the balances it wrote; rows it opened hold an amount only PostgreSQL knows. */
  wrote(batch: PlannedBatch): void {
    for (const u of batch.updated) this.balances.set(`${u.assetId}:${u.investorId}`, u.amount);
    for (const o of batch.opened) this.balances.delete(`${o.assetId}:${o.investorId}`);
  }

  forget(parties: Parties): void {
    for (const id of parties.assetIds) this.assets.delete(id);
    for (const id of parties.investorIds) this.investors.delete(id);
    for (const { key } of parties.pairs) this.balances.delete(key);
  }

  clear(): void {
    this.assets.clear();
    this.investors.clear();
    this.balances.clear();
  }
}

interface PlannedBatch {
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
function planTransfers(
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
      if (!asset) throw notFound('asset', input.assetId);
      const assetBalances = balancesOf(asset.id);
      const plan = planLedgerWrite(
        { asset, investors, balances: assetBalances },
        { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
      );
      for (const [investorId, next] of plan.balances) assetBalances.set(investorId, next);
      const entry = entryFor(input, asset.id, plan.totalSupply);
      planned.applied.push({ request, entry });
      planned.decisions.push({ kind: 'applied', entry });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
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

/**
 * The writes both batch paths share, as CTEs of their write statement starting at parameter `$first`:
 * balance rows opened by the batch (an upsert adding what the party received) and, per applied transfer,
 * its journal entry and audit row, in arrival order.
 */
const openAndJournal = (first: number) => {
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

const openAndJournalValues = ({ opened, applied }: PlannedBatch) => [
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

function entryFor(input: LedgerWrite, assetId: string, totalSupply: bigint): JournalEntry {
  return {
    // Time-ordered, like every other id here: new entries land at the right edge of the primary key index.
    id: uuidv7(),
    assetId,
    kind: input.kind,
    from: input.from ?? null,
    to: input.to ?? null,
    amount: input.amount.toString(),
    totalSupply: totalSupply.toString(),
    createdAt: new Date().toISOString(),
  };
}

export interface Holders {
  assetId: string;
  totalSupply: string;
  holders: Array<{ investorId: string; balance: string }>;
}

/** What a LedgerStore reports about its batches (the service wires these to Prometheus). */
export interface LedgerObserver {
  batch(transfers: number): void;
  retried(reason: 'stale_cache' | 'conflict'): void;
}

export class LedgerStore {
  constructor(
    private readonly db: Database,
    private readonly observer: LedgerObserver = { batch: () => undefined, retried: () => undefined },
  ) {}

  private readonly stateCache = new LedgerStateCache();

  /**
   * Transfers go through group commit: the ones that arrive while a batch is being written are applied
   * together in the next. One batch at a time per process: the next batch is planned from what the last one
   * wrote (LedgerStateCache), which two batches in flight could not do; measured on two cores, one batch of
   * about eight at a time carried ~2,600 transfers/s against ~2,200 for two batches of about four.
   */
  private readonly transfers = new Batcher<TransferRequest, LedgerWriteResult>(
    (batch) => this.applyTransfers(batch),
    { maxConcurrent: 1, maxSize: 64 },
  );

  /** Resolves when no transfer batch is queued or running (called before the pool closes). */
  drain(): Promise<void> {
    return this.transfers.idle();
  }

  /**
   * Applies one ledger write exactly once per (caller, idempotency key).
   *
   * Transfers are batched (applyTransfers); mints, burns and redemptions change the asset's supply and take
   * the locked path one by one. Both decide with the same pure planLedgerWrite, and both commit the write
   * together with its idempotency key.
   */
  async write(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    if (input.kind === 'transfer') return this.transfers.submit({ input, actor });
    try {
      return await this.writeLocked(input, actor);
    } finally {
      // The write moved a balance and the asset's supply (its row version): the next batch reads them.
      this.stateCache.forget(partiesOf([{ input, actor }]));
    }
  }

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
  private async applyTransfers(batch: TransferRequest[]): Promise<Array<Settled<LedgerWriteResult>>> {
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
      if (error instanceof DatabaseUnavailableError || leaders.length === 1) throw error;
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

    const { rows } = await this.db.query<BatchStateRow>({
      name: 'ledger-batch-read',
      text: `SELECT
         (SELECT json_agg(json_build_array(k.principal_id, k.key))
          FROM unnest($1::uuid[], $2::text[]) AS r(principal_id, key)
          JOIN idempotency_keys k ON k.principal_id = r.principal_id AND k.key = r.key) AS keys,
         (SELECT json_agg(json_build_array(b.asset_id, b.investor_id, b.amount::text))
          FROM unnest($3::uuid[], $4::uuid[]) AS p(asset_id, investor_id)
          JOIN balances b ON b.asset_id = p.asset_id AND b.investor_id = p.investor_id) AS balances,
         ${stateColumns('$5', '$6')}`,
      values: [
        requests.map((r) => r.actor.principalId),
        requests.map((r) => r.input.idempotencyKey),
        parties.pairs.map((p) => p.assetId),
        parties.pairs.map((p) => p.investorId),
        parties.assetIds,
        parties.investorIds,
      ].map(pgArray),
    });
    const snapshot = snapshotOf(rows[0]!, parties);
    this.stateCache.learn(snapshot);
    const used = keySet(rows[0]!.keys);
    const batch = planTransfers(snapshot, requests, parties, (r) => !used.has(requestKey(r)));
    if (batch.applied.length === 0) return batch.decisions;
    await this.writeBatch(batch, snapshot);
    this.stateCache.wrote(batch);
    return batch.decisions;
  }

  /**
   * The optimistic write: every balance, journal entry, audit row and idempotency key of the batch in one
   * statement, which aborts as a whole unless every fact the plan used still holds: each key still free
   * (else its INSERT fails on the primary key), and through ledger_state_changed() each balance still at
   * the amount planned from, each asset and investor still at the row version read.
   */
  private async writeBatch(batch: PlannedBatch, snapshot: LedgerSnapshot): Promise<void> {
    const { updated } = batch;
    await this.db.query({
      name: 'ledger-batch-write',
      // Keys are claimed by a plain INSERT: a key used meanwhile fails the statement on the primary key
      // (lostRace), which costs less than ON CONFLICT's speculative insertion on every key. The claim count
      // comes first in the final SELECT, so keys are claimed before balances, like the locked path.
      text: `WITH ${openAndJournal(1)}, claim AS (
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
                   THEN true ELSE ledger_state_changed() END`,
      values: [
        ...openAndJournalValues(batch),
        batch.applied.map(({ request }) => request.input.requestHash),
        updated.map((u) => u.assetId),
        updated.map((u) => u.investorId),
        updated.map((u) => u.was),
        updated.map((u) => u.amount),
        [...snapshot.assets.keys()],
        [...snapshot.assets.values()].map((a) => a.version),
        [...snapshot.investors.keys()],
        [...snapshot.investors.values()].map((i) => i.version),
      ].map(pgArray),
    });
  }

  /**
   * The batch again under row locks, in one transaction of four round trips: BEGIN; one statement claims
   * every key and locks the balance rows that exist, in (asset, investor) order so that concurrent batches
   * and locked-path writes never deadlock on balances; one statement writes everything and releases the
   * claims of refused transfers; COMMIT.
   */
  private async applyTransfersLocked(
    tx: Queryable,
    requests: TransferRequest[],
    parties: Parties,
  ): Promise<TransferDecision[]> {
    const { rows } = await tx.query<BatchStateRow>({
      name: 'ledger-batch-lock',
      text: `WITH claim AS (
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
         ${stateColumns('$6', '$7')}`,
      values: [
        requests.map((r) => r.actor.principalId),
        requests.map((r) => r.input.idempotencyKey),
        requests.map((r) => r.input.requestHash),
        parties.pairs.map((p) => p.assetId),
        parties.pairs.map((p) => p.investorId),
        parties.assetIds,
        parties.investorIds,
      ].map(pgArray),
    });
    const claimed = keySet(rows[0]!.keys);
    const batch = planTransfers(snapshotOf(rows[0]!, parties), requests, parties, (r) =>
      claimed.has(requestKey(r)),
    );
    if (batch.applied.length === 0 && batch.refused.length === 0) return batch.decisions;

    const { updated } = batch;
    await tx.query({
      name: 'ledger-batch-apply',
      text: `WITH released AS (
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
       SELECT 1`,
      values: [
        batch.refused.map((r) => r.actor.principalId),
        batch.refused.map((r) => r.input.idempotencyKey),
        batch.applied.map(({ request }) => request.actor.principalId),
        batch.applied.map(({ request }) => request.input.idempotencyKey),
        batch.applied.map(({ entry }) => entry.id),
        updated.map((u) => u.assetId),
        updated.map((u) => u.investorId),
        updated.map((u) => u.amount),
        ...openAndJournalValues(batch),
      ].map(pgArray),
    });
    return batch.decisions;
  }

  /**
   * The locked path. The key is claimed by an INSERT in the same transaction as the write: a concurrent
   * request with the same key blocks on that row until the first commits (then replays its stored result) or
   * rolls back (then claims the key itself). A connection lost mid-way rolls everything back, key included,
   * so a client retry after a failover is applied once. Rows are locked asset first, then balances in
   * investor id order, so concurrent writes never deadlock on each other.
   */
  private async writeLocked(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const partyIds = [
      ...new Set([input.from, input.to].filter((id): id is string => id !== undefined)),
    ].sort();
    // Supply-changing writes lock the asset row. Transfers only read it: a status change committing while a
    // transfer runs simply orders after it (the transfer read the asset first), and locking one hot row from
    // every transfer would serialize them all on it.
    const assetLock = input.kind === 'transfer' ? '' : 'FOR UPDATE';

    // Four round trips per write (claim, lock, write, commit), as named prepared statements so PostgreSQL
    // plans them once per connection: row locks are held for as short as possible.
    const applied = await this.db.transaction(async (tx) => {
      // 1. Claim the key, make sure the parties' balance rows exist (so they can be locked), read the asset.
      const claimed = await tx.query<AssetRow & { claimed: boolean }>({
        name: `ledger-claim${assetLock ? '-lock' : ''}`,
        text: `WITH claim AS (
           INSERT INTO idempotency_keys (principal_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING 1
         ), ensure AS (
           INSERT INTO balances (asset_id, investor_id, amount)
           SELECT a.id, i.id, 0 FROM assets a JOIN investors i ON i.id = ANY($5::uuid[])
           WHERE a.id = $4 AND EXISTS (SELECT 1 FROM claim) ORDER BY i.id
           ON CONFLICT DO NOTHING
         )
         SELECT a.*, EXISTS (SELECT 1 FROM claim) AS claimed FROM assets a WHERE a.id = $4 ${assetLock}`,
        values: [actor.principalId, input.idempotencyKey, input.requestHash, input.assetId, partyIds],
      });
      const assetRow = claimed.rows[0];
      if (!assetRow) throw notFound('asset', input.assetId);
      if (!assetRow.claimed) return undefined;
      const asset = assetFromRow(assetRow);

      // 2. The parties and their balances, balance rows locked in id order (no deadlocks between writers).
      const parties = await tx.query<InvestorRow & { amount: string }>({
        name: 'ledger-lock-parties',
        // Both sides filtered by their primary key: prepared statements run a generic plan after five
        // executions, and with `i.id = b.investor_id` alone that plan scanned every balance of the asset.
        text: `SELECT i.*, b.amount FROM balances b JOIN investors i ON i.id = b.investor_id
         WHERE b.asset_id = $1 AND b.investor_id = ANY($2::uuid[]) AND i.id = ANY($2::uuid[])
         ORDER BY b.investor_id FOR UPDATE OF b`,
        values: [asset.id, partyIds],
      });
      const investors = new Map(parties.rows.map((r) => [r.id, investorFromRow(r)]));
      const balances = new Map(parties.rows.map((r) => [r.id, BigInt(r.amount)]));

      const plan = planLedgerWrite(
        { asset, investors, balances },
        { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
      );
      const entry = entryFor(input, asset.id, plan.totalSupply);

      // 3. Every write of the operation in one statement: balances, supply, journal, audit, stored response.
      await tx.query({
        name: 'ledger-apply',
        text: `WITH moved AS (
           UPDATE balances b SET amount = v.amount::numeric
           FROM unnest($2::uuid[], $3::text[]) AS v(investor_id, amount)
           WHERE b.asset_id = $1 AND b.investor_id = ANY($2::uuid[]) AND b.investor_id = v.investor_id
         ), supply AS (
           UPDATE assets SET total_supply = $4::numeric, updated_at = now() WHERE id = $1 AND $5::boolean
         ), entry AS (
           INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                                idempotency_key, actor, request_id, created_at)
           VALUES ($6, $1, $7, $8, $9, $10, $4::numeric, $11, $12, $13, $14)
         ), audit AS (
           INSERT INTO audit_log (actor, action, entity_type, entity_id, request_id, details)
           VALUES ($12, $15, 'journal', $6, $13, $16)
         )
         UPDATE idempotency_keys SET journal_id = $6 WHERE principal_id = $12 AND key = $11`,
        values: [
          asset.id,
          [...plan.balances.keys()],
          [...plan.balances.values()].map(String),
          entry.totalSupply,
          plan.totalSupply !== asset.totalSupply,
          entry.id,
          entry.kind,
          entry.from,
          entry.to,
          entry.amount,
          input.idempotencyKey,
          actor.principalId,
          actor.requestId,
          entry.createdAt,
          `ledger.${input.kind}`,
          JSON.stringify({ assetId: asset.id, amount: entry.amount }),
        ],
      });
      return entry;
    });
    if (applied) return { entry: applied, replayed: false };
    return this.replayStored(input, actor);
  }

  /** The key was claimed by an earlier request: answer with its stored result. */
  private async replayStored(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const { rows } = await this.db.query<StoredKey>({
      name: 'ledger-replay',
      // The stored result is the journal entry itself, so the key row holds a reference, not a copy of it.
      text: `SELECT k.request_hash, j.* FROM idempotency_keys k LEFT JOIN journal j ON j.id = k.journal_id
       WHERE k.principal_id = $1 AND k.key = $2`,
      values: [actor.principalId, input.idempotencyKey],
    });
    const stored = rows[0];
    if (stored && stored.request_hash !== input.requestHash) {
      throw new DomainError(
        'idempotency_misuse',
        'idempotency_key_reused',
        'this Idempotency-Key was already used with a different request',
      );
    }
    if (!stored || stored.id === null) {
      // Only reachable if the key row vanished between the two statements; the client may simply retry.
      throw new DomainError(
        'conflict',
        'idempotency_key_in_flight',
        'a request with this Idempotency-Key is in flight',
      );
    }
    return { entry: entryFromRow(stored), replayed: true };
  }

  async holders(assetId: string): Promise<Holders> {
    const { rows } = await this.db.query<{
      total_supply: string;
      investor_id: string | null;
      amount: string | null;
    }>(
      `SELECT a.total_supply, b.investor_id, b.amount
       FROM assets a LEFT JOIN balances b ON b.asset_id = a.id AND b.amount > 0
       WHERE a.id = $1 ORDER BY b.investor_id`,
      [assetId],
    );
    if (!rows[0]) throw notFound('asset', assetId);
    return {
      assetId,
      totalSupply: rows[0].total_supply,
      holders: rows
        .filter((r) => r.investor_id !== null)
        .map((r) => ({ investorId: r.investor_id!, balance: r.amount! })),
    };
  }

  async journal(assetId: string, limit: number, cursor?: string): Promise<Page<JournalEntry>> {
    const before = decodeCursor(cursor, [CURSOR_SEQ]);
    const exists = await this.db.query('SELECT 1 FROM assets WHERE id = $1', [assetId]);
    if (exists.rowCount === 0) throw notFound('asset', assetId);
    const { rows } = await this.db.query<JournalRow>(
      before
        ? 'SELECT * FROM journal WHERE asset_id = $1 AND seq < $3::bigint ORDER BY seq DESC LIMIT $2'
        : 'SELECT * FROM journal WHERE asset_id = $1 ORDER BY seq DESC LIMIT $2',
      before ? [assetId, limit + 1, before[0]] : [assetId, limit + 1],
    );
    const seqById = new Map(rows.map((r) => [r.id, r.seq]));
    return page(rows.map(entryFromRow), limit, (e) => [seqById.get(e.id)!]);
  }
}
