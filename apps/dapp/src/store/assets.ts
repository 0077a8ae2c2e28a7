import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database, Queryable } from '../adapters/postgres/database.ts';
import {
  type Asset,
  type AssetStatus,
  type AssetType,
  assertTransition,
  type NewAsset,
} from '../domain/assets.ts';
import type { Actor } from '../domain/identity.ts';
import { errors } from '../errors.ts';
import { recordAudit } from './audit.ts';
import { CURSOR_UUID, decodeCursor, type Page, page } from './pagination.ts';

export interface AssetRow {
  id: string;
  symbol: string;
  name: string;
  type: Asset['type'];
  decimals: number;
  max_supply: string | null;
  total_supply: string;
  allowed_countries: string[] | null;
  details: Asset['details'];
  status: AssetStatus;
  created_at: Date;
  updated_at: Date;
}

export function assetFromRow(row: AssetRow): Asset {
  return {
    id: row.id,
    symbol: row.symbol,
    name: row.name,
    type: row.type,
    decimals: row.decimals,
    maxSupply: row.max_supply === null ? null : BigInt(row.max_supply),
    totalSupply: BigInt(row.total_supply),
    allowedCountries: row.allowed_countries,
    details: row.details,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Locks the asset row against other writers of it. NO KEY UPDATE (nothing changes an asset's id): FOR UPDATE
 * would also make every insert that references the asset (a transfer opening a balance row, a document)
 * wait for this transaction, through its foreign key's KEY SHARE lock.
 */
async function lockAsset(db: Queryable, id: string): Promise<Asset> {
  const { rows } = await db.query<AssetRow>('SELECT * FROM assets WHERE id = $1 FOR NO KEY UPDATE', [id]);
  if (!rows[0]) throw errors.assetNotFound(id);
  return assetFromRow(rows[0]);
}

/** What GET /assets narrows the list to; every field optional (absent = no narrowing). */
export interface AssetFilter {
  type?: AssetType;
  status?: AssetStatus;
  /** Case-insensitive substring of the symbol or the name, matched literally (no wildcards). */
  q?: string;
}

// A cursor names the filter it was issued for (a short digest of it), so a cursor taken from one filtered
// listing and replayed with another filter is refused instead of silently paging a different list.
const CURSOR_FILTER = /^[A-Za-z0-9_-]{16}$/;
function filterDigest(filter: AssetFilter): string {
  const canonical = JSON.stringify([filter.type ?? null, filter.status ?? null, filter.q ?? null]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** `q` as a LIKE pattern that matches it literally: backslash, % and _ escaped (ESCAPE '\\' in the SQL). */
function literalLike(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class AssetStore {
  constructor(private readonly db: Database) {}

  async create(input: NewAsset, actor: Actor): Promise<Asset> {
    return this.db.transaction(async (tx) => {
      const id = uuidv7();
      const inserted = await tx.query<AssetRow>(
        `INSERT INTO assets (id, symbol, name, type, decimals, max_supply, allowed_countries, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (symbol) DO NOTHING RETURNING *`,
        [
          id,
          input.symbol,
          input.name,
          input.type,
          input.decimals,
          input.maxSupply?.toString() ?? null,
          input.allowedCountries,
          JSON.stringify(input.details),
        ],
      );
      if (!inserted.rows[0]) {
        throw errors.symbolTaken(input.symbol);
      }
      await recordAudit(tx, actor, 'asset.create', { type: 'asset', id }, { symbol: input.symbol });
      return assetFromRow(inserted.rows[0]);
    });
  }

  async get(id: string): Promise<Asset> {
    const { rows } = await this.db.query<AssetRow>('SELECT * FROM assets WHERE id = $1', [id]);
    if (!rows[0]) throw errors.assetNotFound(id);
    return assetFromRow(rows[0]);
  }

  /**
   * One page of assets in id (= creation) order, narrowed by `filter`. Keyset paging on the id stays exact
   * under a filter: the next page is the filtered rows after the last id shown.
   */
  async list(limit: number, cursor?: string, filter: AssetFilter = {}): Promise<Page<Asset>> {
    const digest = filterDigest(filter);
    const after = decodeCursor(cursor, [CURSOR_UUID, CURSOR_FILTER]);
    if (after && after[1] !== digest) throw errors.invalidCursor();
    const where: string[] = [];
    const params: unknown[] = [limit + 1];
    if (after) {
      params.push(after[0]);
      where.push(`id > $${params.length}::uuid`);
    }
    if (filter.type) {
      params.push(filter.type);
      where.push(`type = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.q) {
      params.push(literalLike(filter.q));
      where.push(`(symbol ILIKE $${params.length} ESCAPE '\\' OR name ILIKE $${params.length} ESCAPE '\\')`);
    }
    const { rows } = await this.db.query<AssetRow>(
      `SELECT * FROM assets ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $1`,
      params,
    );
    return page(rows.map(assetFromRow), limit, (item) => [item.id, digest]);
  }

  async setStatus(id: string, status: AssetStatus, actor: Actor): Promise<Asset> {
    return this.db.transaction(async (tx) => {
      const current = await lockAsset(tx, id);
      assertTransition(current.status, status);
      const { rows } = await tx.query<AssetRow>(
        'UPDATE assets SET status = $2, updated_at = now() WHERE id = $1 RETURNING *',
        [id, status],
      );
      await recordAudit(
        tx,
        actor,
        'asset.status',
        { type: 'asset', id },
        { from: current.status, to: status },
      );
      return assetFromRow(rows[0]!);
    });
  }
}
