// The pure parts of the lab's continuous backup: reading `pgbackrest info --output=json` (the fixture is
// the output of pgBackRest 2.45 on a lab), the archive lag from pg_stat_archiver's row, WAL segment
// arithmetic, the pgBackRest configuration and the restore target's time format.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  ARCHIVE_TIMEOUT_SECONDS,
  archiveCommand,
  archiveLag,
  parseBackupInfo,
  pgbackrestConfig,
  WAL_SEGMENT_BYTES,
  walSegmentNumber,
} from '../../src/lab/backup.ts';
import { pgbackrestTime } from '../../src/lab/restore.ts';
import type { LabState } from '../../src/lab/state.ts';
import { planTopology } from '../../src/lab/topology.ts';

const INFO = readFileSync(new URL('../fixtures/pgbackrest-info.json', import.meta.url), 'utf8');

describe('pgbackrest info', () => {
  test('backups in order, the oldest restorable point, the archive range', () => {
    const info = parseBackupInfo(INFO);
    assert.equal(info.status, 'ok');
    assert.deepEqual(
      info.backups.map((b) => [b.label, b.type]),
      [
        ['20261201-042934F', 'full'],
        ['20261201-043110F', 'full'],
        ['20261201-043110F_20261201-043144I', 'incr'],
      ],
    );
    const last = info.backups.at(-1)!;
    assert.equal(last.stoppedAt, new Date(1796099508 * 1000).toISOString());
    assert.equal(last.databaseBytes, 30968276);
    assert.equal(last.repositoryBytes, 492, 'an incremental backup takes only its delta');
    assert.equal(info.oldestRestorable, new Date(1796099412 * 1000).toISOString());
    assert.equal(info.archiveMin, '000000010000000000000001');
    assert.equal(info.archiveMax, '00000005000000000000001F');
  });

  test('a stanza with no backup has no restorable point; a failed backup does not count', () => {
    const [stanza] = JSON.parse(INFO);
    const empty = parseBackupInfo(JSON.stringify([{ ...stanza, backup: [], archive: [] }]));
    assert.deepEqual([empty.backups.length, empty.oldestRestorable, empty.archiveMax], [0, null, null]);
    const failed = structuredClone(stanza);
    failed.backup[0].error = true;
    assert.equal(parseBackupInfo(JSON.stringify([failed])).backups.length, 2);
  });

  test('not JSON, not an array, or no such stanza: a clear error', () => {
    assert.throws(() => parseBackupInfo('stanza: dalp'), /did not print JSON/);
    assert.throws(() => parseBackupInfo('{}'), /expected an array/);
    assert.throws(() => parseBackupInfo(INFO, 'other'), /no stanza "other"/);
  });
});

describe('archive lag', () => {
  const now = new Date('2026-12-01T05:00:10Z');
  const row = {
    last_archived_wal: '000000010000000000000007',
    last_archived_time: new Date('2026-12-01T05:00:04Z'),
    last_failed_wal: null,
    last_failed_time: null,
    now,
  };
  const segmentEnd = (8n * BigInt(WAL_SEGMENT_BYTES)).toString();

  test('segment numbers: log * 256 + seg for 16 MB segments, any timeline', () => {
    assert.equal(walSegmentNumber('000000010000000000000007'), 7n);
    assert.equal(walSegmentNumber('000000030000000100000002'), 258n);
    assert.throws(() => walSegmentNumber('00000002.history'), /not a WAL file name/);
  });

  test('WAL written since the last archived segment is the lag; nothing written, no lag', () => {
    const behind = archiveLag({ ...row, current_lsn_bytes: (BigInt(segmentEnd) + 30_000n).toString() });
    assert.equal(behind.unarchivedBytes, 30_000);
    assert.equal(behind.pendingSegments, 0);
    assert.equal(behind.lagSeconds, 6);
    assert.equal(behind.failing, false);
    const idle = archiveLag({ ...row, current_lsn_bytes: segmentEnd });
    assert.deepEqual([idle.unarchivedBytes, idle.lagSeconds], [0, 0]);
  });

  test('failing archiving: whole segments pile up and the failure is reported', () => {
    const lag = archiveLag({
      ...row,
      last_failed_wal: '000000010000000000000008',
      last_failed_time: new Date('2026-12-01T05:00:09Z'),
      current_lsn_bytes: (BigInt(segmentEnd) + 2n * BigInt(WAL_SEGMENT_BYTES) + 5n).toString(),
    });
    assert.equal(lag.failing, true);
    assert.equal(lag.pendingSegments, 2);
    const recovered = archiveLag({
      ...row,
      last_failed_time: new Date('2026-12-01T05:00:01Z'),
      current_lsn_bytes: segmentEnd,
    });
    assert.equal(recovered.failing, false, 'a failure before the last success is over');
  });

  test('nothing archived yet: everything written is unarchived', () => {
    const lag = archiveLag({
      ...row,
      last_archived_wal: null,
      last_archived_time: null,
      current_lsn_bytes: '1000',
    });
    assert.deepEqual([lag.unarchivedBytes, lag.lagSeconds, lag.lastArchivedAt], [1000, 0, null]);
  });
});

describe('configuration', () => {
  const plan = planTopology('ab12', 3, { zones: 3, nodesPerZone: 1, replicas: 3 });
  const components = Object.fromEntries(
    plan.components.map((c) => [
      c.name,
      { ...c, dir: `/tmp/dalp-lab-ab12/${c.node}/${c.name}`, logPath: '' },
    ]),
  );
  const state = { id: 'ab12', disks: '/tmp/dalp-lab-ab12', components } as unknown as LabState;

  test('an S3 repository on the store over HTTPS, path-style, with retention', () => {
    const text = pgbackrestConfig(state);
    const s3 = components.s3!;
    for (const line of [
      'repo1-type=s3',
      `repo1-s3-endpoint=${s3.host}`,
      'repo1-storage-port=9443',
      'repo1-storage-ca-file=/tmp/dalp-lab-ab12/region/s3/tls/ca.crt',
      'repo1-s3-uri-style=path',
      'repo1-s3-bucket=dalp-backups',
      'repo1-path=/lab-ab12',
      'repo1-retention-full=2',
      '[dalp]',
    ])
      assert.ok(text.split('\n').includes(line), `${line} in\n${text}`);
    assert.ok(!text.includes('verify-tls=n'), 'TLS is verified against the lab CA');
    assert.ok(ARCHIVE_TIMEOUT_SECONDS > 0);
  });

  test("each node's archive_command names its own data directory and the lab's configuration", () => {
    const command = archiveCommand(state, components['postgres-b']!);
    assert.equal(
      command,
      "/usr/bin/pgbackrest --config='/tmp/dalp-lab-ab12/host/pgbackrest/pgbackrest.conf' --stanza=dalp --pg1-path='/tmp/dalp-lab-ab12/b1/postgres-b/data' archive-push %p",
    );
  });

  test("a restore target in pgBackRest's time format, UTC", () => {
    assert.equal(pgbackrestTime(new Date('2026-12-01T05:00:04.123Z')), '2026-12-01 05:00:04.123+00');
  });
});
