import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EtcdServer, startEtcd } from './etcd.ts';
import { freePort } from './ports.ts';
import { POSTGRES_BIN_DIR } from './postgres.ts';
import {
  killGroup,
  killPid,
  type ManagedProcess,
  makeTempDir,
  pidAlive,
  postgresUser,
  type RunAs,
  registerCleanup,
  spawnManaged,
  TIMED_OUT,
  waitFor,
  withTimeout,
} from './processes.ts';

/** Patroni with the fixes Debian's 3.0.2 needs in its etcd3 client (see the file); run by Python. */
export const PATRONI_LAUNCHER = fileURLToPath(new URL('./patroni-launcher.py', import.meta.url));
const PYTHON_BINARY = process.env.DALP_LAB_PYTHON ?? '/usr/bin/python3';

/**
 * How to run Patroni for a node: the launcher, copied into the node's directory (the postgres user may
 * not be able to read the repository, a clone in a mode-700 home directory), or DALP_LAB_PATRONI as is.
 */
export function patroniCommand(
  nodeDir: string,
  configPath: string,
  owner: RunAs | undefined,
): { command: string; args: string[] } {
  const own = process.env.DALP_LAB_PATRONI;
  if (own) return { command: own, args: [configPath] };
  const launcher = join(nodeDir, 'patroni-launcher.py');
  writeFileSync(launcher, readFileSync(PATRONI_LAUNCHER, 'utf8'), { mode: 0o600 });
  if (owner) chownSync(launcher, owner.uid, owner.gid);
  return { command: PYTHON_BINARY, args: [launcher, configPath] };
}

export interface PatroniOptions {
  /** Number of PostgreSQL nodes (default 3). */
  nodes?: number;
  /** `synchronous_mode: true`: a commit is acknowledged only once a replica has it (default true). */
  synchronous?: boolean;
  /** `synchronous_mode_strict: true`: with no sync replica left, writes block instead of going async. */
  synchronousStrict?: boolean;
  /** Leader key TTL and loop timings; the defaults are chosen for a quick failover (docs/lab.md). */
  ttl?: number;
  loopWait?: number;
  retryTimeout?: number;
  /** Bound for the initial bootstrap (leader + replicas streaming). */
  startTimeoutMs?: number;
}

export interface PatroniMember {
  name: string;
  host: string;
  /** PostgreSQL port of the node itself (bypassing any load balancer). */
  pgPort: number;
  /** Patroni REST API port (`/primary`, `/replica`, `/health`, `/cluster`). */
  restPort: number;
}

export interface ReplicationState {
  applicationName: string;
  state: string;
  syncState: string;
}

export interface PatroniCluster {
  readonly scope: string;
  readonly etcd: EtcdServer;
  readonly members: readonly PatroniMember[];
  /** Superuser credentials (password authentication on every node). */
  readonly user: string;
  readonly password: string;
  /** Current leader, per the DCS as seen through the REST API of a running node; undefined when none. */
  primary(): Promise<PatroniMember | undefined>;
  /** Running members that are not the leader. */
  replicas(): Promise<PatroniMember[]>;
  /** `pg_stat_replication` of the leader as Patroni reports it. */
  replication(): Promise<ReplicationState[]>;
  /**
   * Waits until a leader answers `/primary` and at least `streamingReplicas` replicas stream from it
   * (one of them synchronous when synchronous mode is on). Returns the leader.
   */
  waitForHealthy(options?: { streamingReplicas?: number; timeoutMs?: number }): Promise<PatroniMember>;
  /** Kills the leader's Patroni process group AND its postmaster; returns the old leader's name. */
  killPrimary(): Promise<string>;
  /** Kills one node the same way (Patroni alone would leave a writable primary behind). */
  killNode(name: string): Promise<void>;
  /** Waits until a member other than `oldName` is leader and answers `/primary`. */
  waitForNewPrimary(oldName: string, timeoutMs?: number): Promise<PatroniMember>;
  /** Starts a stopped or killed node's Patroni again; it rejoins (pg_rewind when needed). */
  restartNode(name: string): Promise<void>;
  /** URL of one node's PostgreSQL, bypassing any load balancer. */
  nodeUrl(name: string, database?: string): string;
  running(name: string): boolean;
  stop(): Promise<void>;
}

interface NodeState {
  member: PatroniMember;
  dir: string;
  dataDir: string;
  configPath: string;
  logPath: string;
  patroni: ManagedProcess | undefined;
}

