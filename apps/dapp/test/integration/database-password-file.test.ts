// DATABASE_PASSWORD_FILE against a real PostgreSQL: the password is read from the file on every new
// connection, so a rotation (ALTER ROLE ... PASSWORD, then the file) needs no restart; a session the
// server ends (pg_terminate_backend, as a revocation that kicks live sessions does) is replaced without
// a failed request; a file gone or empty fails new connections only, with a log line naming the path and
// never the password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { Database, poolConfig } from '../../src/adapters/postgres/database.ts';
import { loadConfig } from '../../src/config.ts';
import { errors } from '../../src/errors.ts';
import { configProblems, spawnService, startService, TestDatabase, tempDir } from '../support/helpers.ts';

let server: TestDatabase;
let dir: ReturnType<typeof tempDir>;
let passwordFile: string;
/** The role's URL without a password (the file holds it). */
let url: string;

const secret = () => `pw-${randomBytes(12).toString('hex')}`;
let current = secret();

// The superuser's statements on a pool of their own with a generous connect bound: the helper's 2 s
// bound is for a quiet machine, and a refused admin statement would fail the test for the wrong reason.
let adminPool: pg.Pool;
const admin = async (sql: string) => (await adminPool.query(sql)).rows;
/** ALTER ROLE on the server, as a rotation's "set secret" step does (a random hex password: no quoting). */
const alterPassword = (password: string) => admin(`ALTER ROLE rotating PASSWORD '${password}'`);
const terminateSessions = () =>
  admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rotating'`);

before(async () => {
  server = await TestDatabase.start();
  adminPool = new pg.Pool({ ...server.server.clientConfig(), max: 2, connectionTimeoutMillis: 60_000 });
  adminPool.on('error', () => undefined);
  dir = tempDir('pwfile');
  passwordFile = join(dir.path, 'password');
  await admin(`CREATE ROLE rotating LOGIN PASSWORD '${current}'`);
  await admin('CREATE DATABASE rotating OWNER rotating');
  const u = new URL(server.server.url({ database: 'rotating' }));
  u.username = 'rotating';
  u.password = '';
  url = u.toString();
  // The trailing newline `echo` and `kubectl create secret --from-file` leave is not part of the password.
  writeFileSync(passwordFile, `${current}\n`);
});
after(async () => {
  await adminPool?.end();
  await server?.destroy();
  dir?.remove();
});

/** A Database as the service builds it from the environment, its log lines captured. */
function open(env: Record<string, string> = {}) {
  const config = loadConfig({ DATABASE_URL: url, DATABASE_PASSWORD_FILE: passwordFile, ...env });
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk;
      done();
    },
  });
  const db = new Database(
    poolConfig(config.database, config.database.external!),
    undefined,
    pino({ level: 'info' }, sink),
  );
  return { db, logged: () => logged };
}

