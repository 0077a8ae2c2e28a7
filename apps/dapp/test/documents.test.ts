import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { documentsSuite } from './documents-suite.ts';
import { startService, TestDatabase } from './helpers.ts';

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
