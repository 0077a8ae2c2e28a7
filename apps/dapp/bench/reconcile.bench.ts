import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { FilesystemObjectStore } from '../src/adapters/object-store/filesystem.ts';
import { startEmbeddedPostgres } from '../src/adapters/postgres/embedded.ts';
import type { ReconcileReport } from '../src/use-cases/reconcile.ts';
import { buildService } from './dapp.bench.ts';

// `dapp reconcile --json` (docs/reconcile.md) on a consistent book at two sizes, 1x and 10x, against a
// baseline measured in the same run on the same book: the least work the checks must do, in one plain
// Node process (reconcile-baseline.mjs): the ledger aggregates as single SQL statements over one
// connection, the idempotency join, and SHA-256 over every object file. Reported: median wall time and peak
// RSS of each process, reconcile's time as a ratio to the baseline, and the 10x/1x time ratio (linearity).
//
// Fairness rules (the machine has 2 cores and is shared):
// - both sides are whole processes, started the same way (`/usr/bin/time node <script>`), so both pay
//   Node's start-up; the service runs as it ships, compiled by tsc (dist/main.js), and the baseline is
//   plain JavaScript, so neither pays a TypeScript loader;
// - both read the same book from the same PostgreSQL and the same object files, and hash four objects at
//   a time (reconcile's default concurrency); each size first runs both once unmeasured (page cache, hint
//   bits), then RUNS interleaved rounds, the subject first in every other round; the ratio is the median
//   of the per-round ratios, so both sides of a ratio saw the same machine;
// - peak RSS is the kernel's own maximum for the process (wait4's ru_maxrss, which GNU time prints as %M):
//   exact, where polling /proc/<pid>/status VmHWM can miss a process that lives less than one interval,
//   and it needs no wrapper code inside the measured process.
//
// The object store is the filesystem store (DALP_DATA_DIR/objects), not s3rver: s3rver is itself a Node
// process on the same 2 cores, and its HTTP and XML handling would dominate and blur what reconcile costs;
// the store adapter is the same port either way, and the baseline reads the same files directly.
//
// The book is built fast but valid: the service's own `dapp migrate`, then bulk SQL that keeps every
// constraint and invariant (journal arithmetic, running supply on mints and burns, none on transfers,
// balances = journal per holder, an idempotency record per entry pointing at it), and documents put
// through the store adapter with their size and SHA-256 in their rows. Both sides must report the book
// consistent, or the bench fails: a broken book would measure the wrong work.
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(APP_DIR, 'dist', 'main.js');
const BASELINE = fileURLToPath(new URL('./reconcile-baseline.mjs', import.meta.url));
const TIME = '/usr/bin/time';
const RUNS = Number(process.env.BENCH_RECONCILE_RUNS ?? 3);
/** Journal entries of the 1x book; the 10x book has ten times as many, and ten times the holders and documents. */
const ENTRIES_1X = Number(process.env.BENCH_RECONCILE_ENTRIES ?? 50_000);
const DOCUMENTS_1X = Number(process.env.BENCH_RECONCILE_DOCUMENTS ?? 50);
const DOCUMENT_BYTES = 256 * 1024;
const ASSETS = 4;
/** The caller every write of the book is recorded as (an admin key's id). */
const PRINCIPAL = '019a0000-0000-7000-8000-000000000001';

type Row = Record<string, string | number>;

interface Book {
  name: string;
  entries: number;
  holders: number;
  documents: number;
}

/** A UUIDv7-shaped id from a number: time-ordered like the service's, distinct per `n`. */
const v7 = (n: string) =>
  `(lpad(to_hex(1764000000000 + (${n})), 12, '0') || '7' || substr(md5((${n})::text), 1, 3) || '8' ||
    substr(md5((${n})::text), 4, 15))::uuid`;

