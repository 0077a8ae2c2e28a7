// The lab's continuous backup: pgBackRest (Debian's 2.45) archives every WAL segment of the Patroni
// cluster's primary and keeps base backups in the lab's object store (bucket `dalp-backups`, over the
// store's HTTPS port: pgBackRest's S3 driver speaks only HTTPS). One configuration file for the lab,
// on the host's disk; each node's archive_command and restore_command name it and their own data
// directory. Base backups run from the host as the postgres user, reading the primary's data directory
// and talking to it over its Unix socket (the nodes are network namespaces on one filesystem, so the
// socket file is reachable from the host as a managed service's backup agent reaches its own disk).
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresUser, type RunAs, run } from '../processes.ts';
import { S3RVER_CREDENTIALS } from '../s3.ts';
import { databaseUrl, patroniDataDir, s3TlsPaths } from './components.ts';
import type { ComponentState, LabState } from './state.ts';
import { BACKUP_BUCKET } from './topology.ts';

export const PGBACKREST_BINARY = process.env.DALP_LAB_PGBACKREST ?? '/usr/bin/pgbackrest';
/** pgBackRest's name for the cluster (one stanza per lab, in its own path of the bucket). */
export const STANZA = 'dalp';
/** Full backups kept; older ones expire with the WAL only they need (docs/lab.md). */
export const RETENTION_FULL = 2;
/** Differential backups kept per full backup. */
export const RETENTION_DIFF = 3;
/**
 * `archive_timeout`: a segment is switched (and so archived) at most this many seconds after its first
 * write, which bounds how much acknowledged work the archive can miss when the whole cluster is lost.
 */
export const ARCHIVE_TIMEOUT_SECONDS = 10;

export type BackupType = 'full' | 'diff' | 'incr';
export const BACKUP_TYPES: readonly BackupType[] = ['full', 'diff', 'incr'];

export function backupDir(state: Pick<LabState, 'disks'>): string {
  return join(state.disks, 'host', 'pgbackrest');
}

export function pgbackrestConfigPath(state: Pick<LabState, 'disks'>): string {
  return join(backupDir(state), 'pgbackrest.conf');
}

/** The lab's pgBackRest configuration (INI). The S3 key pair is s3rver's fixed, public one. */
export function pgbackrestConfig(state: LabState): string {
  const s3 = state.components.s3!;
  const dir = backupDir(state);
  return `${[
    '[global]',
    'repo1-type=s3',
    `repo1-s3-endpoint=${s3.host}`,
    `repo1-storage-port=${s3.adminPort}`,
    `repo1-storage-ca-file=${s3TlsPaths(s3).caPath}`,
    `repo1-s3-bucket=${BACKUP_BUCKET}`,
    'repo1-s3-region=us-east-1',
    `repo1-s3-key=${S3RVER_CREDENTIALS.accessKeyId}`,
    `repo1-s3-key-secret=${S3RVER_CREDENTIALS.secretAccessKey}`,
    // s3rver serves buckets by path (its host is an address, not a bucket's DNS name).
    'repo1-s3-uri-style=path',
    `repo1-path=/lab-${state.id}`,
    `repo1-retention-full=${RETENTION_FULL}`,
    `repo1-retention-diff=${RETENTION_DIFF}`,
    // lz4: the fastest of the compressions Debian's build has; the lab's disk is shared.
    'compress-type=lz4',
    // Small files go into bundles: one PUT per bundle instead of one per file (1,268 files in an empty
    // cluster; one PUT each made the first full backup take 36 s against s3rver on a loaded machine).
    'repo1-bundle=y',
    // Two files copied at a time (the machine has two cores).
    'process-max=2',
    // A backup starts with an immediate checkpoint instead of waiting for the next one.
    'start-fast=y',
    // How long backup and check wait for the WAL they need to reach the archive.
    'archive-timeout=60',
    `log-path=${join(dir, 'log')}`,
    `lock-path=${join(dir, 'lock')}`,
    `spool-path=${join(dir, 'spool')}`,
    'log-level-console=warn',
    'log-level-file=info',
    '',
    `[${STANZA}]`,
    'pg1-port=5432',
    'pg1-user=postgres',
    '',
  ].join('\n')}`;
}

