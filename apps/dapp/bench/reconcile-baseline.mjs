// The same-run baseline of the reconcile bench (reconcile.bench.ts): the least work the checks must do,
// in one plain Node process with one pg connection. Plain JavaScript so that it starts as the compiled
// service does (no TypeScript loader on either side). Prints what it found as JSON; exits 1 if anything
// does not add up, so the bench can refuse a baseline that skipped work.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

const objectsDir = join(process.env.DALP_DATA_DIR, 'objects');
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();

// Ledger: per asset, supply against balances and journal, and every holder's balance against its journal,
// one statement each over all assets (reconcile pages them by asset).
const assets = await client.query(
  `SELECT a.id, a.total_supply = coalesce(b.sum, 0) AND a.total_supply = coalesce(j.sum, 0) AS ok
   FROM assets a
   LEFT JOIN (SELECT asset_id, sum(amount) FROM balances GROUP BY asset_id) b ON b.asset_id = a.id
   LEFT JOIN (SELECT asset_id, sum(CASE kind WHEN 'mint' THEN amount WHEN 'transfer' THEN 0 ELSE -amount END)
              FROM journal GROUP BY asset_id) j ON j.asset_id = a.id`,
);
const holders = await client.query(
  `WITH moves AS (
     SELECT asset_id, to_investor AS investor_id, amount FROM journal WHERE kind IN ('mint', 'transfer')
     UNION ALL
     SELECT asset_id, from_investor, -amount FROM journal WHERE kind IN ('transfer', 'burn', 'redeem')
   ), j AS (SELECT asset_id, investor_id, sum(amount) AS amount FROM moves GROUP BY 1, 2)
   SELECT count(*)::int AS bad FROM balances b FULL JOIN j USING (asset_id, investor_id)
   WHERE coalesce(b.amount, 0) <> coalesce(j.amount, 0)`,
);
// Idempotency records: each points at the journal entry of its own caller and key.
const idempotency = await client.query(
  `SELECT count(*)::int AS records,
          count(*) FILTER (WHERE j.id IS NULL OR j.idempotency_key <> k.key OR j.actor <> k.principal_id)::int AS bad
   FROM idempotency_keys k LEFT JOIN journal j ON j.id = k.journal_id`,
);
// Documents: every object hashed, streamed, four at a time as reconcile does.
const documents = (await client.query('SELECT object_key, size, sha256 FROM documents')).rows;
await client.end();
let badDocuments = 0;
let next = 0;
const hashOne = async () => {
  while (next < documents.length) {
    const doc = documents[next++];
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(join(objectsDir, doc.object_key))) {
      size += chunk.length;
      hash.update(chunk);
    }
    if (size !== Number(doc.size) || hash.digest('hex') !== doc.sha256) badDocuments += 1;
  }
};
await Promise.all(Array.from({ length: 4 }, hashOne));
// Objects: every file under documents/ has a row (no purge queue in the bench's book); the `.type` file
// the filesystem store keeps beside each object is not an object.
const keys = new Set(documents.map((d) => d.object_key));
const entries = await readdir(join(objectsDir, 'documents'), { recursive: true, withFileTypes: true }).catch(
  (error) => {
    if (error.code === 'ENOENT') return []; // no document was ever stored
    throw error;
  },
);
const files = entries
  .filter((e) => e.isFile() && !e.name.endsWith('.type'))
  .map(
    (e) =>
      `documents/${join(e.parentPath ?? e.path, e.name).slice(join(objectsDir, 'documents').length + 1)}`,
  );
const orphans = files.filter((f) => !keys.has(f)).length;

const result = {
  assets: assets.rows.length,
  badAssets: assets.rows.filter((r) => !r.ok).length,
  badHolders: holders.rows[0].bad,
  idempotencyRecords: idempotency.rows[0].records,
  badIdempotency: idempotency.rows[0].bad,
  documents: documents.length,
  badDocuments,
  objects: files.length,
  orphans,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exitCode =
  result.badAssets + result.badHolders + result.badIdempotency + result.badDocuments + orphans === 0 ? 0 : 1;
