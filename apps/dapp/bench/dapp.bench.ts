import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, startEmbeddedPostgres } from '../src/adapters/postgres/embedded.ts';
import { exitedChildrenCpu, postgresCpu, processCpu } from './cpu.ts';

// Throughput of the service against baselines measured in the same run on the same machine:
// reads against an empty route of the same framework, transfers against pgbench single-row updates on the
// same embedded PostgreSQL. Ratios are what we track; absolute numbers depend on the machine.
//
// Fairness rules, since the machine (2 cores) is shared and the service, PostgreSQL and the load generator
// all compete for it:
// - both sides of a pair use the same client concurrency and the same measured duration, each after its own
//   warm-up (JIT, plan caches, connection pools) that is not counted;
// - baseline and subject run back to back, in ROUNDS interleaved rounds (the subject first in every other
//   round), and each ratio is the median of the per-round ratios, so a burst of outside load hits both sides
//   of a ratio rather than one;
// - pgbench runs with -M prepared: the service uses named prepared statements, so the raw-database baseline
//   must not pay parse and plan on every statement either (that would flatter the ratio by about 25%).
// - the service runs as it ships: compiled by tsc (`npm run build -w @dalp/dapp`) and started with plain
//   `node dist/main.js`, as the image's entrypoint does, not through the tsx loader used in development.
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(APP_DIR, 'dist', 'main.js');
const EMPTY = fileURLToPath(new URL('./empty-server.ts', import.meta.url));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 16;
const HOLDERS = 1000;
const ADMIN_KEY = 'bench-admin-key-000000000000000000000000';

type Row = Record<string, string | number>;

async function startProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, script.endsWith('.ts') ? ['--import', 'tsx', script] : [script], {
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

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU milliseconds per request of the server process (none for pgbench), PostgreSQL and the load generator. */
  cpu: { server?: number; postgres: number; load: number };
}

/** The processes whose CPU a run is charged: the HTTP server and PostgreSQL (by its postmaster.pid file). */
interface Processes {
  server: number;
  postmasterPidFile: string;
}

/** An autocannon run against an HTTP server (after its warm-up), with the CPU each process spent on it. */
async function load(
  options: autocannon.Options,
  { server, postmasterPidFile }: Processes,
): Promise<Measured> {
  await autocannon({ connections: CONNECTIONS, duration: WARMUP_S, ...options });
  const before = { server: processCpu(server), postgres: postgresCpu(postmasterPidFile) };
  const loadBefore = process.cpuUsage();
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
  const loadUsed = process.cpuUsage(loadBefore);
  const perRequest = (seconds: number) => (seconds * 1000) / result.requests.total;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpu: {
      server: perRequest(processCpu(server) - before.server),
      postgres: perRequest(postgresCpu(postmasterPidFile) - before.postgres),
      load: perRequest((loadUsed.user + loadUsed.system) / 1e6),
    },
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

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

function pgbenchArgs(connectionString: string) {
  const url = new URL(connectionString);
  return {
    env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
    args: ['-h', url.hostname, '-p', url.port, '-U', url.username, url.pathname.slice(1)],
  };
}

function pgbenchSetup(connectionString: string, dir: string): string {
  const { env, args } = pgbenchArgs(connectionString);
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
  return script;
}

/** One pgbench run (after its warm-up), with p50/p99 from its per-transaction log. */
function pgbench(connectionString: string, dir: string, script: string, postmasterPidFile: string): Measured {
  const { env, args } = pgbenchArgs(connectionString);
  const run = (seconds: number, log?: string) => {
    const result = spawnSync(
      'pgbench',
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(CONNECTIONS),
        '-j',
        '2',
        '-T',
        String(seconds),
        ...(log ? ['-l', `--log-prefix=${log}`] : []),
        '-f',
        script,
        ...args,
      ],
      { env, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`pgbench failed: ${result.stderr}`);
    return result.stdout;
  };
  run(WARMUP_S);
  const logDir = mkdtempSync(join(dir, 'pgbench-'));
  const before = { postgres: postgresCpu(postmasterPidFile), load: exitedChildrenCpu() };
  const stdout = run(DURATION_S, join(logDir, 'tx'));
  const transactions = Number(stdout.match(/number of transactions actually processed: (\d+)/)?.[1]);
  const perTransaction = (seconds: number) => (seconds * 1000) / transactions;
  const cpu = {
    postgres: perTransaction(postgresCpu(postmasterPidFile) - before.postgres),
    load: perTransaction(exitedChildrenCpu() - before.load),
  };
  // Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
  const latencies = readdirSync(logDir).flatMap((file) =>
    readFileSync(join(logDir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split(' ')[2]) / 1000),
  );
  rmSync(logDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.floor(q * (latencies.length - 1))] ?? Number.NaN);
  return {
    rps: Math.round(Number(stdout.match(/tps = ([\d.]+)/)?.[1])),
    p50: at(0.5),
    p99: at(0.99),
    errors: 0,
    cpu,
  };
}

