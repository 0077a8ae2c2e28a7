import { randomUUID } from 'node:crypto';
import type { Database } from '../adapters/postgres/database.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { type LedgerKind, planLedgerWrite } from '../domain/ledger.ts';
import { type AssetRow, assetFromRow } from './assets.ts';
import type { Actor } from './audit.ts';
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

/** One row per party (or one with null party columns): the asset, the caller's key if used, the parties. */
type StateRow = AssetRow & {
  key_request_hash: string | null;
  party_id: string | null;
  party_name: string | null;
  party_country: string | null;
  party_kyc_status: InvestorRow['kyc_status'] | null;
  party_created_at: Date | null;
  party_updated_at: Date | null;
  party_balance: string | null;
};

/** SQLSTATE of serialization_failure, raised by ledger_state_changed() when a planned-from balance moved. */
const SERIALIZATION_FAILURE = '40001';

export interface Holders {
  assetId: string;
  totalSupply: string;
  holders: Array<{ investorId: string; balance: string }>;
}

export class LedgerStore {
  constructor(private readonly db: Database) {}

  /**
   * Applies one ledger write exactly once per (caller, idempotency key).
   *
   * Transfers between existing balance rows take the optimistic path (two statements, no explicit
   * transaction); everything else, and a transfer whose balances moved in between, takes the locked path.
   * Both decide with the same pure planLedgerWrite, and both commit the write together with its key.
   */
  async write(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const partyIds = [
      ...new Set([input.from, input.to].filter((id): id is string => id !== undefined)),
    ].sort();
    if (input.kind === 'transfer') {
      try {
        const result = await this.writeOptimistic(input, actor, partyIds);
        if (result) return result;
      } catch (error) {
        // Balances changed since they were read: plan again under row locks.
        if ((error as { code?: string }).code !== SERIALIZATION_FAILURE) throw error;
      }
    }
    return this.writeLocked(input, actor, partyIds);
  }

