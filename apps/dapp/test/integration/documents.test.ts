import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { STALE_TEMP_FILE_MS } from '../../src/adapters/object-store/filesystem.ts';
import { documentsSuite } from '../support/documents-suite.ts';
import {
  openFilesUnder,
  seedLedger,
  startService,
  streamUpload,
  TestDatabase,
  tempDir,
} from '../support/helpers.ts';

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
  openFiles: (svc) => openFilesUnder(resolve(svc.runtime.config.dataDir)),
  async stop() {
    await db?.destroy();
  },
});

test('a large upload streams through without being buffered whole', async () => {
  const database = await TestDatabase.start();
  const size = 160 * 1024 * 1024;
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
    // Buffering the body anywhere would add at least the size it holds. Streaming leaves only garbage
    // the collector has not reclaimed yet, bounded by the young generation, whose size V8 picks from the
    // runtime version and the machine's memory (figures on Node.js 20 and 24 in docs/node-versions.md).
    const limitMiB = (0.7 * size) / 1024 / 1024;
    assert.ok(
      growthMiB < limitMiB,
      `memory grew by ${growthMiB.toFixed(1)} MiB while streaming ${size / 1024 / 1024} MiB`,
    );
  } finally {
    await svc.close();
    await database.destroy();
  }
});

test('temporary files a killed process left are removed at start, a running upload’s are kept', async () => {
  const database = await TestDatabase.start();
  const data = tempDir('stale-uploads');
  const tmp = join(data.path, 'objects-tmp');
  mkdirSync(tmp, { recursive: true });
  const stale = join(tmp, 'left-by-a-killed-process');
  const fresh = join(tmp, 'being-written');
  writeFileSync(stale, 'partial');
  writeFileSync(fresh, 'partial');
  const longAgo = new Date(Date.now() - STALE_TEMP_FILE_MS - 60_000);
  utimesSync(stale, longAgo, longAgo);
  const svc = await startService(await database.createDatabase(), { DALP_DATA_DIR: data.path });
  try {
    assert.deepEqual(await walk(tmp), [fresh]);
  } finally {
    await svc.close();
    await database.destroy();
    data.remove();
  }
});

test('bytes stay when the database fails while their row is written: the row may have been committed', async () => {
  const database = await TestDatabase.start();
  const svc = await startService(await database.createDatabase());
  try {
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    const objects = async () =>
      (await walk(join(svc.runtime.config.dataDir, 'objects'))).filter((f) => !f.endsWith('.type'));
    const before = await objects();
    // The connection breaks in the middle of the insert, as in a failover: the service cannot know whether
    // a COMMIT it sent landed, so deleting the bytes could leave a row that names nothing.
    await svc.sql(`CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`);
    await svc.sql('CREATE TRIGGER die BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION die()');
    const failed = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=a.txt`, {
      body: new TextEncoder().encode('kept'),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(failed.status, 503, JSON.stringify(failed.body));
    assert.equal(failed.body.error.code, 'database_unavailable');
    assert.equal((await objects()).length, before.length + 1, 'the bytes were kept');
    assert.deepEqual(await svc.sql('SELECT id FROM documents'), []);

    // A refusal the database gives for sure (here: a constraint) still removes them.
    await svc.sql('DROP TRIGGER die ON documents');
    await svc.sql("ALTER TABLE documents ADD CONSTRAINT no_b CHECK (name <> 'b.txt')");
    const refused = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=b.txt`, {
      body: new TextEncoder().encode('removed'),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(refused.status, 500);
    assert.equal((await objects()).length, before.length + 1, 'the refused upload left no bytes');
  } finally {
    await svc.close();
    await database.destroy();
  }
});
