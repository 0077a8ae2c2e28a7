import type { Database } from '../adapters/postgres/database.ts';
import { errors } from '../errors.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// Ids are UUIDv7 (time-ordered), so ordering by id is creation order and keyset pagination is exact.
// Cursors are opaque to clients (base64url JSON of the last row's sort key), so the sort key can change
// without breaking them, and keyset pagination stays fast on large tables.
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export const CURSOR_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const CURSOR_SEQ = /^\d{1,18}$/;

/** Decodes a cursor whose parts must match `shape` (checked, so a forged cursor is a 400, not a SQL error). */
export function decodeCursor(cursor: string | undefined, shape: readonly RegExp[]): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(key) &&
      key.length === shape.length &&
      key.every((k, i) => typeof k === 'string' && shape[i]!.test(k))
    ) {
      return key as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw errors.invalidCursor();
}

export function page<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/**
 * One page of a table keyed by UUIDv7 ids, in id (= creation) order. `table` is always a constant of the
 * calling store, never input.
 */
export async function pageById<Row extends { id: string }, T extends { id: string }>(
  db: Database,
  table: 'investors' | 'api_keys',
  fromRow: (row: Row) => T,
  limit: number,
  cursor?: string,
): Promise<Page<T>> {
  const after = decodeCursor(cursor, [CURSOR_UUID]);
  const { rows } = await db.query<Row>(
    after
      ? `SELECT * FROM ${table} WHERE id > $2::uuid ORDER BY id LIMIT $1`
      : `SELECT * FROM ${table} ORDER BY id LIMIT $1`,
    after ? [limit + 1, ...after] : [limit + 1],
  );
  return page(rows.map(fromRow), limit, (item) => [item.id]);
}
