import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher, type Settled } from '../../src/store/batcher.ts';

/** A batcher whose runs wait for the test to release them, recording what each batch held. */
function controlled(options = { maxConcurrent: 1, maxSize: 64 }) {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const batcher = new Batcher<number, number>(async (inputs) => {
    batches.push(inputs);
    await new Promise<void>((resolve) => releases.push(resolve));
    return inputs.map(
      (n): Settled<number> =>
        n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n * 10 },
    );
  }, options);
  const releaseNext = async () => {
    while (releases.length === 0) await new Promise((r) => setImmediate(r));
    releases.shift()!();
  };
  return { batcher, batches, releaseNext };
}

test('items submitted together form one batch; items arriving while it runs form the next', async () => {
  const { batcher, batches, releaseNext } = controlled();
  const first = [1, 2, 3].map((n) => batcher.submit(n));
  await new Promise((r) => setImmediate(r));
  const second = [4, 5].map((n) => batcher.submit(n));
  await releaseNext();
  assert.deepEqual(await Promise.all(first), [10, 20, 30]);
  await releaseNext();
  assert.deepEqual(await Promise.all(second), [40, 50]);
  assert.deepEqual(
    batches,
    [
      [1, 2, 3],
      [4, 5],
    ],
    'the second batch waited for the first',
  );
});

test('each submitter gets its own outcome: a refused item does not fail its neighbours', async () => {
  const { batcher, releaseNext } = controlled();
  const results = [1, -2, 3].map((n) => batcher.submit(n).then(String, (e: Error) => e.message));
  await releaseNext();
  assert.deepEqual(await Promise.all(results), ['10', 'bad -2', '30']);
});

test('a batch that throws rejects exactly its own items, and the batcher goes on', async () => {
  let calls = 0;
  const batcher = new Batcher<number, number>(
    async (inputs) => {
      calls += 1;
      if (calls === 1) throw new Error('connection lost');
      return inputs.map((n) => ({ ok: true, value: n }));
    },
    { maxConcurrent: 1, maxSize: 64 },
  );
  const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
  assert.deepEqual(
    failed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')),
    ['connection lost', 'connection lost'],
  );
  assert.equal(await batcher.submit(3), 3);
});

test('maxSize splits a long queue; maxConcurrent bounds the batches in flight', async () => {
  const { batcher, batches, releaseNext } = controlled({ maxConcurrent: 2, maxSize: 2 });
  const all = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    batches,
    [
      [1, 2],
      [3, 4],
    ],
    'two batches of two in flight, the fifth item waits',
  );
  await releaseNext();
  await releaseNext();
  await releaseNext();
  assert.deepEqual(await Promise.all(all), [10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
});

test('idle() waits for queued and running batches (shutdown closes the pool only after it)', async () => {
  const { batcher, releaseNext } = controlled();
  await batcher.idle();
  const item = batcher.submit(7);
  let idle = false;
  const drained = batcher.idle().then(() => {
    idle = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, 'not idle while a batch runs');
  await releaseNext();
  await drained;
  assert.equal(await item, 70);
});
