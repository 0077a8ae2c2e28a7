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
    atMs(ms: number) {
      now = ms;
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

test('Retry-After of a refused hit is when one more request is allowed, the refused hit counted', async () => {
  // 11 hits of a new key in one window, the 11th refused and counted. A request in the next window is the
  // first hit there, beside 11 decaying ones: allowed once 11 * (1 - f) + 1 <= 10, at f = 2/11 of it,
  // 70.91 s after the first window began. (Retry-After was 65 s: the time the refused hit itself, not one
  // more, would have fitted.)
  const clock = limitAt(10);
  clock.at(1);
  assert.equal(await clock.hits('key', 10), 10);
  const refused = await clock.limit.hit('key');
  assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 70 });
  clock.at(1 + 69);
  assert.equal((await clock.limit.peek('key'))?.allowed, false, 'a second early');
  clock.at(1 + 70);
  assert.equal((await clock.limit.hit('key'))?.allowed, true, 'after Retry-After');

  // Within a window: 10 hits in the previous one weigh 7.5 a quarter into this one; 2 more fit, the 3rd is
  // refused. One more request fits once 10 * (1 - f) + 4 <= 10, at f = 0.4: 9 s later, not 3.
  const slid = limitAt(10);
  slid.at(30);
  assert.equal(await slid.hits('key', 10), 10);
  slid.at(75);
  assert.equal(await slid.hits('key', 2), 2);
  assert.deepEqual(await slid.limit.hit('key'), { allowed: false, retryAfterSeconds: 9 });
  slid.at(83);
  assert.equal((await slid.limit.peek('key'))?.allowed, false, 'a second early');
  slid.at(84);
  assert.equal((await slid.limit.hit('key'))?.allowed, true, 'after Retry-After');
});

test('every refusal, counted or peeked, names the first whole second at which a request is allowed', async () => {
  // Deterministic pseudo-random runs (a linear congruential generator): hits and peeks at random times,
  // each refusal checked by peeking (which counts nothing) a second before its Retry-After and at it.
  let state = 20;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(state / 65536) % n;
  };
  let refusals = 0;
  for (const limit of [1, 2, 3, 7, 10, 100]) {
    for (let run = 0; run < 20; run++) {
      const clock = limitAt(limit);
      let ms = random(60_000);
      for (let step = 0; step < 3 * limit + 10; step++) {
        ms += random(4) === 0 ? random(30_000) : random(500);
        clock.atMs(ms);
        const counted = random(4) !== 0;
        const verdict = (await (counted ? clock.limit.hit('key') : clock.limit.peek('key')))!;
        if (verdict.allowed) continue;
        refusals++;
        const wait = verdict.retryAfterSeconds;
        const where = `limit ${limit}, ${counted ? 'hit' : 'peek'} at ${ms} ms, Retry-After ${wait}`;
        assert.ok(wait >= 1, where);
        clock.atMs(ms + wait * 1000);
        assert.equal((await clock.limit.peek('key'))?.allowed, true, `refused after ${where}`);
        if (wait > 1) {
          clock.atMs(ms + (wait - 1) * 1000);
          assert.equal((await clock.limit.peek('key'))?.allowed, false, `allowed a second before ${where}`);
        }
        clock.atMs(ms);
      }
    }
  }
  assert.ok(refusals > 100, `only ${refusals} refusals checked`);
});