/**
 * Fills a migrated, empty database. Every holder gets a mint of each asset, then transfers between
 * distinct holders and a few burns; a holder sends about entries / (4 * holders) transfers of at most 10
 * units per asset, far below its 1,000,000, so no balance goes negative (the CHECK would refuse it).
 */
async function fillLedger(pool: pg.Pool, book: Book): Promise<void> {
  const h = book.holders;
  const mints = ASSETS * h;
  const burns = Math.floor(book.entries / 100);
  await pool.query(
    `INSERT INTO investors (id, name, country, kyc_status)
     SELECT ${v7('i')}, 'Holder ' || i, 'DE', 'verified' FROM generate_series(1, ${h}) i`,
  );
  await pool.query(
    `INSERT INTO assets (id, symbol, name, type, decimals, status)
     SELECT ${v7('10000000 + k')}, 'BENCH' || k, 'Bench ' || k, 'equity', 0, 'active'
     FROM generate_series(0, ${ASSETS - 1}) k`,
  );
  await pool.query(
    `WITH e AS (
       SELECT n, CASE WHEN n <= ${mints} THEN 'mint' WHEN n <= ${book.entries - burns} THEN 'transfer'
                      ELSE 'burn' END AS kind
       FROM generate_series(1::bigint, ${book.entries}) n
     ), m AS (
       SELECT n, kind,
              CASE kind WHEN 'mint' THEN (n - 1) / ${h} ELSE n % ${ASSETS} END AS k,
              CASE kind WHEN 'transfer' THEN (n * 7919) % ${h} + 1
                        WHEN 'burn' THEN (n * 104729) % ${h} + 1 END AS from_i,
              -- 1 + n % (h - 1) is in 1..h-1: the receiver is never the sender.
              CASE kind WHEN 'mint' THEN (n - 1) % ${h} + 1
                        WHEN 'transfer' THEN ((n * 7919) % ${h} + 1 + n % ${h - 1}) % ${h} + 1 END AS to_i,
              CASE kind WHEN 'mint' THEN 1000000 WHEN 'transfer' THEN 1 + n % 10 ELSE 1 + n % 100 END AS amount
       FROM e
     )
     INSERT INTO journal (id, asset_id, kind, from_investor, to_investor, amount, total_supply,
                          idempotency_key, actor)
     SELECT ${v7('20000000 + n')}, ${v7('10000000 + k')}, kind,
            CASE WHEN from_i IS NOT NULL THEN ${v7('from_i')} END,
            CASE WHEN to_i IS NOT NULL THEN ${v7('to_i')} END, amount,
            CASE WHEN kind <> 'transfer' THEN
              sum(CASE kind WHEN 'mint' THEN amount WHEN 'burn' THEN -amount ELSE 0 END)
                OVER (PARTITION BY k ORDER BY n) END,
            'bench-' || lpad(n::text, 8, '0'), '${PRINCIPAL}'
     FROM m ORDER BY n`,
  );
  await pool.query(
    `INSERT INTO idempotency_keys (principal_id, key, request_hash, journal_id)
     SELECT actor, idempotency_key, md5(idempotency_key), id FROM journal`,
  );
  await pool.query(
    `INSERT INTO balances (asset_id, investor_id, amount)
     SELECT asset_id, investor_id, sum(amount) FROM (
       SELECT asset_id, to_investor AS investor_id, amount FROM journal WHERE kind IN ('mint', 'transfer')
       UNION ALL
       SELECT asset_id, from_investor, -amount FROM journal WHERE kind IN ('transfer', 'burn', 'redeem')
     ) moves GROUP BY 1, 2`,
  );
  await pool.query(
    `UPDATE assets a SET total_supply = j.supply
     FROM (SELECT asset_id, sum(CASE kind WHEN 'mint' THEN amount WHEN 'transfer' THEN 0 ELSE -amount END) AS supply
           FROM journal GROUP BY asset_id) j
     WHERE j.asset_id = a.id`,
  );
}

