import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { documentsSuite } from './documents-suite.ts';
import { seedLedger, startService, streamUpload, TestDatabase } from './helpers.ts';

let db: TestDatabase | undefined;

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries.map((e) => (e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))),
  );
  return files.flat().sort();
}

documentsSuite('the filesystem store (embedded default)', {
  async start(maxBytes) {
    db = await TestDatabase.start();
    return startService(await db.createDatabase(), { DOCUMENT_MAX_BYTES: String(maxBytes) });
  },
  // Objects (their `.type` companions aside) and leftovers of failed uploads alike: both directories must stay clean.
  async listObjects(svc) {
    const dir = svc.runtime.config.dataDir;
    const objects = (await walk(join(dir, 'objects'))).filter((f) => !f.endsWith('.type'));
    return [...objects, ...(await walk(join(dir, 'objects-tmp')))];
  },
  async stop() {
    await db?.destroy();
  },
});

test('a large upload streams through without being buffered whole', async () => {
  const database = await TestDatabase.start();
  const size = 96 * 1024 * 1024;
  const svc = await startService(await database.createDatabase(), { DOCUMENT_MAX_BYTES: String(size) });
  try {
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const chunk = Buffer.alloc(256 * 1024, 7);
    const expected = createHash('sha256');
    const result = await streamUpload(
      svc,
      `/api/v1/assets/${assetId}/documents?name=big.bin`,
      size / chunk.length,
      () => {
        expected.update(chunk);
        return chunk;
      },
    );
    clearInterval(sampler);
    assert.equal(result.status, 201, result.body);
    const meta = JSON.parse(result.body);
    assert.equal(meta.size, size);
    assert.equal(meta.sha256, expected.digest('hex'));
    const growthMiB = (peak - baseline) / 1024 / 1024;
    // Buffering the body anywhere would add at least the 96 MiB it holds (a buffering mutation grew it by
    // ~185 MiB); streaming grows it by 15-35 MiB here, garbage the collector has not reclaimed yet.
    assert.ok(growthMiB < 64, `memory grew by ${growthMiB.toFixed(1)} MiB while streaming 96 MiB`);
  } finally {
    await svc.close();
    await database.destroy();
  }
});
