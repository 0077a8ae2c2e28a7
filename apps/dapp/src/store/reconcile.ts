import type { Database } from '../adapters/postgres/database.ts';

/** An asset's supply beside what its balances and its journal add up to (amounts as decimal strings). */
export interface AssetTotals {
  id: string;
  symbol: string;
  supply: string;
  balances: string;
  journal: string;
}

/** One holder whose balance row differs from what the journal adds up to for it. */
export interface BalanceMismatch {
  assetId: string;
  investorId: string;
  balance: string;
  journal: string;
}

export interface IdempotencyRecord {
  principalId: string;
  key: string;
  journalId: string | null;
  /** The journal entry it points at: absent, or the key and caller that entry records. */
  entry: { idempotencyKey: string; actor: string } | null;
}

export interface DocumentRecord {
  id: string;
  assetId: string;
  objectKey: string;
  size: number;
  sha256: string;
}

/**
 * The read side of `reconcile` (use-cases/reconcile.ts): every query reads one page, by keyset, so a book of
 * any size is checked in bounded memory, and each is one statement (one snapshot), so what it compares was
 * true together even while the service writes. The sums are PostgreSQL's: no amount is added up here.
 */
export class ReconcileStore {
  constructor(private readonly db: Database) {}

  /**
   * Journal arithmetic of the schema (migrations/0001): a mint adds to the receiver and to supply, a burn
   * or redemption takes from the holder and from supply, a transfer moves between two holders.
   */
  async assetTotals(afterId: string | undefined, limit: number): Promise<AssetTotals[]> {
    const { rows } = await this.db.query<AssetTotals>(
      `SELECT a.id, a.symbol, a.total_supply::text AS supply,
              (SELECT coalesce(sum(b.amount), 0) FROM balances b WHERE b.asset_id = a.id)::text AS balances,
              (SELECT coalesce(sum(CASE j.kind WHEN 'mint' THEN j.amount WHEN 'transfer' THEN 0
                                               ELSE -j.amount END), 0)
                 FROM journal j WHERE j.asset_id = a.id)::text AS journal
       FROM assets a WHERE $1::uuid IS NULL OR a.id > $1::uuid ORDER BY a.id LIMIT $2`,
      [afterId ?? null, limit],
    );
    return rows;
  }

  /** Holders of `assetIds` whose balance row (0 when absent) is not what the journal gives them. */
  async balanceMismatches(assetIds: string[], limit: number): Promise<BalanceMismatch[]> {
    const { rows } = await this.db.query<BalanceMismatch>(
      `WITH moves AS (
         SELECT asset_id, to_investor AS investor_id, amount FROM journal
         WHERE asset_id = ANY($1::uuid[]) AND kind IN ('mint', 'transfer')
         UNION ALL
         SELECT asset_id, from_investor, -amount FROM journal
         WHERE asset_id = ANY($1::uuid[]) AND kind IN ('transfer', 'burn', 'redeem')
       ), journal_balances AS (
         SELECT asset_id, investor_id, sum(amount) AS amount FROM moves GROUP BY asset_id, investor_id
       ), rows AS (
         SELECT asset_id, investor_id, amount FROM balances WHERE asset_id = ANY($1::uuid[])
       )
       SELECT coalesce(r.asset_id, j.asset_id) AS "assetId", coalesce(r.investor_id, j.investor_id) AS "investorId",
              coalesce(r.amount, 0)::text AS balance, coalesce(j.amount, 0)::text AS journal
       FROM rows r FULL JOIN journal_balances j ON j.asset_id = r.asset_id AND j.investor_id = r.investor_id
       WHERE coalesce(r.amount, 0) <> coalesce(j.amount, 0)
       ORDER BY 1, 2 LIMIT $2`,
      [assetIds, limit],
    );
    return rows;
  }

  async idempotencyRecords(
    after: { principalId: string; key: string } | undefined,
    limit: number,
  ): Promise<IdempotencyRecord[]> {
    const { rows } = await this.db.query<{
      principal_id: string;
      key: string;
      journal_id: string | null;
      entry_key: string | null;
      entry_actor: string | null;
    }>(
      `SELECT k.principal_id, k.key, k.journal_id, j.idempotency_key AS entry_key, j.actor AS entry_actor
       FROM (SELECT principal_id, key, journal_id FROM idempotency_keys
             WHERE $1::uuid IS NULL OR (principal_id, key) > ($1::uuid, $2::text)
             ORDER BY principal_id, key LIMIT $3) k
       LEFT JOIN journal j ON j.id = k.journal_id
       ORDER BY k.principal_id, k.key`,
      [after?.principalId ?? null, after?.key ?? null, limit],
    );
    return rows.map((r) => ({
      principalId: r.principal_id,
      key: r.key,
      journalId: r.journal_id,
      entry: r.entry_key === null ? null : { idempotencyKey: r.entry_key, actor: r.entry_actor! },
    }));
  }

  async documents(afterId: string | undefined, limit: number): Promise<DocumentRecord[]> {
    const { rows } = await this.db.query<{
      id: string;
      asset_id: string;
      object_key: string;
      size: string;
      sha256: string;
    }>(
      `SELECT id, asset_id, object_key, size, sha256 FROM documents
       WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2`,
      [afterId ?? null, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      assetId: r.asset_id,
      objectKey: r.object_key,
      size: Number(r.size),
      sha256: r.sha256,
    }));
  }

  /** Of `keys`, those a document row references, and those queued for the purge (with when). */
  async objectOwners(keys: string[]): Promise<{ referenced: Set<string>; queued: Map<string, Date> }> {
    const [referenced, queued] = await Promise.all([
      this.db.query<{ object_key: string }>(
        'SELECT object_key FROM documents WHERE object_key = ANY($1::text[])',
        [keys],
      ),
      this.db.query<{ object_key: string; queued_at: Date }>(
        'SELECT object_key, queued_at FROM object_purge_queue WHERE object_key = ANY($1::text[])',
        [keys],
      ),
    ]);
    return {
      referenced: new Set(referenced.rows.map((r) => r.object_key)),
      queued: new Map(queued.rows.map((r) => [r.object_key, r.queued_at])),
    };
  }
}
