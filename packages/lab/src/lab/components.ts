// How each kind of lab component is configured, launched, checked and read: the lab's side of the
// component starters (etcd.ts, patroni.ts, redis.ts, haproxy.ts, s3.ts), whose configuration builders
// it shares. A component is described by the state file alone, so any process (the CLI, a test, the
// supervisor) can start it again after the one that started it first is gone.
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ETCD_BINARY, etcdArgs, etcdGet, etcdHealthy, etcdIsLeader } from '../etcd.ts';
import {
  FAST_CHECKS,
  type Frontend,
  HAPROXY_BINARY,
  haproxyCommand,
  parseStat,
  renderHaproxyConfig,
  type ServerState,
} from '../haproxy.ts';
import {
  type PatroniNodeView,
  patroniCommand,
  patroniConfig,
  patroniGet,
  patroniLeaderKey,
  postmasterPid,
} from '../patroni.ts';
import { postgresUser, processRef, type RunAs, refState } from '../processes.ts';
import {
  parseInfo,
  REDIS_SENTINEL_BINARY,
  REDIS_SERVER_BINARY,
  redisConfigLines,
  sentinelConfigLines,
  withRedisClient,
} from '../redis.ts';
import { S3RVER_CREDENTIALS, storeServesBucket } from '../s3.ts';
import { ARCHIVE_TIMEOUT_SECONDS, archiveCommand, restoreCommand } from './backup.ts';
import type { ComponentState, LabState } from './state.ts';
import {
  BACKUP_BUCKET,
  type ComponentKind,
  objectStoreOf,
  S3_BUCKET,
  SENTINEL_MASTER,
  targetNodes,
} from './topology.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DAPP_MAIN = join(REPO_ROOT, 'apps/dapp/src/main.ts');
const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.ts', import.meta.url));
const S3_MAIN = fileURLToPath(new URL('../s3-main.ts', import.meta.url));
const CEPH_MAIN = fileURLToPath(new URL('../ceph-main.ts', import.meta.url));

/** The object store's CA, key and certificate (made by `up` before the store starts; see s3-main.ts). */
export function s3TlsPaths(s3: ComponentState): {
  dir: string;
  caPath: string;
  keyPath: string;
  certPath: string;
} {
  const dir = join(s3.dir, 'tls');
  return {
    dir,
    caPath: join(dir, 'ca.crt'),
    keyPath: join(dir, 'server.key'),
    certPath: join(dir, 'server.crt'),
  };
}

/** What it takes to run one component: the command, where, as whom. */
export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  netns?: string;
  runAs?: RunAs;
}

/**
 * How dapp replicas are run. The lab runs the TypeScript sources with Node; a container runtime (an
 * image built from apps/dapp) can take its place by producing another command for the same env.
 */
export interface ReplicaRunner {
  launch(replica: ComponentState, env: NodeJS.ProcessEnv): Pick<LaunchSpec, 'command' | 'args' | 'cwd'>;
}

export const SOURCE_RUNNER: ReplicaRunner = {
  launch: () => ({ command: process.execPath, args: ['--import', 'tsx', DAPP_MAIN], cwd: REPO_ROOT }),
};

const byKind = (state: LabState, kind: ComponentKind) =>
  Object.values(state.components).filter((c) => c.kind === kind);

function netnsOf(state: LabState, component: ComponentState): string | undefined {
  if (component.node === 'host') return undefined;
  if (component.node === 'region') return state.network?.region.netns;
  return state.network?.zones.flatMap((z) => z.nodes).find((n) => n.name === component.node)?.netns;
}

/** The Patroni cluster's name (its keys in etcd live under it). */
export const patroniScope = (state: LabState) => `dalp-lab-${state.id}`;
const patroniConfigPath = (c: ComponentState) => join(c.dir, 'patroni.yml');
export const patroniDataDir = (c: ComponentState) => join(c.dir, 'data');
const statsSocket = (c: ComponentState) => join(c.dir, 'admin.sock');

