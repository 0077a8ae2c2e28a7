// The credential-rotation drill against a real lab, through `dalp drill` as a user runs it: the replicas
// read the database password from the lab's password file (DATABASE_PASSWORD_FILE), so the rotation
// (ALTER ROLE, the file rewritten, a grace period, every session of the role terminated) costs no request;
// a replica started with the password fixed in its URL cannot log in again once the old one is revoked,
// and the drill must see it fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { verdictCheck as check, drillLab } from '../support/lab-drills.ts';

const env = drillLab('rotation');

/** `dalp drill credential-rotation` with a 5 s grace period; the drill's record from its evidence. */
const rotation = () => env.drill('credential-rotation', '--hold', '5');

/** Whether `password` logs in as the application's role through the lab's database endpoint. */
async function logsIn(password: string): Promise<boolean> {
  const url = new URL(env.lab.endpoints().database);
  url.password = password;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('dalp drill credential-rotation against the lab', { timeout: 600_000 }, () => {
  test('the password changes under load with no failed request; the old one is refused after', async (t) => {
    const old = env.lab.refresh().secrets.databasePassword;
    const file = join(env.dir, 'database-password');
    assert.equal(readFileSync(file, 'utf8'), `${old}\n`, 'the replicas read the lab password file');

    const { run, evidence, record } = await rotation();
    const m = record.measures!;
    const figure = (name: string) => record.extra[name]?.value;
    t.diagnostic(
      `requests ${m.requests.total}, failed ${m.requests.failed}; rotation ${figure('rotation-seconds')} s (grace ${figure('grace-seconds')} s), sessions terminated ${figure('sessions-terminated')}, from before the rotation ${figure('sessions-from-before-rotation')}`,
    );
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(record.result, 'pass');
    assert.equal(m.requests.failed, 0);
    assert.ok(m.requests.byOp.transfer!.ok > 20, 'the workload wrote through the rotation');
    assert.equal(m.duplicates, 0);
    assert.equal(m.lostWrites.count, 0);
    assert.ok(m.invariant.holds);
    for (const name of ['old-password-refused', 'replicas-on-new-password', 'writes-after-revocation'])
      assert.equal(check(record, name)?.pass, true, name);
    assert.ok(
      (record.extra['sessions-terminated']?.value as number) > 0,
      'the revocation ended live sessions',
    );
    assert.equal(record.extra['grace-seconds']?.value, 5);
    assert.match(record.events.find((e) => e.kind === 'fault')!.detail, /^ALTER ROLE dalp PASSWORD/);

    // The lab follows: the file holds the new password, which logs in; the old one does not.
    const now = env.lab.refresh().secrets.databasePassword;
    assert.notEqual(now, old);
    assert.equal(readFileSync(file, 'utf8'), `${now}\n`);
    assert.equal(await logsIn(now), true);
    assert.equal(await logsIn(old), false);
    // Neither password appears in what the drill writes or prints.
    const written = `${JSON.stringify(evidence)}${run.stdout}${run.stderr}`;
    assert.ok(!written.includes(old) && !written.includes(now), 'no password in the evidence or output');
    // The evidence is the recovery test of Managed PostgreSQL (the database credentials row).
    assert.deepEqual(record.controls, ['Managed PostgreSQL']);
  });

  test('a replica started with the password fixed in its URL fails the drill once the old one is revoked', async (t) => {
    const [replica] = env.lab.components().filter((c) => c.kind === 'dapp');
    await env.lab.configure({ fixedDatabasePassword: [replica!.name] });
    try {
      const { run, record } = await rotation();
      t.diagnostic(`mutation: failed requests ${record.measures?.requests.failed}; ${run.stdout}`);
      assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
      assert.equal(record.result, 'fail');
      assert.match(run.stdout, /a drill FAILED/);
      const stale = check(record, 'replicas-on-new-password')!;
      assert.equal(stale.pass, false);
      assert.match(String(stale.actual), new RegExp(`not: ${replica!.name} \\(503\\)`));
      assert.equal(check(record, 'old-password-refused')?.pass, true, 'the revocation itself worked');
    } finally {
      await env.lab.configure({ fixedDatabasePassword: [] });
    }
    // Back on the file, the replica serves again.
    await env.lab.waitForHealthy(120_000);
  });
});
