import type { Database } from '../adapters/postgres/database.ts';

/** Any fixed 64-bit number distinct from the migration lock's; all replicas use the same one. */
export const PURGE_LOCK_KEY = 0x64616c70_7067; // 'dalp' 'pg'

export type PurgeBatch =
  | { locked: false }
  | {
      locked: true;
      /** Keys due for purging in this batch. */
      due: number;
      /** Keys whose bytes were deleted and whose queue entries are gone. */
      purged: string[];
      /** Queue entries dropped because a document row references the key again (a restored row). */
      referenced: string[];
    };

/** The object_purge_queue table (migration 0004): document bytes waiting for their deferred deletion. */
export class PurgeQueueStore {
  constructor(private readonly db: Database) {}

  /**
   * One batch of the purge, under a transaction-level advisory lock so that one replica purges at a time
   * (another one gets `locked: false` at once instead of waiting). `removeObjects` deletes the bytes of the
   * keys it is given and returns those it deleted; only their queue entries are removed, so a key whose
   * deletion failed stays queued for the next run.
   */
  async purgeBatch(
    retentionHours: number,
    limit: number,
    removeObjects: (keys: string[]) => Promise<string[]>,
  ): Promise<PurgeBatch> {
    return this.db.transaction(async (tx) => {
      const { rows: lock } = await tx.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [PURGE_LOCK_KEY],
      );
      if (!lock[0]?.locked) return { locked: false as const };
      // A key a document row references again (a row restored by hand, or a restore of the documents table
      // alone) is in use: its bytes must stay, and its queue entry is stale.
      const { rows: referenced } = await tx.query<{ object_key: string }>(
        `DELETE FROM object_purge_queue q USING documents d WHERE d.object_key = q.object_key
         RETURNING q.object_key`,
      );
      const { rows: due } = await tx.query<{ object_key: string }>(
        `SELECT object_key FROM object_purge_queue
         WHERE queued_at <= now() - make_interval(hours => $1)
         ORDER BY queued_at, object_key LIMIT $2`,
        [retentionHours, limit],
      );
      const keys = due.map((r) => r.object_key);
      const purged = keys.length > 0 ? await removeObjects(keys) : [];
      if (purged.length > 0)
        await tx.query('DELETE FROM object_purge_queue WHERE object_key = ANY($1::text[])', [purged]);
      return {
        locked: true as const,
        due: keys.length,
        purged,
        referenced: referenced.map((r) => r.object_key),
      };
    });
  }
}