/** The PostgreSQL member that answers Patroni's `/primary` now; throws when none does. */
export async function postgresPrimary(state: LabState): Promise<ComponentState> {
  for (const c of byKind(state, 'postgres')) {
    const answer = await patroniGet(`http://${c.host}:${c.adminPort}/primary`).catch(() => undefined);
    if (answer?.status === 200) return c;
  }
  throw new Error('no PostgreSQL member answers as primary');
}

/** URL of the application's database (`dalp` role), or with `admin` the superuser's `postgres` database. */
export function databaseUrl(state: LabState, host: string, port: number, admin = false): string {
  const { secrets } = state;
  return admin
    ? `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@${host}:${port}/postgres`
    : `postgres://dalp:${encodeURIComponent(secrets.databasePassword)}@${host}:${port}/dalp`;
}

/**
 * The file the dapp replicas read the `dalp` role's password from (DATABASE_PASSWORD_FILE), as pods read
 * a Secret volume: one file for every replica, so a rotation writes it once.
 */
export const databasePasswordFile = (state: LabState) => join(state.dir, 'database-password');

/**
 * Writes the password file as the kubelet updates a Secret volume: a new file renamed over the old one,
 * so a replica reading it never sees half a password.
 */
export function writeDatabasePasswordFile(state: LabState, password: string): void {
  const path = databasePasswordFile(state);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${password}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function s3Endpoint(state: LabState): string {
  const s3 = state.components.s3!;
  return `http://${s3.host}:${s3.port}`;
}

/** The environment of a dapp replica: production mode, every dependency external (docs/configuration.md). */
export function dappEnv(state: LabState, replica: ComponentState): NodeJS.ProcessEnv {
  const endpoint = state.components['db-endpoint']!;
  const { timings } = state;
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(replica.port),
    HOST: replica.host,
    LOG_LEVEL: 'info',
    DALP_DATA_DIR: replica.dir,
    DALP_BOOTSTRAP_ADMIN_KEY: state.secrets.adminKey,
    MIGRATE_ON_START: 'true',
    // The password comes from the shared file (rotated in place by the credential-rotation drill); a
    // replica named in the fixedDatabasePassword setting has it fixed in its URL instead, as a Deployment
    // that copied the secret into an environment variable would.
    ...(state.settings?.fixedDatabasePassword?.includes(replica.name)
      ? { DATABASE_URL: databaseUrl(state, endpoint.host, endpoint.port) }
      : {
          DATABASE_URL: `postgres://dalp@${endpoint.host}:${endpoint.port}/dalp`,
          DATABASE_PASSWORD_FILE: databasePasswordFile(state),
        }),
    CACHE_SENTINELS: byKind(state, 'sentinel')
      .map((s) => `${s.host}:${s.port}`)
      .join(','),
    CACHE_SENTINEL_MASTER: SENTINEL_MASTER,
    CACHE_PASSWORD: state.secrets.redisPassword,
    OBJECT_STORE_DRIVER: 's3',
    S3_ENDPOINT: s3Endpoint(state),
    S3_REGION: 'us-east-1',
    S3_BUCKET,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    SHUTDOWN_DRAIN_DELAY_MS: String(timings.drainDelayMs),
    SHUTDOWN_TIMEOUT_MS: String(timings.shutdownTimeoutMs),
  };
}

function ensureDir(path: string, owner?: RunAs): void {
  mkdirSync(path, { recursive: true, mode: owner ? 0o700 : 0o755 });
  if (owner) chownSync(path, owner.uid, owner.gid);
}

/** Writes a configuration file (0600, owned by the server's user); `once` keeps one the server rewrote. */
function writeConfig(path: string, text: string, owner?: RunAs, once = false): void {
  if (once && existsSync(path)) return;
  writeFileSync(path, text, { mode: 0o600 });
  if (owner) chownSync(path, owner.uid, owner.gid);
}

