// Losing the lab's database and getting it back from the pgBackRest repository: the primitives of the
// restore drills (docs/backup-restore.md). `destroyDatabase` is a lost cluster (every node's PostgreSQL
// killed, every data directory gone); `restoreInstance` restores the repository to a point in time (or
// to the end of the archive) into a fresh, isolated PostgreSQL outside the Patroni cluster, on the
// host's loopback and a port of its own; `rebuildCluster` restores the Patroni cluster itself to the
// end of the archive so the lab is usable again.
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PATRONI_NAMESPACE, postmasterPid } from '../patroni.ts';
import { freePort } from '../ports.ts';
import { POSTGRES_BIN_DIR } from '../postgres.ts';
import { pidAlive, postgresUser, run, waitFor } from '../processes.ts';
import { archiveCommand, backupDir, pgbackrest } from './backup.ts';
import { patroniDataDir, patroniScope } from './components.ts';
import { killComponent } from './lifecycle.ts';
import type { ComponentState, LabState } from './state.ts';

const PG_CTL = join(POSTGRES_BIN_DIR, 'pg_ctl');
const RECOVERY_TIMEOUT_MS = 900_000;

/** A lost cluster: every PostgreSQL node killed (Patroni and postmaster) and its data directory removed. */
export async function destroyDatabase(state: LabState): Promise<string[]> {
  const nodes = Object.values(state.components).filter((c) => c.kind === 'postgres');
  await Promise.all(nodes.map((c) => killComponent(c)));
  for (const c of nodes) rmSync(patroniDataDir(c), { recursive: true, force: true, maxRetries: 5 });
  return nodes.map((c) => c.name);
}

/** pgBackRest's `--target` time: `YYYY-MM-DD HH:MM:SS.mmm+00`. */
export function pgbackrestTime(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '+00');
}

interface RecoverySpec {
  dataDir: string;
  socketDir: string;
  /** '' for the Unix socket only. */
  listen: string;
  port: number;
  /** Archive after promotion with this command; undefined keeps archiving off (an isolated copy). */
  archiveCommand?: string;
  /** Stop at this time (commits after it are not replayed); undefined: the end of the archive. */
  target?: Date;
}

/**
 * Restores the repository's latest backup into `dataDir` and recovers it with PostgreSQL alone until it
 * is promoted (at the target, or at the end of the archive). The configuration is the lab's own, written
 * over the one Patroni left in the backup (its addresses, paths and synchronous standby names are the
 * source node's). Hot standby is off: nothing can read a half-recovered database.
 */