/** Documents of random bytes: each object put through the store adapter, its row with size and SHA-256. */
async function fillDocuments(pool: pg.Pool, dataDir: string, count: number): Promise<void> {
  const store = await FilesystemObjectStore.open(dataDir);
  const { rows: assets } = await pool.query<{ id: string }>('SELECT id FROM assets ORDER BY id');
  const ids = (
    await pool.query<{ id: string }>(`SELECT ${v7('30000000 + i')} AS id FROM generate_series(1, $1) i`, [
      count,
    ])
  ).rows.map((r) => r.id);
  const rows = {
    id: [] as string[],
    asset: [] as string[],
    size: [] as number[],
    sha256: [] as string[],
    key: [] as string[],
  };
  for (const [i, id] of ids.entries()) {
    const assetId = assets[i % assets.length]!.id;
    const bytes = randomBytes(DOCUMENT_BYTES);
    const key = `documents/${assetId}/${id}`;
    await store.put(key, Readable.from([bytes]), 'application/pdf');
    rows.id.push(id);
    rows.asset.push(assetId);
    rows.size.push(bytes.length);
    rows.sha256.push(createHash('sha256').update(bytes).digest('hex'));
    rows.key.push(key);
  }
  await pool.query(
    `INSERT INTO documents (id, asset_id, name, content_type, size, sha256, object_key, created_by)
     SELECT id, asset_id, 'prospectus-' || id || '.pdf', 'application/pdf', size, sha256, key, $6
     FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[]) AS t(id, asset_id, size, sha256, key)`,
    [rows.id, rows.asset, rows.size, rows.sha256, rows.key, PRINCIPAL],
  );
}

interface Measured {
  seconds: number;
  rssMiB: number;
  stdout: string;
}