function lbFrontends(state: LabState): Frontend[] {
  const lb = state.components.lb!;
  const endpoint = state.components['db-endpoint']!;
  return [
    {
      name: 'lb',
      kind: 'http',
      bind: lb.host,
      port: lb.port,
      backends: byKind(state, 'dapp').map((d) => ({ name: d.name, host: d.host, port: d.port })),
      retries: state.settings?.loadBalancerRetries !== false,
    },
    {
      name: 'db-endpoint',
      kind: 'postgres',
      bind: endpoint.host,
      port: endpoint.port,
      backends: byKind(state, 'postgres').map((p) => ({
        name: p.name,
        host: p.host,
        port: p.port,
        checkPort: p.adminPort!,
      })),
    },
  ];
}

/** Writes what the component needs on disk and returns how to launch it. */
export function prepare(state: LabState, component: ComponentState, runner = SOURCE_RUNNER): LaunchSpec {
  const netns = netnsOf(state, component);
  const base = { env: { PATH: process.env.PATH }, cwd: component.dir, netns };
  switch (component.kind) {
    case 'etcd': {
      ensureDir(component.dir);
      const members = byKind(state, 'etcd').map((e) => `${e.name}=http://${e.host}:${e.adminPort}`);
      return {
        ...base,
        command: ETCD_BINARY,
        args: etcdArgs({
          name: component.name,
          dataDir: join(component.dir, 'data'),
          host: component.host,
          clientPort: component.port,
          peerPort: component.adminPort!,
          initialCluster: members,
          clusterToken: `dalp-lab-${state.id}`,
        }),
      };
    }
    case 'postgres': {
      const owner = postgresUser();
      ensureDir(component.dir, owner);
      const { timings } = state;
      const config = patroniConfig({
        name: component.name,
        host: component.host,
        pgPort: component.port,
        restPort: component.adminPort!,
        dir: component.dir,
        dataDir: patroniDataDir(component),
        scope: patroniScope(state),
        etcdHosts: byKind(state, 'etcd').map((e) => `${e.host}:${e.port}`),
        credentials: {
          password: state.secrets.postgresPassword,
          replicationPassword: state.secrets.replicationPassword,
        },
        settings: {
          synchronous: true,
          synchronousStrict: false,
          ttl: timings.patroniTtl,
          loopWait: timings.patroniLoopWait,
          retryTimeout: timings.patroniRetryTimeout,
        },
        clientNetwork: state.network!.block,
        parameters: {
          // A primary cut off by a partition demotes itself, and its shutdown waits for its WAL senders
          // to reach replicas it can no longer reach (60 s by default), so it ended only after the heal.
          // Seen in the lab tests then: the old leader's WAL ended past the new timeline's fork point, no
          // pg_rewind ran, and it never streamed again. 5 s ends the demotion within the partition.
          wal_sender_timeout: '5s',
          // Continuous archiving to pgBackRest (lab/backup.ts); only the primary archives.
          archive_mode: 'on',
          archive_timeout: ARCHIVE_TIMEOUT_SECONDS,
        },
        localParameters: { archive_command: archiveCommand(state, component) },
        recoveryConf: { restore_command: restoreCommand(state, component) },
      });
      writeConfig(patroniConfigPath(component), JSON.stringify(config, null, 2), owner);
      return {
        ...base,
        ...patroniCommand(component.dir, patroniConfigPath(component), owner),
        env: { ...base.env, HOME: component.dir },
        runAs: owner,
      };
    }
    case 'redis': {
      ensureDir(component.dir);
      const [first] = byKind(state, 'redis');
      const lines = redisConfigLines({
        port: component.port,
        bind: component.host,
        dir: component.dir,
        password: state.secrets.redisPassword,
        replicaOf:
          first && first.name !== component.name ? { host: first.host, port: first.port } : undefined,
      });
      // Sentinel rewrites a server's replicaof line on failover: a restarted server keeps its file.
      const path = join(component.dir, 'redis.conf');
      writeConfig(path, `${lines.join('\n')}\n`, undefined, true);
      return { ...base, command: REDIS_SERVER_BINARY, args: [path] };
    }
    case 'sentinel': {
      ensureDir(component.dir);
      const [first] = byKind(state, 'redis');
      const lines = sentinelConfigLines({
        port: component.port,
        bind: component.host,
        dir: component.dir,
        masterName: SENTINEL_MASTER,
        primary: { host: first!.host, port: first!.port },
        quorum: Math.min(2, state.shape.zones),
        downAfterMs: state.timings.sentinelDownAfterMs,
        failoverTimeoutMs: state.timings.sentinelFailoverTimeoutMs,
        password: state.secrets.redisPassword,
      });
      const path = join(component.dir, 'sentinel.conf');
      writeConfig(path, `${lines.join('\n')}\n`, undefined, true);
      return { ...base, command: REDIS_SENTINEL_BINARY, args: [path] };
    }
    case 'lb':
    case 'db-endpoint': {
      ensureDir(component.dir);
      const frontends = lbFrontends(state).filter((f) => f.name === component.name);
      const { timings } = state;
      // The load balancer checks as the readiness probe does; the database endpoint as fast as the
      // existing failover tests (a managed writer endpoint's own switch-over time is its provider's).
      const checks =
        component.kind === 'lb'
          ? {
              intervalMs: timings.readinessPeriodMs,
              fall: timings.readinessFailureThreshold,
              rise: timings.readinessSuccessThreshold,
              timeoutMs: timings.readinessTimeoutMs,
            }
          : FAST_CHECKS;
      const text = renderHaproxyConfig(
        frontends.map((frontend) => ({ frontend, port: frontend.port! })),
        statsSocket(component),
        checks,
      );
      const path = join(component.dir, 'haproxy.cfg');
      writeConfig(path, text);
      return { ...base, command: HAPROXY_BINARY, args: ['-f', path] };
    }
    case 's3': {
      ensureDir(join(component.dir, 'data'));
      const tls = s3TlsPaths(component);
      return {
        ...base,
        command: process.execPath,
        args: [
          '--import',
          'tsx',
          objectStoreOf(state.shape) === 'ceph-rgw' ? CEPH_MAIN : S3_MAIN,
          join(component.dir, 'data'),
          component.host,
          String(component.port),
          String(component.adminPort),
          tls.keyPath,
          tls.certPath,
          S3_BUCKET,
          BACKUP_BUCKET,
        ],
        cwd: REPO_ROOT,
      };
    }
    case 'dapp': {
      ensureDir(component.dir);
      // Written once (a lab from before the file existed gets it here); a rotation replaces it in place.
      if (!existsSync(databasePasswordFile(state)))
        writeDatabasePasswordFile(state, state.secrets.databasePassword);
      const env = dappEnv(state, component);
      return { ...base, ...runner.launch(component, env), env };
    }
    case 'supervisor':
      ensureDir(component.dir);
      return {
        ...base,
        command: process.execPath,
        args: ['--import', 'tsx', SUPERVISOR_MAIN, state.dir],
        cwd: REPO_ROOT,
      };
  }
}

