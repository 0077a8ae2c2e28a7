import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createCertificates, type PostgresServer, startPostgres } from '../../src/index.ts';
import { makeTempDir } from '../../src/processes.ts';

async function connectRefused(config: pg.ClientConfig): Promise<unknown> {
  const client = new pg.Client(config);
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('standalone PostgreSQL (trust auth)', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.destroy();
  });

  test('answers queries as PostgreSQL 15 on its own port', async () => {
    const [row] = await server.query<{ version: string; port: string }>(
      "SELECT version(), current_setting('port') AS port",
    );
    assert.match(row!.version, /^PostgreSQL 15\./);
    assert.equal(Number(row!.port), server.port);
  });

  test('a crash (SIGKILL) loses no committed row and it restarts on the same port', async () => {
    await server.query('CREATE TABLE survivors (id int PRIMARY KEY)');
    await server.query('INSERT INTO survivors SELECT generate_series(1, 100)');
    await server.kill();
    assert.equal(server.running(), false);
    assert.ok(await connectRefused(server.clientConfig()), 'a killed server must refuse connections');
    await server.start();
    const [row] = await server.query<{ n: string }>('SELECT count(*) AS n FROM survivors');
    assert.equal(row!.n, '100');
    assert.match(readFileSync(server.logPath, 'utf8'), /not properly shut down|automatic recovery/);
  });

  test('a fast shutdown and start keep the data too', async () => {
    await server.stop();
    assert.equal(server.running(), false);
    await server.start();
    const [row] = await server.query<{ n: string }>('SELECT count(*) AS n FROM survivors');
    assert.equal(row!.n, '100');
  });
});

describe('PostgreSQL with a password and TLS', () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres({ password: 'lab-secret', tls: true });
  });
  after(async () => {
    await server?.destroy();
  });

  test('verify-full against the returned CA gives an encrypted session', async () => {
    assert.ok(server.caPath);
    const client = new pg.Client({
      ...server.clientConfig(),
      ssl: { ca: readFileSync(server.caPath), rejectUnauthorized: true },
    });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(rows[0].ssl, true);
    } finally {
      await client.end();
    }
  });

  test('the connection URL carries sslmode and sslrootcert', async () => {
    const client = new pg.Client({ connectionString: server.url({ sslmode: 'verify-full' }) });
    await client.connect();
    const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    await client.end();
    assert.equal(rows[0].ssl, true);
  });

  test('require (libpq semantics) encrypts without verifying; verify-ca checks the chain', async () => {
    // node-postgres reads sslmode=require as verify-full unless told to follow libpq.
    for (const url of [
      `${server.url({ sslmode: 'require' })}&uselibpqcompat=true`,
      server.url({ sslmode: 'verify-ca' }),
    ]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      await client.end();
      assert.equal(rows[0].ssl, true, url.split('?')[1]);
    }
  });

  test('a certificate from another CA is rejected', async () => {
    const other = makeTempDir('other-ca');
    try {
      const foreign = await createCertificates(other.path, 'foreign');
      const error = await connectRefused({
        ...server.clientConfig(),
        ssl: { ca: readFileSync(foreign.caPath), rejectUnauthorized: true },
      });
      assert.match(String((error as Error)?.message), /self.signed|unable to verify|certificate/i);
    } finally {
      other.remove();
    }
  });

  test('a wrong password is refused', async () => {
    const error = await connectRefused({ ...server.clientConfig(), password: 'wrong' });
    assert.match(String((error as Error)?.message), /password authentication failed/);
  });
});

describe('PostgreSQL start failures', () => {
  test('a server that cannot start fails fast with the tail of its log', async () => {
    const started = Date.now();
    await assert.rejects(startPostgres({ settings: { shared_buffers: "'lots'" } }), (error: Error) => {
      assert.match(error.message, /exited before it was ready/);
      assert.match(error.message, /invalid value for parameter "shared_buffers"/);
      return true;
    });
    assert.ok(Date.now() - started < 25_000, 'an early exit must not wait for the start timeout');
  });
});
