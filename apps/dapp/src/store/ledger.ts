import { randomUUID } from 'node:crypto';
import type { Database } from '../adapters/postgres/database.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { type LedgerKind, planLedgerWrite } from '../domain/ledger.ts';
import { lockAsset } from './assets.ts';
import { type Actor, recordAudit } from './audit.ts';
import { loadInvestors } from './investors.ts';
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
   * The key is claimed by an INSERT in the same transaction as the write: a concurrent request with the
   * same key blocks on that row until the first commits (then replays its stored result) or rolls back
   * (then claims the key itself). A connection lost mid-way rolls everything back, key included, so a
   * client retry after a failover is applied once. Rows are locked asset first, then balances in investor
   * id order, so concurrent writes never deadlock on each other.
   */
  async write(input: LedgerWrite, actor: Actor): Promise<LedgerWriteResult> {
    const applied = await this.db.transaction(async (tx) => {
      const claim = await tx.query(
        `INSERT INTO idempotency_keys (principal_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [actor.principalId, input.idempotencyKey, input.requestHash],
      );
      if (claim.rowCount === 0) return undefined;

      // Supply-changing writes take the asset row exclusively; transfers only need it stable.
      const asset = await lockAsset(tx, input.assetId, input.kind === 'transfer' ? 'SHARE' : 'UPDATE');
      const partyIds = [
        ...new Set([input.from, input.to].filter((id): id is string => id !== undefined)),
      ].sort();
      const investors = await loadInvestors(tx, partyIds);
      const known = partyIds.filter((id) => investors.has(id));
      if (known.length > 0) {
        await tx.query(
          `INSERT INTO balances (asset_id, investor_id, amount)
           SELECT $1, id, 0 FROM unnest($2::uuid[]) AS id ORDER BY id ON CONFLICT DO NOTHING`,
          [asset.id, known],
        );
      }
      const locked = await tx.query<{ investor_id: string; amount: string }>(
        `SELECT investor_id, amount FROM balances WHERE asset_id = $1 AND investor_id = ANY($2::uuid[])
         ORDER BY investor_id FOR UPDATE`,
        [asset.id, known],
      );
      const balances = new Map(locked.rows.map((r) => [r.investor_id, BigInt(r.amount)]));

      const plan = planLedgerWrite(
        { asset, investors, balances },
        { kind: input.kind, from: input.from, to: input.to, amount: input.amount },
      );

      for (const [investorId, amount] of plan.balances) {
        await tx.query('UPDATE balances SET amount = $3 WHERE asset_id = $1 AND investor_id = $2', [
          asset.id,
          investorId,
          amount.toString(),
        ]);
      }
      if (plan.totalSupply !== asset.totalSupply) {
        await tx.query('UPDATE assets SET total_supply = $2, updated_at = now() WHERE id = $1', [
          asset.id,
          plan.totalSupply.toString(),
        ]);
      }
      const { rows } = await tx.query<JournalRow>(
        `INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                              idempotency_key, actor, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          randomUUID(),
          asset.id,
          input.kind,
          input.from ?? null,
          input.to ?? null,
          input.amount.toString(),
          plan.totalSupply.toString(),
          input.idempotencyKey,
          actor.principalId,
          actor.requestId,
        ],
      );
      const entry = entryFromRow(rows[0]!);
      await recordAudit(
        tx,
        actor,
        `ledger.${input.kind}`,
        { type: 'journal', id: entry.id },
        {
          assetId: asset.id,
          amount: entry.amount,
        },
      );
      await tx.query(
        'UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE principal_id = $1 AND key = $2',
        [actor.principalId, input.idempotencyKey, JSON.stringify(entry)],
      );
      return entry;
    });
    if (applied) return { entry: applied, replayed: false };

    const { rows } = await this.db.query<{ request_hash: string; response: JournalEntry | null }>(
      'SELECT request_hash, response FROM idempotency_keys WHERE principal_id = $1 AND key = $2',
      [actor.principalId, input.idempotencyKey],
    );
    const stored = rows[0];
    if (stored && stored.request_hash !== input.requestHash) {
      throw new DomainError(
        'idempotency_misuse',
        'idempotency_key_reused',
        'this Idempotency-Key was already used with a different request',
      );
    }
    if (!stored?.response) {
      // Only reachable if the key row vanished between the two statements; the client may simply retry.
      throw new DomainError(
        'conflict',
        'idempotency_key_in_flight',
        'a request with this Idempotency-Key is in flight',
      );
    }
    return { entry: stored.response, replayed: true };
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