// ---------------------------------------------------------------------------------------------------
// Live reading: each component asked over its own protocol, from the host.

export type Health = 'healthy' | 'degraded' | 'unhealthy' | 'down' | 'stopped' | 'powered-off';

export interface Observation {
  role: string;
  health: Exclude<Health, 'down' | 'stopped' | 'powered-off'>;
  /** One short line: what the component says about itself (replication, servers up, its primary). */
  detail?: string;
}

const redisClient = (c: ComponentState, password?: string) => ({
  host: c.host,
  port: c.port,
  password,
  connectTimeout: 1_000,
  commandTimeout: 1_500,
});

export async function redisRole(c: ComponentState, password: string): Promise<Record<string, string>> {
  return withRedisClient(redisClient(c, password), async (client) =>
    parseInfo(await client.info('replication')),
  );
}

/** The primary's address according to one Sentinel. */
export async function sentinelPrimary(c: ComponentState): Promise<string | undefined> {
  const reply = (await withRedisClient(redisClient(c), (client) =>
    client.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER),
  )) as [string, string] | null;
  return reply ? `${reply[0]}:${reply[1]}` : undefined;
}

/** `SENTINEL master` as a map: num-slaves, num-other-sentinels, flags... */
export async function sentinelMaster(c: ComponentState): Promise<Map<string, string>> {
  const flat = (await withRedisClient(redisClient(c), (client) =>
    client.call('SENTINEL', 'master', SENTINEL_MASTER),
  )) as string[];
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  return fields;
}

