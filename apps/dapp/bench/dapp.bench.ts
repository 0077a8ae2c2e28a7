import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startEmbeddedPostgres } from '../src/adapters/postgres/embedded.ts';

// Throughput of the service against baselines measured in the same run on the same machine:
// reads against an empty route of the same framework, transfers against pgbench single-row updates on the
// same embedded PostgreSQL. Ratios are what we track; absolute numbers depend on the machine.

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const EMPTY = fileURLToPath(new URL('./empty-server.ts', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = 16;
const HOLDERS = 1000;
const ADMIN_KEY = 'bench-admin-key-000000000000000000000000';

type Row = Record<string, string | number>;

async function startProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(`${url}/${script === EMPTY ? 'empty' : 'readyz'}`);
      if (response.ok) return { child, url };
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

async function load(
  options: autocannon.Options,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as any;
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

function pgbench(connectionString: string, dir: string): { tps: number; p50: string } {
  const url = new URL(connectionString);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const args = ['-h', url.hostname, '-p', url.port, '-U', url.username, url.pathname.slice(1)];
  const setup = spawnSync(
    'psql',
    [
      ...args,
      '-qc',
      `DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows AS SELECT g AS id, 0::numeric(78,0) AS n FROM generate_series(1, ${HOLDERS}) g; ALTER TABLE bench_rows ADD PRIMARY KEY (id);`,
    ],
    { env, encoding: 'utf8' },
  );
  if (setup.status !== 0) throw new Error(`pgbench setup failed: ${setup.stderr}`);
  const script = join(dir, 'update.sql');
  writeFileSync(script, `\\set id random(1, ${HOLDERS})\nUPDATE bench_rows SET n = n + 1 WHERE id = :id;\n`);
  const run = spawnSync(
    'pgbench',
    ['-n', '-c', String(CONNECTIONS), '-j', '2', '-T', String(DURATION_S), '-f', script, ...args],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const tps = Number(run.stdout.match(/tps = ([\d.]+)/)?.[1]);
  const latency = run.stdout.match(/latency average = ([\d.]+) ms/)?.[1] ?? '?';
  return { tps: Math.round(tps), p50: `${latency} (avg)` };
}

export async function runDappBench(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-bench-'));
  chmodSync(dir, 0o755); // run as root, Postgres runs as `postgres` and must reach its data dir
  const embedded = await startEmbeddedPostgres(join(dir, 'data'), () => undefined);
  const children: ChildProcess[] = [];
  try {
    const empty = await startProcess(EMPTY, {});
    children.push(empty.child);
    const svc = await startProcess(MAIN, {
      DATABASE_URL: embedded.connectionString,
      DALP_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      DALP_DATA_DIR: join(dir, 'svc'),
      DATABASE_POOL_MAX: '16',
    });
    children.push(svc.child);

    const asset = await api(svc.url, 'POST', '/api/v1/assets', {
      symbol: 'BENCH',
      name: 'Bench',
      type: 'equity',
      decimals: 0,
    });
    await api(svc.url, 'POST', `/api/v1/assets/${asset.id}/status`, { status: 'active' });
    // 1000 holders, like pgbench's 1000 rows: both sides see the same (low) row contention.
    const investors: string[] = [];
    for (let batch = 0; batch < HOLDERS / 25; batch++) {
      const ids = await Promise.all(
        Array.from({ length: 25 }, async (_, j) => {
          const i = batch * 25 + j;
          const investor = await api(svc.url, 'POST', '/api/v1/investors', {
            name: `B${i}`,
            country: 'BE',
            kycStatus: 'verified',
          });
          const mint = { to: investor.id, amount: '1000000000' };
          await api(svc.url, 'POST', `/api/v1/assets/${asset.id}/mint`, mint, {
            'idempotency-key': `seed-${i}`,
          });
          return investor.id as string;
        }),
      );
      investors.push(...ids);
    }

    const emptyRead = await load({ url: `${empty.url}/empty` });
    const read = await load({
      url: `${svc.url}/api/v1/assets/${asset.id}`,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });

    let n = 0;
    const transfers = await load({
      url: svc.url,
      requests: [
        {
          method: 'POST',
          path: `/api/v1/assets/${asset.id}/transfers`,
          setupRequest: (request) => {
            n += 1;
            // Random distinct pairs of holders.
            const from = investors[Math.floor(Math.random() * investors.length)]!;
            let to = investors[Math.floor(Math.random() * investors.length)]!;
            if (to === from) to = investors[(investors.indexOf(from) + 1) % investors.length]!;
            return {
              ...request,
              headers: {
                authorization: `Bearer ${ADMIN_KEY}`,
                'content-type': 'application/json',
                'idempotency-key': `bench-${n}`,
              },
              body: JSON.stringify({ from, to, amount: '1' }),
            };
          },
        },
      ],
    });
    const baseline = pgbench(embedded.connectionString, dir);

    return [
      {
        benchmark: 'baseline: empty Fastify route',
        'req/s': emptyRead.rps,
        'p50 ms': emptyRead.p50,
        'p99 ms': emptyRead.p99,
        errors: emptyRead.errors,
        ratio: '1.00',
      },
      {
        benchmark: 'GET /api/v1/assets/{id}',
        'req/s': read.rps,
        'p50 ms': read.p50,
        'p99 ms': read.p99,
        errors: read.errors,
        ratio: (read.rps / emptyRead.rps).toFixed(2),
      },
      {
        benchmark: 'baseline: pgbench single-row UPDATE',
        'req/s': baseline.tps,
        'p50 ms': baseline.p50,
        'p99 ms': '-',
        errors: 0,
        ratio: '1.00',
      },
      {
        benchmark: 'POST /api/v1/assets/{id}/transfers',
        'req/s': transfers.rps,
        'p50 ms': transfers.p50,
        'p99 ms': transfers.p99,
        errors: transfers.errors,
        ratio: (transfers.rps / baseline.tps).toFixed(2),
      },
    ];
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await runDappBench());
}