/** Medians over the rounds of each process's CPU per request, and of their sum. */
function cpuColumn(cpu: Measured['cpu'][]): string {
  const part = (values: number[]) => median(values).toFixed(3);
  const server = cpu.every((c) => c.server !== undefined) ? part(cpu.map((c) => c.server!)) : '-';
  const total = part(cpu.map((c) => (c.server ?? 0) + c.postgres + c.load));
  return `${server} + ${part(cpu.map((c) => c.postgres))} + ${part(cpu.map((c) => c.load))} = ${total}`;
}

/** Compiles the service as the image build does; the bench then runs exactly that output. */
function buildService(): void {
  const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
  const build = spawnSync(process.execPath, [tsc, '-p', join(APP_DIR, 'tsconfig.build.json')], {
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building the service failed:\n${build.stdout}${build.stderr}`);
}

export async function runDappBench(): Promise<Row[]> {
  buildService();
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

    let n = 0;
    const transferLoad: autocannon.Options = {
      url: svc.url,
      requests: [
        {
          method: 'POST',
          path: `/api/v1/assets/${asset.id}/transfers`,
          setupRequest: (request) => {
            n += 1;
            // Random distinct pairs of holders.
            const from = Math.floor(Math.random() * investors.length);
            const to = (from + 1 + Math.floor(Math.random() * (investors.length - 1))) % investors.length;
            return {
              ...request,
              headers: {
                authorization: `Bearer ${ADMIN_KEY}`,
                'content-type': 'application/json',
                'idempotency-key': `bench-${n}`,
              },
              body: JSON.stringify({ from: investors[from], to: investors[to], amount: '1' }),
            };
          },
        },
      ],
    };
    const script = pgbenchSetup(embedded.connectionString, dir);

    const rounds: Array<Record<'emptyRead' | 'read' | 'baseline' | 'transfers', Measured>> = [];
    const readLoad = {
      url: `${svc.url}/api/v1/assets/${asset.id}`,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    };
    const emptyLoad = { url: `${empty.url}/empty` };
    const postmasterPidFile = join(dir, 'data', 'postgres', 'postmaster.pid');
    const service = { server: svc.child.pid!, postmasterPidFile };
    const emptyServer = { server: empty.child.pid!, postmasterPidFile };
    const runPgbench = () => pgbench(embedded.connectionString, dir, script, postmasterPidFile);
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round the subject goes first: whichever runs second inherits the first one's aftermath
      // (autovacuum and checkpoints after a write burst, a warm or cold CPU), so neither side always does.
      const subjectFirst = round % 2 === 1;
      const [emptyRead, read] = subjectFirst
        ? await load(readLoad, service).then(async (r) => [await load(emptyLoad, emptyServer), r])
        : await load(emptyLoad, emptyServer).then(async (e) => [e, await load(readLoad, service)]);
      const [baseline, transfers] = subjectFirst
        ? await load(transferLoad, service).then((t) => [runPgbench(), t])
        : [runPgbench(), await load(transferLoad, service)];
      rounds.push({ emptyRead: emptyRead!, read: read!, baseline: baseline!, transfers: transfers! });
    }

    const row = (
      benchmark: string,
      key: keyof (typeof rounds)[number],
      base: keyof (typeof rounds)[number],
    ): Row => ({
      benchmark,
      'req/s': median(rounds.map((r) => r[key].rps)),
      'p50 ms': median(rounds.map((r) => r[key].p50)),
      'p99 ms': median(rounds.map((r) => r[key].p99)),
      errors: rounds.reduce((sum, r) => sum + r[key].errors, 0),
      ratio: median(rounds.map((r) => r[key].rps / r[base].rps)).toFixed(2),
      'ratio per round': rounds.map((r) => (r[key].rps / r[base].rps).toFixed(2)).join(' '),
      'req/s per round': rounds.map((r) => r[key].rps).join(' '),
      'CPU ms/req: server + PostgreSQL + load generator': cpuColumn(rounds.map((r) => r[key].cpu)),
    });
    return [
      row('baseline: empty Fastify route', 'emptyRead', 'emptyRead'),
      row('GET /api/v1/assets/{id}', 'read', 'emptyRead'),
      row('baseline: pgbench single-row UPDATE (-M prepared)', 'baseline', 'baseline'),
      row('POST /api/v1/assets/{id}/transfers', 'transfers', 'baseline'),
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