async function recover(
  state: LabState,
  spec: RecoverySpec,
): Promise<{ restoreMs: number; recoveryMs: number }> {
  const owner = postgresUser();
  mkdirSync(spec.dataDir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(spec.dataDir, owner.uid, owner.gid);
  const began = Date.now();
  await pgbackrest(state, [
    `--pg1-path=${spec.dataDir}`,
    '--delta',
    // Without a target, recovery ends at the end of the archive and PostgreSQL promotes by itself.
    ...(spec.target
      ? ['--type=time', `--target=${pgbackrestTime(spec.target)}`, '--target-action=promote']
      : ['--type=default']),
    // An isolated copy must never push its new timeline into the lab's archive.
    `--archive-mode=${spec.archiveCommand ? 'preserve' : 'off'}`,
    'restore',
  ]);
  const restored = Date.now();
  const conf = [
    `listen_addresses = '${spec.listen}'`,
    `port = ${spec.port}`,
    `unix_socket_directories = '${spec.socketDir}'`,
    `hba_file = '${join(spec.dataDir, 'pg_hba.conf')}'`,
    `ident_file = '${join(spec.dataDir, 'pg_ident.conf')}'`,
    // At least the primary's values, or recovery refuses to run.
    'max_connections = 200',
    'max_wal_senders = 10',
    'max_replication_slots = 10',
    'max_worker_processes = 8',
    'wal_level = replica',
    'wal_log_hints = on',
    'hot_standby = off',
    'fsync = off',
    "synchronous_standby_names = ''",
    spec.archiveCommand
      ? `archive_mode = on\narchive_command = '${spec.archiveCommand.replaceAll("'", "''")}'`
      : 'archive_mode = off',
    '',
  ].join('\n');
  const files: [string, string][] = [
    ['postgresql.conf', conf],
    ['pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n'],
    ['pg_ident.conf', ''],
  ];
  for (const [name, text] of files) {
    const path = join(spec.dataDir, name);
    writeFileSync(path, text, { mode: 0o600 });
    if (owner) chownSync(path, owner.uid, owner.gid);
  }
  const logPath = join(spec.socketDir, 'postgres.log');
  // -W: pg_ctl counts a server in recovery as started; the wait below is for the end of recovery.
  await run(PG_CTL, ['-D', spec.dataDir, '-l', logPath, '-W', 'start'], {
    runAs: owner,
    env: { PATH: process.env.PATH },
    cwd: spec.socketDir,
  });
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  for (;;) {
    if (!(await inRecovery(spec.socketDir, spec.port).catch(() => true))) break;
    const pid = postmasterPid(spec.dataDir);
    // The postmaster exits when recovery fails (a target past the end of the archive, WAL missing).
    if (Date.now() > 2_000 + restored && (pid === undefined || !pidAlive(pid))) {
      const fatal = readFileSync(logPath, 'utf8')
        .split('\n')
        .filter((l) => /FATAL|PANIC/.test(l) && !/not accepting connections|is starting up/.test(l));
      throw new RecoveryError(`PostgreSQL recovery failed: ${fatal.at(-1) ?? 'the server exited'}`);
    }
    if (Date.now() > deadline)
      throw new RecoveryError(`PostgreSQL still in recovery after ${RECOVERY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { restoreMs: restored - began, recoveryMs: Date.now() - restored };
}

/** Recovery stopped short (the target is past the end of the archive, WAL is missing...). */
export class RecoveryError extends Error {
  override name = 'RecoveryError';
}

/** Whether the PostgreSQL on this socket is still in recovery; throws while it refuses connections. */
async function inRecovery(socketDir: string, port: number): Promise<boolean> {
  const client = new pg.Client({
    host: socketDir,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r as boolean;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A restored PostgreSQL outside the cluster (host loopback, its own port and directory). */
export interface RestoredInstance {
  /** The application's database as the `dalp` role (contains its password). */
  url: string;
  port: number;
  dir: string;
  /** pgBackRest's restore (files), then PostgreSQL's recovery (WAL replay until promotion). */
  restoreMs: number;
  recoveryMs: number;
  stop(): Promise<void>;
}

export async function restoreInstance(state: LabState, target?: Date): Promise<RestoredInstance> {
  const owner = postgresUser();
  const dir = join(backupDir(state), `restore-${Date.now()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const stop = async () => {
    await run(PG_CTL, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
      runAs: owner,
      env: { PATH: process.env.PATH },
      cwd: dir,
    }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  };
  try {
    const times = await recover(state, { dataDir, socketDir: dir, listen: '127.0.0.1', port, target });
    const password = encodeURIComponent(state.secrets.databasePassword);
    return { url: `postgres://dalp:${password}@127.0.0.1:${port}/dalp`, port, dir, ...times, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Deletes Patroni's keys of the lab's cluster in etcd except its configuration. */
async function forgetCluster(state: LabState): Promise<void> {
  const prefix = `${PATRONI_NAMESPACE}${patroniScope(state)}/`;
  const end = (key: string) => key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // Two ranges around `config` (keys sort byte-wise): everything before it and everything after it.
  const ranges = [
    [prefix, `${prefix}config`],
    [`${prefix}config\0`, end(prefix)],
  ];
  const etcd = Object.values(state.components).filter((c) => c.kind === 'etcd');
  let lastError: unknown;
  for (const member of etcd) {
    try {
      for (const [key, rangeEnd] of ranges) {
        const response = await fetch(`http://${member.host}:${member.port}/v3/kv/deleterange`, {
          method: 'POST',
          body: JSON.stringify({ key: b64(key!), range_end: b64(rangeEnd!) }),
          signal: AbortSignal.timeout(3_000),
        });
        if (!response.ok) throw new Error(`etcd ${member.name} answered ${response.status}`);
      }
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`could not clear the cluster's keys in etcd: ${String(lastError)}`);
}

/**
 * Brings the lab's Patroni cluster back after `destroyDatabase`: the first node's data directory is
 * restored to the end of the archive and promoted by PostgreSQL alone (so no archived WAL is skipped
 * by an early promotion), stopped, and handed to Patroni, which takes the cluster over (its old keys in
 * etcd are gone, its configuration kept); the other nodes clone it as new replicas do.
 */
export async function rebuildCluster(
  state: LabState,
  startNode: (name: string) => Promise<void>,
): Promise<void> {
  const nodes = Object.values(state.components).filter((c): c is ComponentState => c.kind === 'postgres');
  const [first, ...others] = nodes;
  if (!first) throw new Error('the lab has no PostgreSQL node');
  for (const c of nodes) rmSync(patroniDataDir(c), { recursive: true, force: true, maxRetries: 5 });
  const dataDir = patroniDataDir(first);
  await recover(state, {
    dataDir,
    socketDir: first.dir,
    listen: '',
    port: first.port,
    archiveCommand: archiveCommand(state, first),
  });
  const owner = postgresUser();
  await run(PG_CTL, ['-D', dataDir, '-m', 'fast', '-w', 'stop'], {
    runAs: owner,
    env: { PATH: process.env.PATH },
    cwd: first.dir,
  });
  await forgetCluster(state);
  await startNode(first.name);
  await waitFor(
    async () => !(await inRecovery(first.dir, first.port)),
    120_000,
    `${first.name} to run as the primary of the rebuilt cluster`,
    { intervalMs: 500 },
  );
  for (const c of others) await startNode(c.name);
}
