import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createCertificates,
  type Haproxy,
  type PostgresServer,
  startHaproxy,
  startPostgres,
} from '@dalp/lab';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createRuntime } from '../../src/runtime.ts';
import {
  Client,
  idempotencyKey,
  runLoad,
  type ServiceProcess,
  seedLedger,
  spawnService,
  TestDatabase,
  tempDir,
  waitUntil,
} from '../support/helpers.ts';

const ADMIN_KEY = 'operations-admin-key-4c1f8a2b9d7e6f50';

describe('rolling restart behind HAProxy (health check on /readyz)', () => {
  let db: TestDatabase;
  let haproxy: Haproxy;
  const processes: ServiceProcess[] = [];
  before(async () => {
    db = await TestDatabase.start();
  });
  after(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await haproxy?.stop();
    await db?.destroy();
  });

  test('replacing both replicas one by one under load fails no client request', async () => {
    const env = {
      DATABASE_URL: await db.createDatabase(),
      DALP_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      // Longer than HAProxy needs to see /readyz turn 503 (2 checks of 500 ms), as preStop would be.
      SHUTDOWN_DRAIN_DELAY_MS: '2500',
    };
    const start = async () => {
      const p = await spawnService(env);
      processes.push(p);
      await waitUntil('replica ready', async () => (await fetch(`${p.url}/readyz`)).status === 200, 90_000);
      return p;
    };
    const backends = (ps: ServiceProcess[]) => ps.map((p) => ({ name: `dapp-${p.port}`, port: p.port }));
    let live = [await start(), await start()];
    haproxy = await startHaproxy({ frontends: [{ name: 'dapp', kind: 'http', backends: backends(live) }] });
    for (const p of live) await haproxy.waitForServer('dapp', `dapp-${p.port}`, 'UP');

    const lb = new Client(`http://127.0.0.1:${haproxy.port('dapp')}`, ADMIN_KEY);
    const { assetId, investors } = await seedLedger(lb, { investors: 2 });
    for (const to of investors) {
      await lb.post(
        `/api/v1/assets/${assetId}/mint`,
        { to, amount: '100000' },
        { 'idempotency-key': idempotencyKey() },
      );
    }
    const replaced = new AbortController();
    const load = runLoad(
      (i) =>
        i % 4 === 0
          ? lb.post(
              `/api/v1/assets/${assetId}/transfers`,
              { from: investors[i % 2], to: investors[(i + 1) % 2], amount: '1' },
              {
                'idempotency-key': idempotencyKey(),
              },
            )
          : lb.get(`/api/v1/assets/${assetId}/holders`),
      { durationMs: 120_000, concurrency: 4, signal: replaced.signal },
    );

    const exitCodes: Array<number | null> = [];
    for (let i = 0; i < 2; i++) {
      // Kubernetes' order: the new pod becomes ready, then an old one is terminated (maxUnavailable 0).
      const fresh = await start();
      live = [...live, fresh];
      await haproxy.reload([{ name: 'dapp', kind: 'http', backends: backends(live) }]);
      await haproxy.waitForServer('dapp', `dapp-${fresh.port}`, 'UP');
      const old = live[0]!;
      old.child.kill('SIGTERM');
      exitCodes.push(await old.exited);
      live = live.slice(1);
      await haproxy.reload([{ name: 'dapp', kind: 'http', backends: backends(live) }]);
    }
    const result = await Promise.race([load, sleep(1).then(() => undefined)]);
    assert.equal(result, undefined, 'the load was still running through both replacements');
    await sleep(1000);
    replaced.abort();
    const done = await load;
    assert.deepEqual(exitCodes, [0, 0], 'old replicas exit 0 after draining');
    assert.ok(done.total > 200, `load ran (${done.total} requests)`);
    assert.deepEqual(done.failures, [], `${done.failures.length} failed requests of ${done.total}`);
    console.log(`rolling restart: ${done.total} requests through 2 replacements, 0 failed`);
  });
});

