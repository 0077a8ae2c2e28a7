import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCache } from '../../src/adapters/cache/memory.ts';
import { ReadCache } from '../../src/read-cache.ts';

/** The embedded cache, with every version write held until the test releases it. */
class GatedCache extends MemoryCache {
  readonly versionWrites: Array<() => void> = [];
  override async set(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (key.startsWith('ver:')) await new Promise<void>((release) => this.versionWrites.push(release));
    return super.set(key, value, ttlSeconds);
  }
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test('an invalidation waits for a version write that started after it was asked for', async () => {
  const cache = new GatedCache();
  const reads = new ReadCache(cache, 60);
  let loads = 0;
  const load = async () => ({ n: ++loads });
  assert.equal(await reads.readJson('holders', 'a', load), '{"n":1}');

  const done: string[] = [];
  const first = reads.invalidate('holders', ['a']).then(() => done.push('first'));
  await turns();
  assert.equal(cache.versionWrites.length, 1, 'the first invalidation writes a version');
  // Asked for while that write runs: it may have been issued before this caller's own write committed.
  const second = reads.invalidate('holders', ['a']).then(() => done.push('second'));
  const third = reads.invalidate('holders', ['a']).then(() => done.push('third'));
  await turns();
  assert.equal(cache.versionWrites.length, 1, 'no second write while the first runs');

  cache.versionWrites.shift()!();
  await turns();
  assert.deepEqual(done, ['first'], 'the later callers wait for a write of their own');
  assert.equal(cache.versionWrites.length, 1, 'one write serves both later callers');
  cache.versionWrites.shift()!();
  await Promise.all([first, second, third]);
  assert.deepEqual(done, ['first', 'second', 'third']);
  assert.equal(cache.versionWrites.length, 0);

  assert.equal(await reads.readJson('holders', 'a', load), '{"n":2}', 'the next read is fresh');
});

test('a batch of invalidations of one key costs two version writes, not one each', async () => {
  let versionWrites = 0;
  const cache = new (class extends MemoryCache {
    override async set(key: string, value: string, ttlSeconds: number): Promise<boolean> {
      if (key.startsWith('ver:')) versionWrites += 1;
      return super.set(key, value, ttlSeconds);
    }
  })();
  const reads = new ReadCache(cache, 60);
  await Promise.all(Array.from({ length: 8 }, () => reads.invalidate('holders', ['a'])));
  assert.equal(versionWrites, 2);
});
