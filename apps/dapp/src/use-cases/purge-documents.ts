import type { ObjectStore } from '../ports/object-store.ts';
import type { PurgeQueueStore } from '../store/purge-queue.ts';
import type { WarningLog } from './documents.ts';

export interface PurgeResult {
  /** False when another replica (or `dapp purge-documents`) held the purge lock: this run did nothing. */
  ran: boolean;
  /** Objects deleted, their queue entries gone. */
  purged: number;
  /** Due objects whose deletion failed: they stay queued for the next run. */
  failed: number;
  /** Queue entries dropped because a document row references their key again: their bytes were kept. */
  keptReferenced: number;
}

const BATCH = 100;
const CONCURRENCY = 4;

/**
 * The deferred deletion of document bytes (docs/reconcile.md): deletes the objects of documents deleted
 * more than `retentionHours` ago, batch by batch, one replica at a time (an advisory lock; store/purge-queue.ts).
 * Until then a database restored to a point before a deletion still finds the bytes its row references.
 */
export class DocumentPurge {
  constructor(
    private readonly queue: PurgeQueueStore,
    /** Unobserved: a background clean-up is no client's use of the store; its failures are logged. */
    private readonly objects: ObjectStore,
    readonly retentionHours: number,
  ) {}

  async run(log: WarningLog): Promise<PurgeResult> {
    const result: PurgeResult = { ran: false, purged: 0, failed: 0, keptReferenced: 0 };
    for (;;) {
      let failedHere = 0;
      const batch = await this.queue.purgeBatch(this.retentionHours, BATCH, async (keys) => {
        const deleted: string[] = [];
        let next = 0;
        // A few deletions at once (each is one request to the store); hand-written for the same reason as
        // reconcile's: a dozen lines.
        const worker = async () => {
          while (next < keys.length) {
            const objectKey = keys[next++]!;
            try {
              await this.objects.delete(objectKey);
              deleted.push(objectKey);
            } catch (error) {
              failedHere += 1;
              log.warn({ err: error, objectKey }, 'purge: document bytes not deleted; kept queued');
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
        return deleted;
      });
      if (!batch.locked) return result;
      result.ran = true;
      result.purged += batch.purged.length;
      result.failed += failedHere;
      result.keptReferenced += batch.referenced.length;
      // A batch that was not full was the last; one whose deletions all failed would only fail again now.
      if (batch.due < BATCH || batch.purged.length === 0) return result;
    }
  }
}