describe('DATABASE_PASSWORD_FILE', () => {
  test('a rotation needs no restart: open sessions keep working, new ones log in with the new password, ended ones are replaced', async () => {
    const { db, logged } = open();
    const old = current;
    try {
      const before = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      current = secret();
      await alterPassword(current);
      writeFileSync(passwordFile, `${current}\n`);
      // PostgreSQL keeps sessions across ALTER ROLE: the pooled one still answers, on the same backend.
      const same = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      assert.equal(same.rows[0]!.pid, before.rows[0]!.pid);

      // The revocation ends every session of the role: the statement that was running fails on the server
      // and runs again on a new connection, which reads the new password from the file.
      const running = db.query<{ pid: number }>('SELECT pg_sleep(1), pg_backend_pid() AS pid');
      await waitForActive();
      await terminateSessions();
      const again = await running;
      assert.notEqual(again.rows[0]!.pid, before.rows[0]!.pid, 'answered by a new session');
      // A transaction whose session ended before COMMIT runs again too.
      const tx = db.transaction(async (c) => (await c.query('SELECT pg_sleep(1), 1 AS one')).rows[0]!.one);
      await waitForActive();
      await terminateSessions();
      assert.equal(await tx, 1);
      assert.match(logged(), /database session ended; running the statement again on a new connection/);

      // The old password no longer logs in: what the new connections use really is the file's.
      const stale = new URL(url);
      stale.password = old;
      const probe = new Database({ connectionString: stale.toString(), max: 1 });
      await assert.rejects(probe.query('SELECT 1'), (e: unknown) => errors.databaseUnavailable.is(e));
      await probe.close();
      assert.ok(!logged().includes(old) && !logged().includes(current), 'no password in the log');
    } finally {
      await db.close();
    }
  });

  test('a file updated a moment after the server (or before it) costs no failed connection', async () => {
    const { db, logged } = open();
    try {
      await terminateSessions();
      // The server first, the file 300 ms later, as a secret manager's rotation and the kubelet's sync
      // come one after the other: the refused logins in between are tried again with the file re-read.
      current = secret();
      await alterPassword(current);
      const late = new Promise((resolve) =>
        setTimeout(() => resolve(writeFileSync(passwordFile, current)), 300),
      );
      assert.equal((await db.query('SELECT 1 AS one')).rows[0]?.one, 1);
      await late;
      assert.ok(!logged().includes(current));
    } finally {
      await db.close();
    }
  });

  test('a file gone later fails new connections only, with a log line naming the path and no password', async () => {
    const { db, logged } = open();
    try {
      const held = await db.pool.connect();
      rmSync(passwordFile);
      try {
        // The open connection keeps working.
        assert.equal((await held.query('SELECT 1 AS one')).rows[0]?.one, 1);
        // A new one cannot log in: a 503, and one warning that says why.
        await assert.rejects(db.query('SELECT 1'), (e: unknown) => {
          assert.ok(errors.databaseUnavailable.is(e), String(e));
          return true;
        });
        assert.match(
          logged(),
          new RegExp(`the database password file ${passwordFile} cannot be read \\(ENOENT\\)`),
        );
        writeFileSync(passwordFile, '');
        await assert.rejects(db.query('SELECT 1'), (e: unknown) => errors.databaseUnavailable.is(e));
        assert.match(logged(), new RegExp(`the database password file ${passwordFile} is empty`));
      } finally {
        held.release();
        writeFileSync(passwordFile, `${current}\n`);
      }
      assert.equal((await db.query('SELECT 1 AS one')).rows[0]?.one, 1, 'back once the file is');
      assert.ok(!logged().includes(current));
    } finally {
      await db.close();
    }
  });

  test('connections are recycled after DATABASE_CONNECTION_MAX_LIFETIME_SECONDS, logging in again with the file', async () => {
    const { db } = open({ DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: '1' });
    try {
      const pid = async () =>
        (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const first = await pid();
      // The file changes, the server too: the connection already open stays, until its lifetime ends.
      current = secret();
      await alterPassword(current);
      writeFileSync(passwordFile, `${current}\n`);
      let now = first;
      for (let i = 0; i < 100 && now === first; i++) {
        await new Promise((r) => setTimeout(r, 100));
        now = await pid();
      }
      assert.notEqual(now, first, 'a new session replaced the old one');
      const [session] = await admin(`SELECT usename FROM pg_stat_activity WHERE pid = ${now}`);
      assert.equal(session?.usename, 'rotating');
    } finally {
      await db.close();
    }
  });

  test('the service serves through a rotation and the end of every session with no failed request', async () => {
    const service = await startService(url, {
      DATABASE_PASSWORD_FILE: passwordFile,
    });
    try {
      let stop = false;
      const statuses: (number | string)[] = [];
      // A request that gets no answer is recorded as its error, so the assertion below names it.
      const status = (reply: Promise<{ status: number }>) =>
        reply.then(
          (r) => r.status,
          (e: Error) => `${e.message} (${(e.cause as { code?: string } | undefined)?.code})`,
        );
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          statuses.push(
            ...(await Promise.all([
              status(service.admin.get('/api/v1/investors?limit=5')),
              status(
                service.admin.post('/api/v1/investors', {
                  name: `Rotation ${i}`,
                  country: 'BE',
                  kycStatus: 'pending',
                }),
              ),
            ])),
          );
        }
      })();
      // Each step waits until the service answered a few more requests, so the load runs through every
      // step however slow the machine is.
      const answered = async (more: number) => {
        const target = statuses.length + more;
        while (statuses.length < target) await new Promise((r) => setTimeout(r, 20));
      };
      try {
        for (let round = 0; round < 3; round++) {
          await answered(4);
          current = secret();
          await alterPassword(current);
          writeFileSync(passwordFile, `${current}\n`);
          await answered(4);
          await terminateSessions();
        }
        await answered(4);
      } finally {
        stop = true;
        await load;
      }
      assert.ok(statuses.length >= 28, 'requests ran through the rotations');
      assert.deepEqual(
        statuses.filter((s) => s !== 200 && s !== 201),
        [],
        'no request failed',
      );
    } finally {
      await service.close();
    }
  });
});

describe('DATABASE_PASSWORD_FILE at start', () => {
  const problems = configProblems;

  test('a missing or empty file, or a second password, is refused, naming the path and never a password', () => {
    assert.deepEqual(problems({ DATABASE_URL: url, DATABASE_PASSWORD_FILE: join(dir.path, 'nope') }), [
      `DATABASE_PASSWORD_FILE ${join(dir.path, 'nope')} cannot be read (ENOENT)`,
    ]);
    const empty = join(dir.path, 'empty');
    writeFileSync(empty, '\n');
    assert.deepEqual(problems({ DATABASE_URL: url, DATABASE_PASSWORD_FILE: empty }), [
      `DATABASE_PASSWORD_FILE ${empty} is empty`,
    ]);
    const withPassword = new URL(url);
    withPassword.password = 'in-the-url';
    const refused = [
      ...problems({ DATABASE_URL: withPassword.toString(), DATABASE_PASSWORD_FILE: passwordFile }),
      ...problems({ DATABASE_URL: url, DATABASE_PASSWORD: 'in-env', DATABASE_PASSWORD_FILE: passwordFile }),
      ...problems({ DATABASE_PASSWORD_FILE: passwordFile }),
    ];
    assert.deepEqual(refused, [
      'DATABASE_URL must not contain a password when DATABASE_PASSWORD_FILE is set',
      'set either DATABASE_PASSWORD_FILE or DATABASE_PASSWORD, not both',
      'DATABASE_PASSWORD_FILE needs DATABASE_URL or DATABASE_HOST',
    ]);
    assert.ok(!refused.join().includes('in-the-url') && !refused.join().includes('in-env'));
  });

  test('the service does not start on a missing file: one line, exit 2', async () => {
    const missing = join(dir.path, 'missing');
    const service = await spawnService({ DATABASE_URL: url, DATABASE_PASSWORD_FILE: missing });
    assert.equal(await service.exited, 2);
    assert.match(
      service.output(),
      new RegExp(
        `^dapp: invalid configuration: DATABASE_PASSWORD_FILE ${missing} cannot be read \\(ENOENT\\)$`,
        'm',
      ),
    );
  });
});

/** Until a statement of the role is running (so the termination lands on it, not on an idle session). */
async function waitForActive(): Promise<void> {
  for (;;) {
    const rows = await admin(
      `SELECT 1 FROM pg_stat_activity WHERE usename = 'rotating' AND state = 'active' AND query LIKE '%pg_sleep(1)%'`,
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