/** The postmaster PID from the data directory (first line of postmaster.pid), if any. */
export function postmasterPid(dataDir: string): number | undefined {
  const path = join(dataDir, 'postmaster.pid');
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** SIGKILL to the postmaster and its backends (it runs in its own session, outside Patroni's group). */
export function killPostmaster(dataDir: string): number | undefined {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !pidAlive(pid)) return undefined;
  killGroup(pid, 'SIGKILL');
  killPid(pid, 'SIGKILL');
  return pid;
}

/** Patroni's timing and replication settings (the DCS part of its configuration). */
export interface PatroniSettings {
  synchronous: boolean;
  synchronousStrict: boolean;
  ttl: number;
  loopWait: number;
  retryTimeout: number;
}

/** Everything one Patroni node's configuration depends on. */
export interface PatroniNodeSpec {
  name: string;
  /** Address Patroni and PostgreSQL listen on and advertise. */
  host: string;
  pgPort: number;
  restPort: number;
  /** The node's directory (socket, pgpass) and its PostgreSQL data directory. */
  dir: string;
  dataDir: string;
  scope: string;
  /** `host:port` of every etcd member. */
  etcdHosts: string[];
  credentials: { password: string; replicationPassword: string };
  settings: PatroniSettings;
  /** CIDR allowed to connect (clients and replication) with a password. */
  clientNetwork: string;
  /** PostgreSQL settings added to (or replacing) the defaults below. */
  parameters?: Record<string, string | number>;
  /** Settings of this node alone (Patroni's local configuration: archive_command naming its data dir). */
  localParameters?: Record<string, string | number>;
  /** What Patroni adds to a standby's recovery settings (restore_command). */
  recoveryConf?: Record<string, string>;
}

/** Where Patroni keeps its cluster's keys in the DCS. */
export const PATRONI_NAMESPACE = '/dalp-lab/';

/** The DCS key that names the cluster's leader (the lock Patroni's leader holds). */
export function patroniLeaderKey(scope: string): string {
  return `${PATRONI_NAMESPACE}${scope}/leader`;
}

/** One node's Patroni configuration (JSON is valid YAML, so Patroni reads it without a YAML writer). */
export function patroniConfig(spec: PatroniNodeSpec) {
  const { settings } = spec;
  return {
    scope: spec.scope,
    namespace: PATRONI_NAMESPACE,
    name: spec.name,
    log: { level: 'INFO' },
    restapi: {
      listen: `${spec.host}:${spec.restPort}`,
      connect_address: `${spec.host}:${spec.restPort}`,
    },
    etcd3: { hosts: spec.etcdHosts },
    bootstrap: {
      dcs: {
        ttl: settings.ttl,
        loop_wait: settings.loopWait,
        retry_timeout: settings.retryTimeout,
        maximum_lag_on_failover: 1_048_576,
        synchronous_mode: settings.synchronous,
        synchronous_mode_strict: settings.synchronousStrict,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            max_connections: 200,
            wal_level: 'replica',
            hot_standby: 'on',
            wal_log_hints: 'on',
            max_wal_senders: 10,
            max_replication_slots: 10,
            wal_keep_size: '128MB',
            // The lab kills processes, never the OS: skipping fsync keeps commits fast on a shared disk
            // without changing what a killed node loses.
            fsync: 'off',
            ...spec.parameters,
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `${spec.host}:${spec.pgPort}`,
      connect_address: `${spec.host}:${spec.pgPort}`,
      data_dir: spec.dataDir,
      bin_dir: POSTGRES_BIN_DIR,
      pgpass: join(spec.dir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: spec.credentials.password },
        replication: { username: 'replicator', password: spec.credentials.replicationPassword },
      },
      parameters: { unix_socket_directories: spec.dir, ...spec.localParameters },
      ...(spec.recoveryConf ? { recovery_conf: spec.recoveryConf } : {}),
      pg_hba: [
        'local all all trust',
        `host replication replicator ${spec.clientNetwork} scram-sha-256`,
        `host all all ${spec.clientNetwork} scram-sha-256`,
      ],
      basebackup: [{ checkpoint: 'fast' }],
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

/** What a Patroni node says about itself on `GET /patroni`. */
export interface PatroniNodeView {
  /** `running`, `starting`, `stopped`, `crashed`... */
  state?: string;
  /** `primary`/`master` or `replica`. */
  role?: string;
  timeline?: number;
  replication?: { application_name: string; state: string; sync_state: string }[];
}

/** GET of a Patroni REST endpoint (status and parsed body), bounded to 1.5 s. */
export async function patroniGet<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_500) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/**
 * Starts etcd and an N-node Patroni cluster of PostgreSQL 15 on loopback, Patroni and PostgreSQL
 * running as the `postgres` user. Resolves once the leader answers and every replica streams.
 */
export async function startPatroniCluster(options: PatroniOptions = {}): Promise<PatroniCluster> {
  const owner: RunAs | undefined = postgresUser();
  const settings: PatroniSettings = {
    synchronous: options.synchronous ?? true,
    synchronousStrict: options.synchronousStrict ?? false,
    ttl: options.ttl ?? 10,
    loopWait: options.loopWait ?? 2,
    retryTimeout: options.retryTimeout ?? 5,
  };
  const count = options.nodes ?? 3;
  const scope = `lab-${randomBytes(4).toString('hex')}`;
  const credentials = {
    password: randomBytes(12).toString('hex'),
    replicationPassword: randomBytes(12).toString('hex'),
  };
  const etcd = await startEtcd();
  const dir = makeTempDir('patroni', owner);
  const nodes: NodeState[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `pg${i}`;
    const nodeDir = join(dir.path, name);
    mkdirSync(nodeDir, { mode: 0o700 });
    if (owner) chownSync(nodeDir, owner.uid, owner.gid);
    const node: NodeState = {
      member: { name, host: '127.0.0.1', pgPort: await freePort(), restPort: await freePort() },
      dir: nodeDir,
      dataDir: join(nodeDir, 'data'),
      configPath: join(nodeDir, 'patroni.yml'),
      logPath: join(nodeDir, 'patroni.log'),
      patroni: undefined,
    };
    const config = patroniConfig({
      ...node.member,
      dir: node.dir,
      dataDir: node.dataDir,
      scope,
      etcdHosts: [`127.0.0.1:${etcd.clientPort}`],
      credentials,
      settings,
      clientNetwork: '127.0.0.1/32',
    });
    writeFileSync(node.configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    if (owner) chownSync(node.configPath, owner.uid, owner.gid);
    nodes.push(node);
  }
  // Postmasters detach from Patroni (setsid), so the per-process cleanup does not reach them.
  const unregisterPostmasters = registerCleanup(() => {
    for (const node of nodes) killPostmaster(node.dataDir);
  });

  const byName = (name: string): NodeState => {
    const node = nodes.find((n) => n.member.name === name);
    if (!node) throw new Error(`no Patroni node named ${name}`);
    return node;
  };

  const startNode = (node: NodeState): void => {
    node.patroni = spawnManaged({
      name: `patroni ${node.member.name}`,
      ...patroniCommand(node.dir, node.configPath, owner),
      logPath: node.logPath,
      cwd: node.dir,
      runAs: owner,
      env: { ...process.env, HOME: node.dir, PATRONI_LOG_LEVEL: 'INFO' },
    });
  };

  const runningNodes = (): NodeState[] => nodes.filter((n) => n.patroni?.running());

  interface ClusterView {
    members: { name: string; role: string; state: string }[];
  }

  const clusterView = async (): Promise<ClusterView | undefined> => {
    for (const node of runningNodes()) {
      try {
        const { body } = await patroniGet<ClusterView>(`http://127.0.0.1:${node.member.restPort}/cluster`);
        if (Array.isArray(body.members)) return body;
      } catch {
        // Try the next node.
      }
    }
    return undefined;
  };

  const answersPrimary = async (member: PatroniMember): Promise<boolean> => {
    try {
      return (await patroniGet(`http://127.0.0.1:${member.restPort}/primary`)).status === 200;
    } catch {
      return false;
    }
  };

  const primary = async (): Promise<PatroniMember | undefined> => {
    const view = await clusterView();
    const leader = view?.members.find((m) => m.role === 'leader' || m.role === 'master');
    if (!leader) return undefined;
    const node = nodes.find((n) => n.member.name === leader.name);
    return node?.patroni?.running() ? node.member : undefined;
  };

  const replication = async (): Promise<ReplicationState[]> => {
    const leader = await primary();
    if (!leader) return [];
    const { body } = await patroniGet<{
      replication?: { application_name: string; state: string; sync_state: string }[];
    }>(`http://127.0.0.1:${leader.restPort}/patroni`);
    return (body.replication ?? []).map((r) => ({
      applicationName: r.application_name,
      state: r.state,
      syncState: r.sync_state,
    }));
  };

  const waitForHealthy = async (opts: { streamingReplicas?: number; timeoutMs?: number } = {}) => {
    const wanted = opts.streamingReplicas ?? count - 1;
    return waitFor(
      async () => {
        const leader = await primary();
        if (!leader || !(await answersPrimary(leader))) throw new Error('no leader answers /primary yet');
        const states = await replication();
        const streaming = states.filter((s) => s.state === 'streaming');
        if (streaming.length < wanted) {
          throw new Error(`${streaming.length} of ${wanted} replicas streaming from ${leader.name}`);
        }
        if (settings.synchronous && wanted > 0 && !streaming.some((s) => s.syncState === 'sync')) {
          throw new Error('no synchronous replica yet');
        }
        return leader;
      },
      opts.timeoutMs ?? 90_000,
      `Patroni cluster ${scope} to be healthy with ${wanted} streaming replicas`,
      { intervalMs: 250 },
    ).catch((error: Error) => {
      const tails = nodes
        .map((n) => `--- ${n.member.name} ---\n${n.patroni?.logTail(15) ?? '(not running)'}`)
        .join('\n');
      throw new Error(`${error.message}\n${tails}`);
    });
  };

  const killNode = async (name: string): Promise<void> => {
    const node = byName(name);
    // Patroni first, so it cannot restart the postmaster we are about to kill.
    await node.patroni?.kill();
    const pid = killPostmaster(node.dataDir);
    if (pid !== undefined) {
      await waitFor(() => !pidAlive(pid), 10_000, `postmaster ${pid} of ${name} to die`, { intervalMs: 50 });
    }
  };

  const stopNode = async (node: NodeState): Promise<void> => {
    const patroni = node.patroni;
    if (patroni?.running()) {
      // Patroni stops PostgreSQL (fast mode) on SIGTERM before exiting.
      patroni.signal('SIGTERM');
      if ((await withTimeout(patroni.exited, 20_000)) === TIMED_OUT) await patroni.kill();
    }
    const pid = killPostmaster(node.dataDir);
    if (pid !== undefined) await waitFor(() => !pidAlive(pid), 10_000, `postmaster ${pid} to die`);
  };

  const cluster: PatroniCluster = {
    scope,
    etcd,
    members: nodes.map((n) => n.member),
    user: 'postgres',
    password: credentials.password,
    primary,
    async replicas() {
      const leader = await primary();
      return runningNodes()
        .map((n) => n.member)
        .filter((m) => m.name !== leader?.name);
    },
    replication,
    waitForHealthy,
    async killPrimary() {
      const leader = await primary();
      if (!leader) throw new Error(`Patroni cluster ${scope} has no leader to kill`);
      await killNode(leader.name);
      return leader.name;
    },
    killNode,
    async waitForNewPrimary(oldName, timeoutMs = 60_000) {
      return waitFor(
        async () => {
          const leader = await primary();
          return leader && leader.name !== oldName && (await answersPrimary(leader)) ? leader : undefined;
        },
        timeoutMs,
        `a new Patroni leader other than ${oldName}`,
        { intervalMs: 100 },
      );
    },
    async restartNode(name) {
      const node = byName(name);
      if (node.patroni?.running()) await stopNode(node);
      startNode(node);
      const restPort = node.member.restPort;
      await waitFor(
        async () => {
          // /health answers 200 once PostgreSQL runs under this Patroni, whatever its role.
          return (await patroniGet(`http://127.0.0.1:${restPort}/health`)).status === 200;
        },
        60_000,
        `Patroni node ${name} to run PostgreSQL again`,
        { process: node.patroni, intervalMs: 250 },
      );
    },
    nodeUrl(name, database = 'postgres') {
      const { member } = byName(name);
      return `postgres://postgres:${credentials.password}@127.0.0.1:${member.pgPort}/${database}`;
    },
    running: (name) => byName(name).patroni?.running() ?? false,
    async stop() {
      // Replicas first, so stopping the leader does not trigger a last failover.
      const leader = await primary().catch(() => undefined);
      await Promise.all(nodes.filter((n) => n.member.name !== leader?.name).map(stopNode));
      await Promise.all(nodes.filter((n) => n.member.name === leader?.name).map(stopNode));
      unregisterPostmasters();
      await etcd.stop();
      dir.remove();
    },
  };

  try {
    // The first node bootstraps alone so the others never race for the initialize key; they then
    // clone it with pg_basebackup.
    const [first, ...others] = nodes;
    if (!first) throw new Error('a Patroni cluster needs at least one node');
    startNode(first);
    await waitFor(
      async () => answersPrimary(first.member),
      options.startTimeoutMs ?? 90_000,
      `Patroni ${first.member.name} to bootstrap the cluster`,
      { process: first.patroni, intervalMs: 250 },
    );
    for (const node of others) startNode(node);
    await waitForHealthy({ streamingReplicas: count - 1, timeoutMs: options.startTimeoutMs ?? 90_000 });
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
  return cluster;
}

/**
 * The HAProxy frontend that always reaches the cluster's current primary: every member is a backend,
 * health-checked on its Patroni REST `/primary`, as production load balancers front Patroni.
 */
export function patroniFrontend(cluster: Pick<PatroniCluster, 'members'>, name = 'postgres') {
  return {
    name,
    kind: 'postgres' as const,
    backends: cluster.members.map((m) => ({ name: m.name, port: m.pgPort, checkPort: m.restPort })),
  };
}
