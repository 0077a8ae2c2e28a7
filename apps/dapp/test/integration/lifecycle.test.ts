import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Database } from '../../src/adapters/postgres/database.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { embeddedDataDir } from '../support/embedded-support.ts';
import {
  Client,
  MAIN,
  type ServiceProcess,
  spawnService,
  TestDatabase,
  tempDir,
  waitUntil,
} from '../support/helpers.ts';

const running = (svc: ServiceProcess) =>
  waitUntil('service to listen', () => svc.output().includes('Server listening'), 90_000);

async function stop(svc: ServiceProcess): Promise<number | null> {
  svc.child.kill('SIGTERM');
  return svc.exited;
}

describe('embedded defaults', () => {
  // A data directory PostgreSQL (as root: the postgres OS user) can reach, so its files stay inside it.
  const home = tempDir('embedded');
  chmodSync(home.path, 0o755);
  const data = { path: join(home.path, 'data') };
  after(() => home.remove());

  test('first start generates, prints and keeps an admin key; data and key survive a restart', async () => {
    const first = await spawnService({ DALP_DATA_DIR: data.path });
    let assetId: string;
    let key: string;
    try {
      await waitUntil(
        'the start banner',
        () => first.output().includes('DALP is running on embedded defaults'),
        90_000,
      );
      const keyPath = join(data.path, 'admin-api-key');
      key = (await readFile(keyPath, 'utf8')).trim();
      assert.ok(
        first.output().includes(`admin API key:  ${key}`),
        'the generated key is printed once at first start',
      );
      assert.equal(statSync(keyPath).mode & 0o777, 0o600, 'the key file is private');
      assert.ok(
        existsSync(join(data.path, 'postgres', 'PG_VERSION')),
        'the database files are in the data directory',
      );
      assert.ok(!lstatSync(join(data.path, 'postgres')).isSymbolicLink());
      assert.doesNotMatch(
        first.output(),
        /database files:/,
        'nothing to explain when they are where expected',
      );
      assert.ok(
        !/"level".*dalp_[\w-]{43}/.test(first.output()),
        'the key never appears in a structured log line',
      );
      const api = new Client(first.url, key);
      const created = await api.post('/api/v1/assets', {
        symbol: 'KEEP',
        name: 'Kept',
        type: 'fund',
        decimals: 0,
      });
      assert.equal(created.status, 201);
      assetId = created.body.id;
      const doc = await api.request('POST', `/api/v1/assets/${assetId}/documents?name=a.txt`, {
        body: 'persist me',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(doc.status, 201);
    } finally {
      assert.equal(await stop(first), 0, first.output());
    }
    assert.match(first.output(), /shutdown complete/);

    const second = await spawnService({ DALP_DATA_DIR: data.path });
    try {
      await waitUntil('the start banner', () => second.output().includes('DALP is running'), 90_000);
      assert.ok(!second.output().includes(key), 'the key is not printed again');
      assert.match(second.output(), /admin API key:\s+in .*admin-api-key/);
      const api = new Client(second.url, key);
      const asset = await api.get(`/api/v1/assets/${assetId}`);
      assert.equal(asset.status, 200);
      assert.equal(asset.body.symbol, 'KEEP');
      const docs = await api.get(`/api/v1/assets/${assetId}/documents`);
      const content = await api.get(`/api/v1/assets/${assetId}/documents/${docs.body.items[0].id}/content`);
      assert.equal(content.body, 'persist me');
    } finally {
      assert.equal(await stop(second), 0, second.output());
    }
  });

  test('two copies on one machine run side by side (embedded PostgreSQL ports do not clash)', async () => {
    const dirs = [embeddedDataDir('copy-a'), embeddedDataDir('copy-b')];
    const copies = await Promise.all(dirs.map((d) => spawnService({ DALP_DATA_DIR: d.path })));
    try {
      await Promise.all(copies.map(running));
      for (const copy of copies) {
        assert.equal((await fetch(`${copy.url}/readyz`)).status, 200, copy.output());
      }
    } finally {
      await Promise.all(copies.map(stop));
      for (const d of dirs) d.remove();
    }
  });
});

describe('with an external PostgreSQL', () => {
  let db: TestDatabase;
  before(async () => {
    db = await TestDatabase.start();
  });
  after(async () => db?.destroy());

  test('SIGTERM: readiness turns 503 at once, in-flight requests finish, exit 0', async () => {
    const key = 'lifecycle-admin-key-0123456789abcdef';
    const svc = await spawnService({
      DATABASE_URL: await db.createDatabase(),
      DALP_BOOTSTRAP_ADMIN_KEY: key,
      SHUTDOWN_DRAIN_DELAY_MS: '3000',
    });
    await running(svc);
    const api = new Client(svc.url, key);
    const asset = await api.post('/api/v1/assets', {
      symbol: 'SIG',
      name: 'Signal',
      type: 'fund',
      decimals: 0,
    });

    // A slow upload: 12 chunks, 150 ms apart, still sending when SIGTERM arrives, on a keep-alive
    // connection (as a load balancer's): its answer must close the connection, or the idle connection
    // keeps the server from closing until the keep-alive timeout, past the shutdown deadline (exit 1).
    const agent = new Agent({ keepAlive: true });
    after(() => agent.destroy());
    const upload = new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = httpRequest(`${svc.url}/api/v1/assets/${asset.body.id}/documents?name=slow.bin`, {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        req.write(Buffer.alloc(1024, sent));
        if (++sent === 12) {
          clearInterval(timer);
          req.end();
        }
      }, 150);
    });
    await new Promise((r) => setTimeout(r, 300));
    svc.child.kill('SIGTERM');
    await waitUntil(
      'readiness 503 after SIGTERM',
      async () => (await fetch(`${svc.url}/readyz`)).status === 503,
      2500,
    );
    const during = await fetch(`${svc.url}/readyz`);
    assert.equal(((await during.json()) as { shuttingDown: boolean }).shuttingDown, true);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'still serving during the drain delay');
    const answered = await upload;
    assert.equal(answered.status, 201, 'the in-flight upload completed');
    assert.equal(answered.connection, 'close', 'an answer sent while draining closes its connection');
    assert.equal(await svc.exited, 0, svc.output());
  });

  test('`migrate` applies migrations and exits; bad configuration exits 2 with one clear line', async () => {
    const url = await db.createDatabase();
    const run = (env: Record<string, string>, args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
        env: { ...process.env, LOG_LEVEL: 'error', ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    // With the bootstrap key set, as the chart's init container has it: the key waits for the service.
    const migrated = run({ DATABASE_URL: url, DALP_BOOTSTRAP_ADMIN_KEY: 'k'.repeat(32) }, ['migrate']);
    assert.equal(migrated.status, 0, migrated.stderr);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT version FROM schema_migrations');
    await client.end();
    assert.deepEqual(
      rows.map((r) => r.version),
      [
        '0001_initial.sql',
        '0002_transfer_entries_without_supply.sql',
        '0003_console_sessions.sql',
        '0004_object_purge_queue.sql',
        '0005_document_upload_keys.sql',
      ],
    );

    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'abc' }, /PORT must be a whole number/],
      [{ PORT: '70000' }, /PORT must be at most 65535/],
      [
        { DATABASE_URL: url, DATABASE_SSLMODE: 'sometimes' },
        /DATABASE_SSLMODE must be one of disable, require/,
      ],
      [{ DATABASE_URL: url, DATABASE_SSLMODE: 'verify-full' }, /DATABASE_SSLROOTCERT is required/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres/],
      [{ CACHE_URL: 'memcached://x' }, /CACHE_URL must start with redis/],
      [{ OBJECT_STORE_DRIVER: 's3' }, /S3_BUCKET is required/],
      [{ DALP_BOOTSTRAP_ADMIN_KEY: 'short' }, /DALP_BOOTSTRAP_ADMIN_KEY must be at least 24 characters/],
    ];
    for (const [env, message] of cases) {
      const result = run(env, []);
      assert.equal(result.status, 2, `${JSON.stringify(env)}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      if (env.DALP_BOOTSTRAP_ADMIN_KEY)
        assert.ok(!result.stderr.includes(env.DALP_BOOTSTRAP_ADMIN_KEY), 'no secret echoed');
    }
    const unknown = run({}, ['frobnicate']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  test('replicas starting at once apply each migration exactly once', async () => {
    const url = await db.createDatabase();
    const replicas = Array.from({ length: 6 }, () => new Database({ connectionString: url, max: 1 }));
    try {
      const results = await Promise.all(replicas.map((r) => migrate(r.pool)));
      assert.equal(
        results.filter((r) => r.applied.length > 0).length,
        1,
        'one replica applied, the others found it done',
      );
      assert.deepEqual(
        results.flatMap((r) => r.applied),
        [
          '0001_initial.sql',
          '0002_transfer_entries_without_supply.sql',
          '0003_console_sessions.sql',
          '0004_object_purge_queue.sql',
          '0005_document_upload_keys.sql',
        ],
      );
      const { rows } = await replicas[0]!.query(
        "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'journal'",
      );
      assert.equal(rows[0]?.n, 1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});