  /**
   * Read the state in one statement, plan in code, then apply with one statement that claims the key and
   * updates each balance only if it still holds the amount the plan started from (compare-and-set). If any
   * balance moved in between, ledger_state_changed() aborts that statement, key claim included, with
   * serialization_failure and the caller falls back to the locked path.
   *
   * Why: the locked path costs five round trips (BEGIN, claim, lock, apply, COMMIT), each a send and a
   * wake-up on both the service and PostgreSQL, and holds row locks across them; under load most of a
   * transfer's time went there. Returns undefined when this path does not apply (a party has no balance
   * row yet: creating it needs the locked path's insert).
   */
  private async writeOptimistic(
    input: LedgerWrite,
    actor: Actor,
    partyIds: string[],
  ): Promise<LedgerWriteResult | undefined> {
    const { rows } = await this.db.query<StateRow>({
      name: 'ledger-read',
      // Every side filtered by its own key, so the generic plan of the prepared statement stays on indexes.
      text: `SELECT a.*, k.request_hash AS key_request_hash,
         i.id AS party_id, i.name AS party_name, i.country AS party_country, i.kyc_status AS party_kyc_status,
         i.created_at AS party_created_at, i.updated_at AS party_updated_at, b.amount AS party_balance
       FROM assets a
       LEFT JOIN idempotency_keys k ON k.principal_id = $3 AND k.key = $4
       LEFT JOIN investors i ON i.id = ANY($2::uuid[])
       LEFT JOIN balances b ON b.asset_id = $1 AND b.investor_id = ANY($2::uuid[]) AND b.investor_id = i.id
       WHERE a.id = $1`,
      values: [input.assetId, partyIds, actor.principalId, input.idempotencyKey],
    });
    const first = rows[0];
    if (!first) throw notFound('asset', input.assetId);
    // The key was used before: answer from what it recorded (rare, so one more statement is fine).
    if (first.key_request_hash !== null) return this.replayStored(input, actor);
    const asset = assetFromRow(first);
    const investors = new Map<string, ReturnType<typeof investorFromRow>>();
    const balances = new Map<string, bigint>();
    for (const row of rows) {
      if (row.party_id === null) continue;
      investors.set(
        row.party_id,
        investorFromRow({
          id: row.party_id,
          name: row.party_name!,
          country: row.party_country!,
          kyc_status: row.party_kyc_status!,
          created_at: row.party_created_at!,
          updated_at: row.party_updated_at!,
        }),
      );
      if (row.party_balance !== null) balances.set(row.party_id, BigInt(row.party_balance));
    }
    const plan = planLedgerWrite(
      { asset, investors, balances },
      { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
    );
    const moves = [...plan.balances].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (moves.length !== 2 || moves.some(([id]) => !balances.has(id))) return undefined;
    const [[lowId, lowNext], [highId, highNext]] = moves as [[string, bigint], [string, bigint]];
    const entry = this.entryFor(input, asset.id, plan.totalSupply);

    const applied = await this.db.query<{ claimed: boolean }>({
      name: 'ledger-transfer',
      // Balances are updated lower investor id first (the second update depends on the first), the same
      // order as the locked path, so the two paths never deadlock each other. Journal and audit rows are
      // written only when both balances moved.
      text: `WITH claim AS (
         INSERT INTO idempotency_keys (principal_id, key, request_hash, journal_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1
       ), low AS (
         UPDATE balances SET amount = $8 WHERE asset_id = $5 AND investor_id = $6 AND amount = $7
         AND EXISTS (SELECT 1 FROM claim) RETURNING 1
       ), high AS (
         UPDATE balances SET amount = $11 WHERE asset_id = $5 AND investor_id = $9 AND amount = $10
         AND EXISTS (SELECT 1 FROM low) RETURNING 1
       ), entry AS (
         INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                              idempotency_key, actor, request_id, created_at)
         SELECT $4::uuid, $5::uuid, 'transfer', $12::uuid, $13::uuid, $14::numeric, $15::numeric, $2::text,
                $1::uuid, $16::text, $17::timestamptz
         WHERE EXISTS (SELECT 1 FROM high)
       ), audit AS (
         INSERT INTO audit_log (actor, action, entity_type, entity_id, request_id, details)
         SELECT $1::uuid, 'ledger.transfer', 'journal', $4::uuid::text, $16::text, $18::jsonb
         WHERE EXISTS (SELECT 1 FROM high)
       )
       SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM claim) THEN false
                   WHEN EXISTS (SELECT 1 FROM high) THEN true
                   ELSE ledger_state_changed() END AS claimed`,
      values: [
        actor.principalId,
        input.idempotencyKey,
        input.requestHash,
        entry.id,
        asset.id,
        lowId,
        String(balances.get(lowId)),
        String(lowNext),
        highId,
        String(balances.get(highId)),
        String(highNext),
        entry.from,
        entry.to,
        entry.amount,
        entry.totalSupply,
        actor.requestId,
        entry.createdAt,
        JSON.stringify({ assetId: asset.id, amount: entry.amount }),
      ],
    });
    if (applied.rows[0]?.claimed) return { entry, replayed: false };
    return this.replayStored(input, actor);
  }

  private entryFor(input: LedgerWrite, assetId: string, totalSupply: bigint): JournalEntry {
    return {
      id: randomUUID(),
      assetId,
      kind: input.kind,
      from: input.from ?? null,
      to: input.to ?? null,
      amount: input.amount.toString(),
      totalSupply: totalSupply.toString(),
      createdAt: new Date().toISOString(),
    };
  }

  /**
   * The locked path. The key is claimed by an INSERT in the same transaction as the write: a concurrent
   * request with the same key blocks on that row until the first commits (then replays its stored result) or
   * rolls back (then claims the key itself). A connection lost mid-way rolls everything back, key included,
   * so a client retry after a failover is applied once. Rows are locked asset first, then balances in
   * investor id order, so concurrent writes never deadlock on each other.
   */
  private async writeLocked(
    input: LedgerWrite,
    actor: Actor,
    partyIds: string[],
  ): Promise<LedgerWriteResult> {
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
      const entry = this.entryFor(input, asset.id, plan.totalSupply);

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
