// The restore drills (docs/backup-restore.md): the database is lost (every node's PostgreSQL killed and
// its data directory removed), the lab's pgBackRest repository is restored into a fresh, isolated
// PostgreSQL (not in the Patroni cluster, on the host's loopback and a port of its own), a dapp of its
// own is pointed at it, and the restored books are checked through that dapp and its database:
// - restore-pitr restores to a time T noted mid-workload; writes acknowledged by T must be there,
//   writes started after T must not (those in flight at T are counted apart, see measure/restore.ts);
// - restore-latest restores to the end of the archive with no WAL switch after the fault: the
//   acknowledged writes it misses are the real RPO of the backup setup (bounded by archive_timeout).
// Both check that every document the restored database references downloads with its SHA-256. After
// the verdict's measures are taken, the lab's own cluster is restored to the end of the archive
// (`restore`), so the lab is usable again, minus what the archive never got.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHIVE_TIMEOUT_SECONDS, freePort, type ManagedProcess, spawnManaged, waitFor } from '@dalp/lab';
import pg from 'pg';
import { sqlLedgerReader } from '../measure/ledger.ts';
import { restoreFindings, transferOperations } from '../measure/restore.ts';
import type { FaultContext, Scenario, TargetFault } from '../scenario.ts';
import type { LabTarget } from '../targets/lab.ts';
import { type ApiEndpoint, call } from '../workload/api.ts';