/** One process under GNU time: wall time seen from here, peak RSS as the kernel counted it. */
function measure(
  script: string,
  args: string[],
  env: Record<string, string>,
  tag: string,
): Promise<Measured> {
  const rssFile = join(tmpdir(), `dalp-reconcile-bench-${process.pid}-${tag}.rss`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(TIME, ['-f', '%M', '-o', rssFile, process.execPath, script, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      let rss = '';
      try {
        rss = readFileSync(rssFile, 'utf8');
      } catch {
        // GNU time did not run the command (it failed to start): the exit code below says so.
      }
      rmSync(rssFile, { force: true });
      if (code !== 0)
        return reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${stdout}${stderr}`));
      // GNU time writes a "Command exited with non-zero status" line first when there is one; %M is last.
      const kib = Number(rss.trim().split('\n').at(-1));
      if (!Number.isFinite(kib) || kib <= 0) return reject(new Error(`${TIME} reported no peak RSS: ${rss}`));
      resolve({ seconds, rssMiB: kib / 1024, stdout });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));

interface Rounds {
  reconcile: Measured[];
  baseline: Measured[];
}

async function measureBook(book: Book, env: Record<string, string>): Promise<Rounds> {
  const reconcile = async () => {
    const m = await measure(MAIN, ['reconcile', '--json'], env, `${book.name}-reconcile`);
    const report = JSON.parse(m.stdout) as ReconcileReport;
    const expected = {
      assets: book.entries > 0 ? ASSETS : 0,
      idempotencyRecords: book.entries,
      documents: book.documents,
      objects: book.documents,
    };
    if (!report.reconciled || JSON.stringify(report.checked) !== JSON.stringify(expected))
      throw new Error(`the ${book.name} book does not reconcile as built: ${m.stdout.slice(0, 2000)}`);
    return m;
  };
  const baseline = async () => {
    const m = await measure(BASELINE, [], env, `${book.name}-baseline`);
    const found = JSON.parse(m.stdout) as Record<string, number>;
    if (
      found.idempotencyRecords !== book.entries ||
      found.documents !== book.documents ||
      found.objects !== book.documents
    )
      throw new Error(`the baseline did not read the whole ${book.name} book: ${m.stdout}`);
    return m;
  };
  await reconcile();
  await baseline();
  const rounds: Rounds = { reconcile: [], baseline: [] };
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      rounds.reconcile.push(await reconcile());
      rounds.baseline.push(await baseline());
    } else {
      rounds.baseline.push(await baseline());
      rounds.reconcile.push(await reconcile());
    }
  }
  return rounds;
}

export async function runReconcileBench(): Promise<Row[]> {
  buildService();
  const dir = mkdtempSync(join(tmpdir(), 'dalp-reconcile-bench-'));
  chmodSync(dir, 0o755); // run as root, Postgres runs as `postgres` and must reach its data dir
  const embedded = await startEmbeddedPostgres(join(dir, 'data'), {
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  try {
    // The empty book (migrated, nothing in it) is what every run pays before checking anything: Node's
    // start-up, loading the service, connecting. The 1x book is sized so that its checks outweigh that
    // (at 10k entries they did not, and 10x / 1x said more about start-up than about the checks).
    const books: Book[] = [0, 1, 10].map((x) => ({
      name: x === 0 ? 'empty' : `${x}x`,
      entries: ENTRIES_1X * x,
      holders: (ENTRIES_1X * x) / 20,
      documents: DOCUMENTS_1X * x,
    }));
    const results: Array<{ book: Book; rounds: Rounds }> = [];
    for (const book of books) {
      const database = `book_${book.name}`;
      const admin = new pg.Pool({ connectionString: embedded.connectionString, max: 1 });
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      const url = new URL(embedded.connectionString);
      url.pathname = `/${database}`;
      const dataDir = join(dir, database);
      const env = { DATABASE_URL: url.toString(), DALP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      await measure(MAIN, ['migrate'], env, `${book.name}-migrate`);
      const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
      try {
        if (book.entries > 0) {
          await fillLedger(pool, book);
          await fillDocuments(pool, dataDir, book.documents);
        }
        // A restored or long-running database has its statistics and visibility map; a fresh bulk load
        // has neither, and the first run would pay for them.
        await pool.query('VACUUM ANALYZE');
      } finally {
        await pool.end();
      }
      results.push({ book, rounds: await measureBook(book, env) });
    }

    const rows: Row[] = [];
    const medians = { reconcile: new Map<string, number>(), baseline: new Map<string, number>() };
    for (const { book, rounds } of results) {
      const size =
        book.entries === 0
          ? 'empty: migrated, no rows, no objects'
          : `${book.name}: ${book.entries} entries, ${book.holders} holders x ${ASSETS} assets, ${book.documents} x 256 KiB documents`;
      const ratios = rounds.reconcile.map((r, i) => r.seconds / rounds.baseline[i]!.seconds);
      for (const side of ['reconcile', 'baseline'] as const)
        medians[side].set(book.name, median(rounds[side].map((r) => r.seconds)));
      const linearity = (side: 'reconcile' | 'baseline') =>
        book.name === '10x' ? (medians[side].get('10x')! / medians[side].get('1x')!).toFixed(2) : '';
      const row = (what: string, runs: Measured[], ratio: string, linearity: string): Row => ({
        book: size,
        what,
        'median s': fixed(median(runs.map((r) => r.seconds))),
        'runs s': runs.map((r) => r.seconds.toFixed(2)).join(' '),
        'peak RSS MiB (median)': fixed(median(runs.map((r) => r.rssMiB)), 1),
        'x baseline (median of rounds)': ratio,
        '10x / 1x time': linearity,
      });
      rows.push(
        row(
          'baseline: SQL aggregates + SHA-256 of the files (reconcile-baseline.mjs)',
          rounds.baseline,
          '',
          linearity('baseline'),
        ),
      );
      rows.push(
        row(
          'dapp reconcile --json (dist/main.js)',
          rounds.reconcile,
          `${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(' ')})`,
          linearity('reconcile'),
        ),
      );
    }
    return rows;
  } finally {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await runReconcileBench());
}