/** Writes the configuration and its directories, owned by the postgres user that runs pgBackRest. */
export function prepareBackups(state: LabState): void {
  const owner = postgresUser();
  const dir = backupDir(state);
  for (const path of [dir, join(dir, 'log'), join(dir, 'lock'), join(dir, 'spool')]) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    if (owner) chownSync(path, owner.uid, owner.gid);
  }
  writeFileSync(pgbackrestConfigPath(state), pgbackrestConfig(state), { mode: 0o600 });
  if (owner) chownSync(pgbackrestConfigPath(state), owner.uid, owner.gid);
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** One node's archive_command: push the segment PostgreSQL names (%p is relative to the data dir). */
export function archiveCommand(state: Pick<LabState, 'disks'>, c: ComponentState): string {
  return `${PGBACKREST_BINARY} --config=${quote(pgbackrestConfigPath(state))} --stanza=${STANZA} --pg1-path=${quote(patroniDataDir(c))} archive-push %p`;
}

/** One node's restore_command: a standby too far behind to stream fetches the segments it needs. */
export function restoreCommand(state: Pick<LabState, 'disks'>, c: ComponentState): string {
  return `${PGBACKREST_BINARY} --config=${quote(pgbackrestConfigPath(state))} --stanza=${STANZA} --pg1-path=${quote(patroniDataDir(c))} archive-get %f "%p"`;
}

/** Runs pgBackRest as the postgres user with the lab's configuration; resolves to its stdout. */
export async function pgbackrest(
  state: LabState,
  args: string[],
  options: { timeoutMs?: number; owner?: RunAs } = {},
): Promise<string> {
  return run(PGBACKREST_BINARY, [`--config=${pgbackrestConfigPath(state)}`, `--stanza=${STANZA}`, ...args], {
    runAs: options.owner ?? postgresUser(),
    env: { PATH: process.env.PATH },
    cwd: backupDir(state),
    timeoutMs: options.timeoutMs ?? 300_000,
  });
}

/** The flags that point pgBackRest at one node's PostgreSQL (data directory and Unix socket). */
export function pgFlags(c: ComponentState): string[] {
  return [`--pg1-path=${patroniDataDir(c)}`, `--pg1-socket-path=${c.dir}`];
}

/** Creates the stanza (idempotent: pgBackRest accepts a second stanza-create for the same cluster). */
export async function createStanza(state: LabState, primary: ComponentState): Promise<void> {
  await pgbackrest(state, [...pgFlags(primary), 'stanza-create'], { timeoutMs: 60_000 });
}

/** Takes a base backup of the primary; pgBackRest waits until the WAL that makes it consistent is archived. */
export async function takeBackup(state: LabState, primary: ComponentState, type: BackupType): Promise<void> {
  if (!existsSync(pgbackrestConfigPath(state)))
    throw new Error(`lab ${state.id} has no backup configuration (it was started before backups existed)`);
  await pgbackrest(state, [...pgFlags(primary), `--type=${type}`, 'backup']);
}

/** One base backup as `pgbackrest info` describes it. */
export interface BaseBackup {
  label: string;
  type: BackupType;
  /** ISO times the backup started and stopped (it is consistent from its stop). */
  startedAt: string;
  stoppedAt: string;
  /** Bytes of the database it copied, and what it takes in the repository (compressed, deduplicated). */
  databaseBytes: number;
  repositoryBytes: number;
  /** WAL segments it needs (first and last). */
  walStart: string;
  walStop: string;
}

export interface BackupInfo {
  /** pgBackRest's own status line ("ok", "no valid backups"...). */
  status: string;
  backups: BaseBackup[];
  /** The oldest point a restore can reach: the stop of the oldest backup; null without one. */
  oldestRestorable: string | null;
  /** The oldest and newest WAL segment in the archive. */
  archiveMin: string | null;
  archiveMax: string | null;
}

interface InfoJson {
  status?: { code?: number; message?: string };
  backup?: {
    label: string;
    type: BackupType;
    error?: boolean;
    timestamp: { start: number; stop: number };
    info: { size: number; repository: { delta: number; size: number } };
    archive: { start: string; stop: string };
  }[];
  archive?: { min?: string | null; max?: string | null }[];
}