const DAPP_MAIN = fileURLToPath(new URL('../../../../apps/dapp/src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const seconds = (ms: number) => Math.round(ms / 10) / 100;

/** The WAL segment the primary writes now, read through the database endpoint. */
async function currentWalFile(target: LabTarget): Promise<string> {
  const rows = await target.query<{ wal: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS wal');
  return rows[0]!.wal;
}

/**
 * Until the archive holds `wal` (the segment that was current at T): only then can a restore reach T.
 * The workload keeps writing meanwhile; archive_timeout switches the segment within its bound.
 */
async function waitArchived(target: LabTarget, wal: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const rows = await target.query<{ wal: string | null }>(
        'SELECT last_archived_wal AS wal FROM pg_stat_archiver',
      );
      const last = rows[0]?.wal?.slice(0, 24);
      return last !== undefined && last >= wal;
    },
    timeoutMs,
    `the archive to hold WAL segment ${wal}`,
    { intervalMs: 250 },
  );
}

/** A dapp of its own on the host's loopback, pointed at the restored database and the lab's store. */
async function startRestoredDapp(
  target: LabTarget,
  databaseUrl: string,
  dir: string,
): Promise<{ api: ApiEndpoint; process: ManagedProcess }> {
  const { s3, adminKey } = target.lab.endpoints();
  const port = await freePort();
  const dataDir = join(dir, 'dapp');
  mkdirSync(dataDir, { recursive: true });
  const child = spawnManaged({
    name: 'restored dapp',
    command: process.execPath,
    args: ['--import', 'tsx', DAPP_MAIN],
    cwd: REPO_ROOT,
    logPath: join(dir, 'dapp.log'),
    env: {
      PATH: process.env.PATH,
      // Not production mode: a single replica, whose in-process cache is then correct, and which shares
      // no cache with the lab's replicas.
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DALP_DATA_DIR: dataDir,
      DALP_BOOTSTRAP_ADMIN_KEY: adminKey,
      MIGRATE_ON_START: 'true',
      DATABASE_URL: databaseUrl,
      CACHE_URL: 'memory://',
      OBJECT_STORE_DRIVER: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: s3.bucket,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
  return { api: { baseUrl: `http://127.0.0.1:${port}`, key: adminKey }, process: child };
}

/** Downloads every document the restored database references and compares its SHA-256. */
async function verifyDocuments(
  sql: pg.Pool,
  api: ApiEndpoint,
): Promise<{ total: number; unverified: number; examples: string[] }> {
  const { rows } = await sql.query<{ id: string; asset_id: string; sha256: string }>(
    'SELECT id::text, asset_id::text, sha256 FROM documents ORDER BY created_at',
  );
  const bad: string[] = [];
  const queue = [...rows];
  const worker = async () => {
    for (let doc = queue.shift(); doc; doc = queue.shift()) {
      const path = `/api/v1/assets/${doc.asset_id}/documents/${doc.id}/content`;
      let why = '';
      try {
        const response = await fetch(`${api.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${api.key}` },
          signal: AbortSignal.timeout(15_000),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        if (response.status !== 200) why = `status ${response.status}`;
        else if (createHash('sha256').update(bytes).digest('hex') !== doc.sha256) why = 'SHA-256 differs';
      } catch (error) {
        why = (error as Error).message;
      }
      if (why) bad.push(`${doc.id}: ${why}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { total: rows.length, unverified: bad.length, examples: bad.slice(0, 10) };
}

/** What the fault destroyed, for the restore phase to put back (kept across inject and restore). */
interface Losses {
  /** When the documents bucket was emptied (ceph-rgw labs only). */
  documentsLostAt?: number;
}

async function restoreDrill(
  target: LabTarget,
  ctx: FaultContext,
  toTime: boolean,
  losses: Losses,
): Promise<void> {
  const { lab } = target;
  let pointAt: number | undefined;
  if (toTime) {
    pointAt = Date.now();
    const wal = await currentWalFile(target);
    ctx.note('note', `restore target T = ${new Date(pointAt).toISOString()} (WAL segment ${wal})`);
    ctx.record('target-at', new Date(pointAt).toISOString());
    // Writing goes on after T until the archive holds T: a restore cannot reach past the archive.
    await waitArchived(target, wal, (ARCHIVE_TIMEOUT_SECONDS + 60) * 1000);
    ctx.note('note', `the archive holds WAL segment ${wal}; writes go on past T`);
  }
  const status = await lab.backupStatus();
  if (!status) throw new Error('the lab has no backups configured (it was started before they existed)');
  if (status.lastBackup) {
    ctx.record('base-backup', `${status.lastBackup.type} ${status.lastBackup.label}`);
    ctx.record('base-backup-bytes', status.lastBackup.databaseBytes, 'bytes');
  }
  // Read right before the fault: the WAL a disaster at this moment would cost.
  const lag = await lab.archiveLag();
  ctx.record('archive-lag-at-fault', lag.lagSeconds, 's');
  ctx.record('archive-unarchived-bytes-at-fault', lag.unarchivedBytes, 'bytes');
  ctx.record('archive-timeout', ARCHIVE_TIMEOUT_SECONDS, 's');
  const faultAt = Date.now();
  const destroyed = await lab.destroyDatabase();
  ctx.note('fault', `database lost: ${destroyed.join(', ')} killed and their data directories removed`);
  pointAt ??= faultAt;
  // A store that keeps versions loses its documents too (every object deleted, as a mistaken cleanup
  // would): the restore must bring them back to T from the versions.
  const versioned = lab.objectStoreKind() === 'ceph-rgw';
  if (versioned) {
    ctx.record('documents-versioning', await lab.documentsVersioning());
    losses.documentsLostAt = Date.now();
    const lost = await lab.loseDocuments();
    ctx.note('fault', `documents lost: ${lost} objects deleted from the documents bucket`);
    ctx.record('documents-deleted-at-fault', lost);
  }

  const began = Date.now();
  const instance = await lab.restoreInstance(toTime ? new Date(pointAt) : undefined);
  ctx.note(
    'note',
    `restored into an isolated PostgreSQL on 127.0.0.1:${instance.port} (files ${seconds(instance.restoreMs)} s, recovery ${seconds(instance.recoveryMs)} s)`,
  );
  if (versioned) {
    const objectsBegan = Date.now();
    const objects = await lab.restoreDocuments(new Date(pointAt));
    const took = seconds(Date.now() - objectsBegan);
    ctx.note(
      'note',
      `documents bucket restored to the same point from its versions in ${took} s: ${objects.restored} brought back, ${objects.removed} newer removed, ${objects.unchanged} unchanged`,
    );
    ctx.record('objects-restored', objects.restored);
    ctx.record('objects-removed', objects.removed);
    ctx.record('objects-restore-seconds', took, 's');
  }
  // Generous bounds: the machine restoring may be busy (the restored server has just started).
  const pool = new pg.Pool({ connectionString: instance.url, max: 4, connectionTimeoutMillis: 30_000 });
  pool.on('error', () => undefined);
  let dapp: ManagedProcess | undefined;
  try {
    const started = await startRestoredDapp(target, instance.url, instance.dir);
    dapp = started.process;
    const { api } = started;
    // "Answers": the drill's asset (or, when the restore predates it, the asset list) reads back.
    await waitFor(
      async () => {
        const asset = await call(api, 'GET', `/api/v1/assets/${ctx.assetId}/holders`, { timeoutMs: 5_000 });
        if (asset.status === 200) return true;
        return (
          asset.status === 404 &&
          (await call(api, 'GET', '/api/v1/assets', { timeoutMs: 5_000 })).status === 200
        );
      },
      180_000,
      'the restored dapp to answer',
      { process: started.process, intervalMs: 250 },
    );
    const restoreSeconds = seconds(Date.now() - began);
    ctx.note('note', `the restored API answers, ${restoreSeconds} s after the restore began`);
    ctx.record('restore-seconds', restoreSeconds, 's');
    ctx.record('restore-files-seconds', seconds(instance.restoreMs), 's');
    ctx.record('restore-recovery-seconds', seconds(instance.recoveryMs), 's');

    const sql = async <R extends Record<string, unknown>>(text: string, values?: unknown[]) =>
      (await pool.query(text, values)).rows as R[];
    const operations = transferOperations(ctx.samples());
    const reader = sqlLedgerReader(sql);
    const journal = await reader.journal(
      ctx.assetId,
      operations.map((o) => o.key),
    );
    const findings = restoreFindings(operations, pointAt, journal.idsByKey ?? new Map());
    const books = await reader.books(ctx.assetId).catch(() => undefined);
    const documents = await verifyDocuments(pool, api);
    for (const [name, value] of Object.entries({
      'acknowledged-before-point': findings.acknowledgedBefore,
      'missing-before-point': findings.missingBefore,
      'started-after-point': findings.startedAfter,
      'present-after-point': findings.presentAfter,
      'in-flight-at-point': findings.inFlight,
      'in-flight-present': findings.inFlightPresent,
      'documents-checked': documents.total,
      'documents-unverified': documents.unverified,
    }))
      ctx.record(name, value);
    ctx.record('missing-seconds', findings.missingSeconds, 's');
    if (findings.missingExamples.length > 0)
      ctx.record('missing-examples', findings.missingExamples.map((m) => m.key).join(' '));
    if (documents.examples.length > 0)
      ctx.record('documents-unverified-examples', documents.examples.join('; '));
    ctx.restored({
      findings,
      restoreSeconds,
      documents,
      invariantHolds: books
        ? books.sumOfBalances === books.totalSupply && books.negativeBalances === 0
        : null,
    });
  } finally {
    await dapp?.stop(10_000);
    await pool.end().catch(() => undefined);
    await instance.stop();
    rmSync(instance.dir, { recursive: true, force: true });
  }
}

const labFault = (toTime: boolean): TargetFault<LabTarget> => {
  const losses: Losses = {};
  return {
    async inject(target, ctx) {
      losses.documentsLostAt = undefined;
      await restoreDrill(target, ctx, toTime, losses);
    },
    async restore(target, ctx) {
      // The lab's documents first, as they were when they were lost (the drill's restore moved them to
      // T), only bringing objects back: the rebuilt cluster must not reference a missing one. Then the
      // lab's own cluster, from the same repository, to the end of the archive.
      if (losses.documentsLostAt !== undefined) {
        const objects = await target.lab.restoreDocuments(new Date(losses.documentsLostAt), {
          removeNewer: false,
        });
        ctx.note('note', `the lab's documents restored to the fault: ${objects.restored} brought back`);
      }
      const began = Date.now();
      await target.lab.rebuildDatabase();
      ctx.note('note', `the lab's cluster restored from the backups in ${seconds(Date.now() - began)} s`);
    },
  };
};

const common = {
  documentRow: 'Database failure',
  controls: ['Managed PostgreSQL'],
} as const;

/** Point-in-time restore to T, noted mid-workload, of a lost cluster. */
export const restorePitr: Scenario = {
  ...common,
  id: 'restore-pitr',
  title: 'lose the database, restore it to a point in time T into an isolated instance',
  thresholds: {
    // The lab's rebuilt cluster misses the unarchived tail by design; the restored copy is judged.
    'lost-writes': null,
    'missing-before-target': 0,
    'present-after-target': 0,
    'documents-unverified': 0,
    'restore-seconds': 300,
  },
  lab: labFault(true),
};

/** Restore of a lost cluster to the end of the archive: what it misses is the backup setup's RPO. */
export const restoreLatest: Scenario = {
  ...common,
  id: 'restore-latest',
  title: 'lose the database, restore it to the end of the archive into an isolated instance',
  thresholds: {
    'lost-writes': null,
    'present-after-target': 0,
    // archive_timeout (10 s) bounds the unarchived tail; the rest is margin for archive-push itself.
    'restore-rpo-seconds': 2 * ARCHIVE_TIMEOUT_SECONDS,
    'documents-unverified': 0,
    'restore-seconds': 300,
  },
  lab: labFault(false),
};
