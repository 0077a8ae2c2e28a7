// The restore drills against a real lab, through `dalp drill` as a user runs it: the Patroni cluster is
// lost (every node killed, every data directory removed), pgBackRest restores its archive into an
// isolated PostgreSQL with a dapp of its own, the restored books are checked, and the lab's cluster is
// rebuilt from the backups. The lab's object store is Ceph's RADOS Gateway with versioning on the
// documents bucket, so the drills also delete every document object at the fault and restore the bucket
// to T from its versions. Then the mutations: with versioning suspended the documents uploaded during
// the drill are gone for good and the verdict must fail; on a lab whose archiving is broken the measures
// must see the acknowledged writes the restore misses and the verdict must fail.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { DrillRecord } from '../../src/run.ts';
import { verdictCheck as check, drillLab } from '../support/lab-drills.ts';

const env = drillLab('restore', { objectStore: 'ceph-rgw' });
const { drill } = env;

const extra = (r: DrillRecord, name: string) => r.extra[name]?.value;

/** The lab is usable after a restore drill: healthy, with a backup and archiving that works. */
async function assertLabUsable(): Promise<void> {
  await env.lab.waitForHealthy(180_000);
  const backup = await env.lab.backupStatus();
  assert.ok(backup?.lastBackup, 'the repository still lists a base backup');
  assert.equal((await env.lab.archiveLag()).failing, false, 'the rebuilt primary archives');
}

describe('restore drills against the lab', { timeout: 1_200_000 }, () => {
  test('restore-pitr: restored to T, nothing acknowledged by T missing, nothing started after T present', async () => {
    const { run, record } = await drill('restore-pitr');
    assert.equal(record.result, 'pass', `${run.stdout}\n${run.stderr}\n${record.error ?? ''}`);
    assert.equal(run.code, 0);
    assert.equal(check(record, 'missing-before-target')?.actual, 0);
    assert.equal(check(record, 'present-after-target')?.actual, 0);
    assert.equal(check(record, 'documents-unverified')?.actual, 0);
    // The drill had writes on both sides of T and documents to download, or it proved nothing.
    assert.ok(Number(extra(record, 'acknowledged-before-point')) > 0);
    assert.ok(Number(extra(record, 'started-after-point')) > 0);
    assert.ok(Number(extra(record, 'documents-checked')) > 0);
    assert.equal(typeof extra(record, 'restore-seconds'), 'number');
    assert.equal(typeof extra(record, 'archive-lag-at-fault'), 'number');
    assert.ok(record.events.some((e) => e.kind === 'fault' && /data directories removed/.test(e.detail)));
    // The documents were lost too, and came back from the bucket's versions.
    assert.equal(extra(record, 'documents-versioning'), 'Enabled');
    assert.ok(Number(extra(record, 'documents-deleted-at-fault')) > 0);
    assert.ok(Number(extra(record, 'objects-restored')) > 0);
    await assertLabUsable();
  });

  test('restore-latest: the end of the archive, what it misses within the RPO bound', async () => {
    // Writing for longer than archive_timeout before the fault, so the archive holds the first writes.
    const { run, record } = await drill('restore-latest', '--warmup', '20');
    assert.equal(record.result, 'pass', `${run.stdout}\n${run.stderr}\n${record.error ?? ''}`);
    assert.equal(run.code, 0);
    assert.equal(check(record, 'restore-rpo-seconds')?.pass, true);
    assert.equal(check(record, 'present-after-target')?.actual, 0);
    assert.ok(Number(extra(record, 'acknowledged-before-point')) > 0);
    // Some writes may be missed (the unarchived tail), never all of them: the archive kept up.
    assert.ok(
      Number(extra(record, 'missing-before-point')) < Number(extra(record, 'acknowledged-before-point')),
    );
    await assertLabUsable();
  });

  test('versioning suspended: the documents deleted at the fault stay lost and restore-pitr fails', async () => {
    const { client, bucket } = env.lab.objectStore();
    const versioning = (Status: 'Enabled' | 'Suspended') =>
      client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status } }));
    try {
      await versioning('Suspended');
      const { run, record } = await drill('restore-pitr');
      assert.equal(record.result, 'fail', `${run.stdout}\n${run.stderr}\n${record.error ?? ''}`);
      assert.equal(run.code, 1);
      assert.equal(extra(record, 'documents-versioning'), 'Suspended');
      // The books themselves restored well: only the documents fail the verdict.
      assert.equal(check(record, 'missing-before-target')?.actual, 0);
      assert.equal(check(record, 'present-after-target')?.actual, 0);
      assert.equal(check(record, 'documents-unverified')?.pass, false);
      assert.ok(Number(check(record, 'documents-unverified')?.actual) > 0);
    } finally {
      await versioning('Enabled');
      client.destroy();
    }
    await assertLabUsable();
  });

  test('broken archiving: restore-latest misses every acknowledged write and fails', async () => {
    // archive_command fails from now on (ALTER SYSTEM outranks Patroni's postgresql.conf); the base
    // backup is older, so the newest restorable point is before this drill's ledger existed.
    const [primary] = (await env.lab.roles()).postgresPrimaries;
    const c = env.lab.component(primary!);
    const admin = new pg.Client({
      connectionString: `postgres://postgres:${encodeURIComponent(env.lab.state.secrets.postgresPassword)}@${c.host}:${c.port}/postgres`,
    });
    await admin.connect();
    try {
      await admin.query(`ALTER SYSTEM SET archive_command = '/bin/false'`);
      await admin.query('SELECT pg_reload_conf()');
    } finally {
      await admin.end();
    }
    // Long enough a warm-up that the writes lost span more than the RPO bound (2 x archive_timeout).
    const { run, record } = await drill('restore-latest', '--warmup', '25');
    assert.equal(record.result, 'fail', `${run.stdout}\n${run.stderr}\n${record.error ?? ''}`);
    assert.equal(run.code, 1);
    const acknowledged = Number(extra(record, 'acknowledged-before-point'));
    assert.ok(acknowledged > 0);
    assert.equal(extra(record, 'missing-before-point'), acknowledged, 'every acknowledged write is missing');
    assert.equal(check(record, 'restore-rpo-seconds')?.pass, false);
    assert.ok(Number(check(record, 'restore-rpo-seconds')?.actual) > 20);
    // The rebuilt cluster has the base backup's configuration again: it archives.
    await assertLabUsable();
  });
});