export async function haproxyServers(c: ComponentState): Promise<ServerState[]> {
  return parseStat(await haproxyCommand(statsSocket(c), 'show stat'));
}

/** Sends a runtime command to a HAProxy component (`set server lb/dapp-a-1 state maint`). */
export async function haproxyRuntime(c: ComponentState, command: string): Promise<string> {
  return haproxyCommand(statsSocket(c), command);
}

const nameAt = (state: LabState, address: string | undefined) =>
  Object.values(state.components).find((c) => `${c.host}:${c.port}` === address)?.name ?? address;

/** The nodes a partition cuts off now. */
export function partitionedNodes(state: LabState): Set<string> {
  const network = state.network;
  if (!network) return new Set();
  return new Set(state.partitions.flatMap((t) => targetNodes(network, t) ?? []).map((n) => n.name));
}

/** Whether the component's process runs on a powered node that no partition cuts off. */
export function reachable(state: LabState, c: ComponentState, cut = partitionedNodes(state)): boolean {
  return !state.poweredOff.includes(c.node) && !cut.has(c.node) && refState(c.process) !== 'gone';
}

/** Members of c's kind, other than c, that run on a powered, unpartitioned node. */
function reachablePeers(state: LabState, c: ComponentState): number {
  const cut = partitionedNodes(state);
  return byKind(state, c.kind).filter((p) => p.name !== c.name && reachable(state, p, cut)).length;
}

/**
 * The PostgreSQL member the DCS names leader (Patroni's leader key), read linearizably through the first
 * reachable etcd member that can serve it; undefined when none can, or when no member holds the key.
 */
export async function dcsLeader(state: LabState): Promise<string | undefined> {
  const cut = partitionedNodes(state);
  for (const etcd of byKind(state, 'etcd').filter((e) => reachable(state, e, cut))) {
    try {
      return await etcdGet(`http://${etcd.host}:${etcd.port}`, patroniLeaderKey(patroniScope(state)));
    } catch {
      // This member has no quorum or does not answer: ask the next one.
    }
  }
  return undefined;
}

