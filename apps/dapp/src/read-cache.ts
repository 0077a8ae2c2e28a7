import { randomUUID } from 'node:crypto';
import type { Cache } from './ports/cache.ts';

/**
 * Read-through caching with versioned keys, shared by all replicas through the cache.
 *
 * Each cached entity has a version key; values live under `val:<entity>:<version>`. A write bumps the
 * version (a fresh random value) after its transaction commits, so every replica's next read misses and goes
 * to PostgreSQL. A reader that loaded the old row just before the write can only store it under the old
 * version, which nobody reads any more: no stale value survives a completed invalidation. Version keys live
 * twice as long as values, so an expired version can only expose values that have expired too.
 *
 * Bound (documented in docs/operations.md, "How fresh are cached reads across replicas?"): a read that starts after the writer's invalidation reached the
 * cache is fresh. If the cache is unreachable from the writer at that moment, the invalidation is retried
 * before this replica uses the cache again, and other replicas see the new value at the latest when the
 * cached value expires (CACHE_TTL_SECONDS).
 */
export class ReadCache {
  private readonly pending = new Set<string>();

  constructor(
    private readonly cache: Cache,
    private readonly ttlSeconds: number,
  ) {}

  private flushing: Promise<boolean> | undefined;
  private nextFlush: Promise<boolean> | undefined;

  /**
   * Writes the pending version bumps. One flush runs at a time; callers that arrive while one runs share
   * the single flush after it (the running one may have passed their keys before they were added). So the
   * transfers of one group-committed batch, which invalidate the same asset together, cost two cache writes
   * instead of one each.
   */
  private flush(): Promise<boolean> {
    if (!this.flushing) {
      this.flushing = this.flushPending().finally(() => {
        this.flushing = undefined;
      });
      return this.flushing;
    }
    this.nextFlush ??= this.flushing.then(() => {
      this.nextFlush = undefined;
      return this.flush();
    });
    return this.nextFlush;
  }

  /**
   * Takes the pending keys and writes a new version for each. Keys added meanwhile are the next flush's;
   * keys not written (cache unreachable) go back to pending, so this replica writes them before it reads
   * from the cache again.
   */
  private async flushPending(): Promise<boolean> {
    const keys = [...this.pending];
    this.pending.clear();
    for (let i = 0; i < keys.length; i++) {
      if (!(await this.cache.set(`ver:${keys[i]}`, randomUUID(), this.ttlSeconds * 2))) {
        for (const key of keys.slice(i)) this.pending.add(key);
        return false;
      }
    }
    return true;
  }

  /**
   * The JSON text of an entity: from the cache when fresh, else `load()` serialised and cached. Handlers send
   * the text as it is, so a hit costs no parse and no second serialisation.
   */
  async readJson(entity: string, id: string, load: () => Promise<unknown>): Promise<string> {
    const key = `${entity}:${id}`;
    // A failing cache cannot tell a miss from an error; PostgreSQL is the safe answer then.
    if (this.cache.state() !== 'up') return JSON.stringify(await load());
    if (this.pending.size > 0 && !(await this.flush())) return JSON.stringify(await load());
    const version = (await this.cache.get(`ver:${key}`)) ?? '0';
    const hit = await this.cache.get(`val:${key}:${version}`);
    if (hit !== undefined) return hit;
    const text = JSON.stringify(await load());
    await this.cache.set(`val:${key}:${version}`, text, this.ttlSeconds);
    return text;
  }

  async invalidate(entity: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) this.pending.add(`${entity}:${id}`);
    await this.flush();
  }
}
