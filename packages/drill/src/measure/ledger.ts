// Reading the books back after a drill: which acknowledged transfers are missing from the journal (lost
// acknowledged writes), which were applied more than once, and whether the ledger invariant holds (the
// sum of balances equals the supply, no balance below zero). Two readers give the same facts: straight
// from the database (the lab, the tests: exact per idempotency key) and through the public API (a
// deployed release: entry ids and counts).
import type { RequestSample } from '../model.ts';
import { type ApiEndpoint, call } from '../workload/api.ts';

/** The acknowledged transfers of a drill and every idempotency key the client sent. */
export interface Acknowledged {
  /** Idempotency key -> the journal entry id the service answered, and when (ms since the epoch). */
  entries: Map<string, { entryId: string; at: number }>;
  /** Every transfer key sent, acknowledged or not. */
  keys: string[];
}

/** The acknowledged transfers (and every transfer key) in a workload's request records. */
export function acknowledgedOf(samples: readonly RequestSample[]): Acknowledged {
  const transfers = samples.filter((s) => s.op === 'transfer');
  return {
    entries: new Map(
      transfers
        .filter((s) => s.status === 201)
        .map((s) => [s.key, { entryId: s.entryId!, at: s.end }] as const),
    ),
    keys: [...new Set(transfers.map((s) => s.key))],
  };
}

export interface JournalFacts {
  /** Entry ids per idempotency key (readers that can see keys); several ids = applied more than once. */
  idsByKey?: Map<string, string[]>;
  /** Every transfer entry of the asset. */
  transferIds: Set<string>;
}

export interface Books {
  totalSupply: string;
  sumOfBalances: string;
  negativeBalances: number;
}

export interface LedgerReader {
  journal(assetId: string, keys: string[]): Promise<JournalFacts>;
  books(assetId: string): Promise<Books>;
}

export interface LostWrite {
  key: string;
  entryId: string;
  /** When the service acknowledged it. */
  at: number;
}

export interface LedgerFindings {
  lost: LostWrite[];
  duplicates: number;
  books: Books;
  invariantHolds: boolean;
}

export async function verifyLedger(
  reader: LedgerReader,
  assetId: string,
  acknowledged: Acknowledged,
): Promise<LedgerFindings> {
  const [journal, books] = await Promise.all([
    reader.journal(assetId, acknowledged.keys),
    reader.books(assetId),
  ]);
  const lost: LostWrite[] = [];
  for (const [key, { entryId, at }] of acknowledged.entries) {
    const present = journal.idsByKey
      ? journal.idsByKey.get(key)?.includes(entryId)
      : journal.transferIds.has(entryId);
    if (!present) lost.push({ key, entryId, at });
  }
  // Each key may produce one entry at most; without keys, more transfer entries than keys sent are extra.
  const duplicates = journal.idsByKey
    ? [...journal.idsByKey.values()].reduce((n, ids) => n + Math.max(0, ids.length - 1), 0)
    : Math.max(0, journal.transferIds.size - acknowledged.keys.length);
  const invariantHolds = books.sumOfBalances === books.totalSupply && books.negativeBalances === 0;
  return { lost: lost.sort((a, b) => a.at - b.at), duplicates, books, invariantHolds };
}

/** Runs one SQL statement with values; the tests' `svc.sql`, or a pool's query. */
export type Sql = <R extends Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

/** The journal and balances tables, read directly (what the tests and the lab target use). */
export function sqlLedgerReader(sql: Sql): LedgerReader {
  return {
    async journal(assetId, keys) {
      const rows = await sql<{ idempotency_key: string | null; id: string; kind: string }>(
        `SELECT idempotency_key, id::text, kind FROM journal
         WHERE asset_id = $1 AND (kind = 'transfer' OR idempotency_key = ANY($2::text[]))`,
        [assetId, keys],
      );
      const idsByKey = new Map<string, string[]>();
      const wanted = new Set(keys);
      for (const row of rows) {
        if (!row.idempotency_key || !wanted.has(row.idempotency_key)) continue;
        idsByKey.set(row.idempotency_key, [...(idsByKey.get(row.idempotency_key) ?? []), row.id]);
      }
      return { idsByKey, transferIds: new Set(rows.filter((r) => r.kind === 'transfer').map((r) => r.id)) };
    },
    async books(assetId) {
      const [row] = await sql<{ total_supply: string; sum: string; negative: number }>(
        `SELECT a.total_supply::text, COALESCE(SUM(b.amount), 0)::text AS sum,
                COUNT(*) FILTER (WHERE b.amount < 0)::int AS negative
         FROM assets a LEFT JOIN balances b ON b.asset_id = a.id WHERE a.id = $1 GROUP BY a.id`,
        [assetId],
      );
      if (!row) throw new Error(`asset ${assetId} is not in the database`);
      return { totalSupply: row.total_supply, sumOfBalances: row.sum, negativeBalances: row.negative };
    },
  };
}

/** The journal (paged, newest first) and the holders list, read through the API with the drill's key. */
export function apiLedgerReader(api: ApiEndpoint): LedgerReader {
  const get = async (path: string) => {
    for (let attempt = 1; ; attempt++) {
      const answer = await call(api, 'GET', path, { timeoutMs: 15_000 });
      if (answer.status === 200 && answer.body) return answer.body;
      if (attempt === 5) throw new Error(`reading ${path} back: the API answered ${answer.status}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };
  return {
    async journal(assetId) {
      const transferIds = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await get(
          `/api/v1/assets/${assetId}/journal?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        for (const entry of (page.items ?? []) as { id: string; kind: string }[])
          if (entry.kind === 'transfer') transferIds.add(entry.id);
        cursor = (page.nextCursor as string | null) ?? undefined;
      } while (cursor);
      return { transferIds };
    },
    async books(assetId) {
      const holders = (await get(`/api/v1/assets/${assetId}/holders`)) as {
        totalSupply: string;
        holders: { balance: string }[];
      };
      const balances = holders.holders.map((h) => BigInt(h.balance));
      return {
        totalSupply: holders.totalSupply,
        sumOfBalances: balances.reduce((a, b) => a + b, 0n).toString(),
        negativeBalances: balances.filter((b) => b < 0n).length,
      };
    },
  };
}