/** Reads `pgbackrest info --output=json` (an array with one object per stanza). */
export function parseBackupInfo(text: string, stanza = STANZA): BackupInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('pgbackrest info did not print JSON');
  }
  if (!Array.isArray(parsed)) throw new Error('pgbackrest info --output=json: expected an array of stanzas');
  const entry = (parsed as ({ name?: string } & InfoJson)[]).find((s) => s.name === stanza);
  if (!entry) throw new Error(`pgbackrest info: no stanza "${stanza}"`);
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const backups = (entry.backup ?? [])
    .filter((b) => !b.error)
    .map((b) => ({
      label: b.label,
      type: b.type,
      startedAt: iso(b.timestamp.start),
      stoppedAt: iso(b.timestamp.stop),
      databaseBytes: b.info.size,
      repositoryBytes: b.info.repository.delta,
      walStart: b.archive.start,
      walStop: b.archive.stop,
    }))
    .sort((a, b) => a.stoppedAt.localeCompare(b.stoppedAt));
  const archives = entry.archive ?? [];
  const mins = archives.map((a) => a.min).filter((x): x is string => !!x);
  const maxes = archives.map((a) => a.max).filter((x): x is string => !!x);
  // WAL file names sort in WAL order (timeline, then position): the smallest and largest are the ends.
  mins.sort();
  maxes.sort();
  return {
    status: entry.status?.message ?? 'unknown',
    backups,
    oldestRestorable: backups[0]?.stoppedAt ?? null,
    archiveMin: mins[0] ?? null,
    archiveMax: maxes.at(-1) ?? null,
  };
}

export async function backupInfo(state: LabState): Promise<BackupInfo> {
  return parseBackupInfo(await pgbackrest(state, ['--output=json', 'info'], { timeoutMs: 30_000 }));
}

/** How far the archive trails the primary (pg_stat_archiver and the current WAL position). */
export interface ArchiveLag {
  /** The last segment archived and when; null when none yet. */
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  /** The last failed archive attempt (after the last success: archiving is failing now). */
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  failing: boolean;
  /** Bytes of WAL written since the end of the last archived segment: what a lost cluster would lose. */
  unarchivedBytes: number;
  /** Whole segments written and not archived yet (the current, unfinished one not counted). */
  pendingSegments: number;
  /** Seconds since the last successful archive when WAL is waiting (0 when nothing is). */
  lagSeconds: number;
}

export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/** A WAL file name's segment number (log * segments per log + seg) for 16 MB segments. */
export function walSegmentNumber(name: string): bigint {
  if (!/^[0-9A-F]{24}$/.test(name)) throw new Error(`not a WAL file name: ${name}`);
  const log = BigInt(`0x${name.slice(8, 16)}`);
  const seg = BigInt(`0x${name.slice(16, 24)}`);
  return log * (0x1_0000_0000n / BigInt(WAL_SEGMENT_BYTES)) + seg;
}

/** The archive lag from pg_stat_archiver's row and the primary's current WAL position (bytes since 0/0). */
export function archiveLag(row: {
  last_archived_wal: string | null;
  last_archived_time: Date | null;
  last_failed_wal: string | null;
  last_failed_time: Date | null;
  current_lsn_bytes: string;
  now: Date;
}): ArchiveLag {
  const current = BigInt(row.current_lsn_bytes);
  const archivedEnd =
    row.last_archived_wal && !row.last_archived_wal.includes('.')
      ? (walSegmentNumber(row.last_archived_wal) + 1n) * BigInt(WAL_SEGMENT_BYTES)
      : 0n;
  const unarchived = current > archivedEnd ? current - archivedEnd : 0n;
  const failing =
    row.last_failed_time !== null &&
    (row.last_archived_time === null || row.last_failed_time > row.last_archived_time);
  const since = row.last_archived_time ?? null;
  return {
    lastArchivedWal: row.last_archived_wal,
    lastArchivedAt: since?.toISOString() ?? null,
    lastFailedWal: row.last_failed_wal,
    lastFailedAt: row.last_failed_time?.toISOString() ?? null,
    failing,
    unarchivedBytes: Number(unarchived),
    pendingSegments: Number(unarchived / BigInt(WAL_SEGMENT_BYTES)),
    lagSeconds:
      unarchived === 0n || !since
        ? 0
        : Math.max(0, Math.round((row.now.getTime() - since.getTime()) / 100) / 10),
  };
}

/** Reads the archive lag on the primary (through its own address, as the superuser). */
export async function readArchiveLag(state: LabState, primary: ComponentState): Promise<ArchiveLag> {
  const client = new pg.Client({
    connectionString: databaseUrl(state, primary.host, primary.port, true),
    connectionTimeoutMillis: 2_000,
    statement_timeout: 2_000,
  });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT last_archived_wal, last_archived_time, last_failed_wal, last_failed_time,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS current_lsn_bytes, now() AS now
       FROM pg_stat_archiver`,
    );
    return archiveLag(rows[0]);
  } finally {
    await client.end().catch(() => undefined);
  }
}