/** What the component says about itself now; throws when it does not answer. */
export async function observe(state: LabState, c: ComponentState): Promise<Observation> {
  switch (c.kind) {
    case 'etcd': {
      const url = `http://${c.host}:${c.port}`;
      const leader = await etcdIsLeader(url);
      const healthy = await etcdHealthy(url).catch(() => false);
      return { role: leader ? 'leader' : 'follower', health: healthy ? 'healthy' : 'unhealthy' };
    }
    case 'postgres': {
      const { body } = await patroniGet<PatroniNodeView>(`http://${c.host}:${c.adminPort}/patroni`);
      const primary = body.role === 'primary' || body.role === 'master';
      let role = primary ? 'primary' : (body.role ?? 'unknown');
      let detail = `timeline ${body.timeline ?? '?'}`;
      let health: Observation['health'] = body.state === 'running' ? 'healthy' : 'unhealthy';
      if (primary) {
        const replicas = body.replication ?? [];
        const streaming = replicas.filter((r) => r.state === 'streaming').length;
        detail += `, ${streaming} streaming (${replicas.filter((r) => r.sync_state === 'sync').length} sync)`;
        // Every other member that runs and can be reached should stream from the primary.
        if (health === 'healthy' && streaming < reachablePeers(state, c)) health = 'degraded';
      } else {
        const cluster = await patroniGet<{ members?: { name: string; role: string }[] }>(
          `http://${c.host}:${c.adminPort}/cluster`,
        ).catch(() => undefined);
        if (cluster?.body.members?.find((m) => m.name === c.name)?.role === 'sync_standby')
          role = 'sync replica';
      }
      return { role, health, detail: `${body.state}, ${detail}` };
    }
    case 'redis': {
      const info = await redisRole(c, state.secrets.redisPassword);
      if (info.role === 'master') {
        return { role: 'primary', health: 'healthy', detail: `${info.connected_slaves ?? 0} replicas` };
      }
      const up = info.master_link_status === 'up';
      return {
        role: 'replica',
        health: up ? 'healthy' : 'degraded',
        detail: `of ${nameAt(state, `${info.master_host}:${info.master_port}`)}, link ${info.master_link_status}`,
      };
    }
    case 'sentinel': {
      const fields = await sentinelMaster(c);
      const primary = `${fields.get('ip')}:${fields.get('port')}`;
      return {
        role: 'sentinel',
        health: (fields.get('flags') ?? '').includes('down') ? 'degraded' : 'healthy',
        detail: `primary ${nameAt(state, primary)}, ${fields.get('num-other-sentinels')} other sentinels`,
      };
    }
    case 'lb':
    case 'db-endpoint': {
      const servers = (await haproxyServers(c)).filter((s) => s.frontend === c.name);
      const up = servers.filter((s) => s.status.startsWith('UP'));
      const role = c.kind === 'lb' ? 'load balancer' : 'database endpoint';
      const detail =
        c.kind === 'lb'
          ? `${up.length}/${servers.length} replicas in service`
          : `to ${up.map((s) => s.server).join(', ') || 'nobody'}`;
      return { role, health: up.length > 0 ? 'healthy' : 'unhealthy', detail };
    }
    case 's3': {
      const store = objectStoreOf(state.shape);
      if (!(await storeServesBucket(`http://${c.host}:${c.port}`, S3_BUCKET))) {
        return { role: 'object store', health: 'unhealthy', detail: `${store}, no bucket ${S3_BUCKET}` };
      }
      return {
        role: 'object store',
        health: 'healthy',
        detail: store === 'ceph-rgw' ? `${store}, ${S3_BUCKET} keeps versions` : store,
      };
    }
    case 'dapp': {
      const response = await fetch(`http://${c.host}:${c.port}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json().catch(() => ({}))) as { dependencies?: Record<string, unknown> };
      const checks = Object.entries(body.dependencies ?? {}).map(([k, v]) => `${k} ${String(v)}`);
      return {
        role: 'replica',
        health: response.ok
          ? checks.some((x) => / degraded$/.test(x))
            ? 'degraded'
            : 'healthy'
          : 'unhealthy',
        detail: checks.join(', ') || `readyz ${response.status}`,
      };
    }
    case 'supervisor':
      return { role: 'supervisor', health: 'healthy' };
  }
}

/** Whether a freshly started component is ready to be used. */
export async function ready(state: LabState, c: ComponentState): Promise<boolean> {
  switch (c.kind) {
    case 'etcd':
      return etcdHealthy(`http://${c.host}:${c.port}`);
    case 'postgres':
      // 200 once PostgreSQL runs under this Patroni, whatever its role.
      return (await patroniGet(`http://${c.host}:${c.adminPort}/health`)).status === 200;
    case 'redis':
      return withRedisClient(
        redisClient(c, state.secrets.redisPassword),
        async (client) => (await client.ping()) === 'PONG',
      );
    case 'sentinel':
      return (await sentinelPrimary(c)) !== undefined;
    case 'lb':
    case 'db-endpoint':
      return /^Pid: /m.test(await haproxyRuntime(c, 'show info'));
    case 's3':
      // The documents bucket exists (the RADOS Gateway answers before its first start has made it).
      return storeServesBucket(`http://${c.host}:${c.port}`, S3_BUCKET);
    case 'dapp':
      return (await fetch(`http://${c.host}:${c.port}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
    case 'supervisor':
      return true;
  }
}

/**
 * The processes a component is made of: its own, and for PostgreSQL the postmaster, which Patroni
 * starts in a session of its own (only when its PID file names a live postgres of this data directory).
 */
export function extraProcesses(c: ComponentState): { pid: number; startTime: number }[] {
  if (c.kind !== 'postgres') return [];
  const pid = postmasterPid(patroniDataDir(c));
  if (pid === undefined) return [];
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(patroniDataDir(c))) return [];
  } catch {
    return [];
  }
  const ref = processRef(pid);
  return ref ? [ref] : [];
}
