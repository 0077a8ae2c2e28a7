import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryCache } from '../../src/adapters/cache/memory.ts';
import { SlidingWindowLimit } from '../../src/rate-limits.ts';

// The in-process cache is the embedded default's real cache; the clock is the test's, so a window boundary
// is crossed exactly where the test says and never by accident.

function limitAt(limit: number) {
  let now = 0;
  const cache = new MemoryCache();
  const windowLimit = new SlidingWindowLimit(cache, 'rl', limit, 60, () => now);
  return {
    limit: windowLimit,
    at(seconds: number) {
      now = seconds * 1000;
    },
    async hits(id: string, count: number) {
      const allowed: boolean[] = [];
      for (let i = 0; i < count; i++) allowed.push((await windowLimit.hit(id))!.allowed);
      return allowed.filter(Boolean).length;
    },
  };
}

test('a burst across a window boundary gets the limit, not twice it (the fixed window let 20 of 20 through)', async () => {
  const clock = limitAt(10);
  clock.at(59.5);
  assert.equal(await clock.hits('key', 10), 10);
  clock.at(60.5);
  assert.equal(await clock.hits('key', 10), 0, 'right after the boundary the last window still counts');
  // Refused hits count too: a client that keeps hammering waits longer than one that backs off.
  const refused = await clock.limit.hit('key');
  assert.equal(refused?.allowed, false);
  assert.ok(
    refused!.retryAfterSeconds >= 1 && refused!.retryAfterSeconds <= 120,
    String(refused!.retryAfterSeconds),
  );
});

test('the previous window weighs less as it slides away, and nothing after two windows', async () => {
  const clock = limitAt(10);
  clock.at(30);
  assert.equal(await clock.hits('key', 10), 10);
  clock.at(90); // half of the previous window lies within the last minute: 5 of its 10 count
  assert.equal(await clock.hits('key', 20), 5);
  clock.at(181);
  assert.equal(await clock.hits('key', 10), 10);
});

test('ids are limited apart, and peek judges without counting', async () => {
  const clock = limitAt(3);
  clock.at(1);
  assert.equal(await clock.hits('a', 3), 3);
  assert.equal((await clock.limit.peek('a'))?.allowed, false);
  assert.equal((await clock.limit.peek('b'))?.allowed, true);
  assert.equal((await clock.limit.peek('b'))?.allowed, true);
  assert.equal(await clock.hits('b', 3), 3, 'peeks did not count');
});