describe('structured logs', () => {
  test('JSON lines with a request id on each request line, and no secret anywhere', async () => {
    const db = await TestDatabase.start();
    const databaseUrl = await db.createDatabase();
    const password = new URL(databaseUrl).password;
    const svc = await spawnService({
      DATABASE_URL: databaseUrl,
      DALP_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'info',
    });
    try {
      await waitUntil('listening', () => svc.output().includes('Server listening'), 60_000);
      const api = new Client(svc.url, ADMIN_KEY);
      await api.get('/api/v1/assets', { 'x-request-id': 'trace-0001' });
      const created = await api.post('/api/v1/api-keys', { name: 'logged', role: 'viewer' });
      await new Client(svc.url, 'dalp_not-a-valid-key-but-secret-looking').get('/api/v1/assets');
      await api.post('/api/v1/assets', { symbol: 'LOG', name: 'x', type: 'fund', decimals: 0 });
      await db.server.stop();
      await api.post('/api/v1/investors', { name: 'x', country: 'BE', kycStatus: 'pending' });
      await db.server.start();
      await sleep(300);
      const lines = svc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const requestLines = entries.filter((e) => e.req || e.res);
      assert.ok(requestLines.length >= 8, 'each request is logged');
      assert.ok(
        requestLines.every((e) => typeof e.reqId === 'string'),
        'every request line has its request id',
      );
      assert.ok(
        entries.some((e) => e.reqId === 'trace-0001'),
        'a caller-supplied request id is kept',
      );
      assert.ok(
        entries.some((e) => e.msg === 'database connection error'),
        'the outage is logged',
      );
      for (const secret of [
        ADMIN_KEY,
        password,
        created.body.key,
        'dalp_not-a-valid-key-but-secret-looking',
      ]) {
        assert.ok(!svc.output().includes(secret), 'a secret appeared in the logs');
      }
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
      await db.destroy();
    }
  });
});

describe('PostgreSQL over TLS, configured by separate variables', () => {
  let server: PostgresServer;
  const password = 'tls-test-password-1d2c3b';
  before(async () => {
    server = await startPostgres({ tls: true, password });
  });
  after(async () => server?.destroy());

  const env = (extra: Record<string, string>) => ({
    DATABASE_HOST: 'localhost',
    DATABASE_PORT: String(server.port),
    DATABASE_NAME: 'postgres',
    DATABASE_USER: server.user,
    DATABASE_PASSWORD: password,
    DALP_DATA_DIR: tempDir('tls').path,
    DALP_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ...extra,
  });
  const usesTls = async (extra: Record<string, string>) => {
    const runtime = await createRuntime(loadConfig(env(extra)), pino({ level: 'silent' }));
    try {
      const { rows } = await runtime.db.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return rows[0]!.ssl;
    } finally {
      await runtime.close();
    }
  };

  test('require, verify-ca and verify-full connect encrypted; disable does not', async () => {
    assert.equal(await usesTls({ DATABASE_SSLMODE: 'require' }), true);
    assert.equal(
      await usesTls({ DATABASE_SSLMODE: 'verify-ca', DATABASE_SSLROOTCERT: server.caPath! }),
      true,
    );
    assert.equal(
      await usesTls({ DATABASE_SSLMODE: 'verify-full', DATABASE_SSLROOTCERT: server.caPath! }),
      true,
    );
    assert.equal(await usesTls({ DATABASE_SSLMODE: 'disable' }), false);
  });

  test('a server whose certificate the CA did not sign is refused with a clear start-up error', async () => {
    const other = tempDir('other-ca');
    try {
      const foreign = await createCertificates(other.path, 'foreign');
      for (const mode of ['verify-ca', 'verify-full']) {
        await assert.rejects(
          () => usesTls({ DATABASE_SSLMODE: mode, DATABASE_SSLROOTCERT: foreign.caPath }),
          /certificate|self.signed|unable to verify/i,
        );
      }
    } finally {
      other.remove();
    }
  });
});
