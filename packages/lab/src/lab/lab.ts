// The programmatic handle on a lab: start one (`Lab.start`) or attach to a running one by its
// directory (`Lab.attach`); read it live (`status`, `roles`), break it with the fault primitives, read
// its logs, take it down. The `dalp lab` command and the drills use exactly these functions.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { ServerState } from '../haproxy.ts';
import { TIMED_OUT, waitFor, withTimeout } from '../processes.ts';
import { S3RVER_CREDENTIALS } from '../s3.ts';
import {
  type ArchiveLag,
  type BackupType,
  type BaseBackup,
  backupInfo,
  pgbackrestConfigPath,
  readArchiveLag,
  takeBackup,
} from './backup.ts';
import {
  databasePasswordFile,
  databaseUrl,
  type Health,
  haproxyServers,
  observe,
  postgresPrimary,
  redisRole,
  s3Endpoint,
  sentinelPrimary,
  writeDatabasePasswordFile,
} from './components.ts';
import { LabUsageError } from './errors.ts';
import {
  killComponent,
  launch,
  processState,
  setInService,
  signalComponent,
  stopComponent,
  terminateReplica,
  waitReady,
} from './lifecycle.ts';
import { formatLogLine, type LogLine, mergeLogs } from './logs.ts';
import { applyPartitions, destroyNetwork, killNamespace, setNodeLink } from './network.ts';
import { type BucketRestore, bucketVersioning, deleteEveryObject, restoreBucketToTime } from './objects.ts';
import { destroyDatabase, type RestoredInstance, rebuildCluster, restoreInstance } from './restore.ts';
import {
  type ComponentState,
  type LabSettings,
  type LabState,
  readState,
  statePath,
  updateState,
} from './state.ts';
import { releaseBlock } from './subnets.ts';
import {
  type ComponentKind,
  type ObjectStoreKind,
  objectStoreOf,
  S3_BUCKET,
  SENTINEL_MASTER,
  targetNodes,
} from './topology.ts';
import { ADMIN_KEY_FILE, assertRoot, bringUp, DEFAULT_DIR, type StartOptions } from './up.ts';

export const STATUS_VERSION = 1;

/** One row of `dalp lab status`. */
export interface ComponentStatus {
  name: string;
  kind: ComponentKind;
  zone: string | null;
  node: string;
  /** Read live: primary / replica / sync replica / leader / follower / sentinel...; null when unknown. */
  role: string | null;
  address: string;
  pid: number | null;
  health: Health;
  detail: string;
  /** dapp replicas: restarts by the supervisor so far. */
  restarts?: number;
}

export interface LabEndpoints {
  /** The load balancer in front of the dapp replicas. */
  api: string;
  /** The database endpoint that follows the primary (the application's role; contains its password). */
  database: string;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  sentinels: string[];
  sentinelMaster: string;
  /** The bootstrap admin API key and the file that holds it. */
  adminKey: string;
  adminKeyFile: string;
}

export interface LabStatus {
  version: number;
  id: string;
  dir: string;
  phase: LabState['phase'];
  block: string | null;
  endpoints: { api: string; database: string; s3: string; adminKeyFile: string } | null;
  partitions: string[];
  poweredOff: string[];
  components: ComponentStatus[];
  /**
   * The continuous backup: last base backup, archive lag, oldest restorable point (null: no backup set
   * up); only when asked for (`dalp lab status` does).
   */
  backup?: BackupStatus | null;
}

/** `dalp lab status`'s backup section; a part that could not be read says why in `errors`. */
export interface BackupStatus {
  lastBackup: BaseBackup | null;
  backups: number;
  oldestRestorable: string | null;
  archive: ArchiveLag | null;
  errors: string[];
}

/** What the data services say right now, each read from the services themselves. */
export interface LabRoles {
  /** The PostgreSQL member that answers as primary (more than one during a split brain). */
  postgresPrimaries: string[];
  /** The Redis server that says role:master and the one most Sentinels name. */
  redisPrimaries: string[];
  sentinelsName: string | undefined;
  etcdLeader: string | undefined;
  /** The members the database endpoint routes to now (one, or none during a failover). */
  databaseEndpointTo: string[];
  /** The dapp replicas the load balancer serves now (status UP). */
  inService: string[];
}

const OBSERVE_TIMEOUT_MS = 3_000;

/** Why a component did not answer, in a few words ("ECONNREFUSED", "no answer"). */
function failure(error: Error): string {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code) return code;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer';
  return error.message.split('\n')[0] ?? 'error';
}

export class Lab {
  private constructor(private current: LabState) {}

  /** Brings a lab up (or returns the one already running in `dir` with the same shape). */
  static async start(options: StartOptions = {}): Promise<Lab> {
    const { state } = await bringUp(options);
    return new Lab(state);
  }

  /** The lab described by `dir`'s state file. */
  static attach(dir: string = DEFAULT_DIR): Lab {
    const state = readState(resolve(dir));
    if (!state) throw new LabUsageError(`no lab in ${resolve(dir)} (start one with "dalp lab up")`);
    return new Lab(state);
  }

  get id(): string {
    return this.current.id;
  }
  get dir(): string {
    return this.current.dir;
  }
  /** The state as last read; `refresh()` reads it again (the supervisor updates PIDs). */
  get state(): LabState {
    return this.current;
  }
  refresh(): LabState {
    const state = readState(this.current.dir);
    if (!state) throw new LabUsageError(`the lab in ${this.current.dir} is gone`);
    this.current = state;
    return state;
  }

  endpoints(): LabEndpoints {
    const state = this.current;
    const lb = state.components.lb!;
    const endpoint = state.components['db-endpoint']!;
    return {
      api: `http://${lb.host}:${lb.port}`,
      database: databaseUrl(state, endpoint.host, endpoint.port),
      s3: {
        endpoint: s3Endpoint(state),
        bucket: S3_BUCKET,
        region: 'us-east-1',
        accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
        secretAccessKey: S3RVER_CREDENTIALS.secretAccessKey,
      },
      sentinels: this.ofKind('sentinel').map((s) => `${s.host}:${s.port}`),
      sentinelMaster: SENTINEL_MASTER,
      adminKey: state.secrets.adminKey,
      adminKeyFile: join(state.dir, ADMIN_KEY_FILE),
    };
  }

  components(): ComponentState[] {
    return Object.values(this.refresh().components);
  }

  ofKind(kind: ComponentKind): ComponentState[] {
    return Object.values(this.current.components).filter((c) => c.kind === kind);
  }

  /** A component by name; a usage error naming the valid ones otherwise. */
  component(name: string): ComponentState {
    const state = this.refresh();
    const found = state.components[name];
    if (!found) {
      throw new LabUsageError(
        `unknown component "${name}"; this lab has: ${Object.keys(state.components).join(', ')}`,
      );
    }
    return found;
  }

  /** The nodes a zone or node name stands for; a usage error naming the valid targets otherwise. */
  private nodesOf(target: string) {
    const network = this.refresh().network;
    const nodes = network ? targetNodes(network, target) : undefined;
    if (!network || !nodes) {
      const zones = network?.zones.map((z) => z.name) ?? [];
      const all = network?.zones.flatMap((z) => z.nodes.map((n) => n.name)) ?? [];
      throw new LabUsageError(
        `unknown zone or node "${target}"; zones: ${zones.join(', ')}; nodes: ${all.join(', ')}`,
      );
    }
    return { network, nodes };
  }

  private poweredOff(c: ComponentState): boolean {
    return this.current.poweredOff.includes(c.node);
  }

  // -------------------------------------------------------------------------------------------------
  // Reading it live

  /**
   * Every component read live; with `backup`, the backup section too (pgBackRest's info takes seconds:
   * the health waits and the drills' topology snapshots leave it out).
   */
  async status(options: { backup?: boolean } = {}): Promise<LabStatus> {
    const state = this.refresh();
    const lb = state.components.lb;
    // The stats socket answers within 2 s or fails (haproxyCommand's own bound).
    const lbServers: ServerState[] =
      lb && processState(lb) === 'running' ? await haproxyServers(lb).catch(() => []) : [];
    const inLb = (name: string) => lbServers.find((s) => s.frontend === 'lb' && s.server === name);
    const rows = await Promise.all(
      Object.values(state.components).map(async (c): Promise<ComponentStatus> => {
        const row: ComponentStatus = {
          name: c.name,
          kind: c.kind,
          zone: c.zone ?? null,
          node: c.node,
          role: null,
          address: c.port ? `${c.host}:${c.port}` : c.host,
          pid: null,
          health: 'down',
          detail: '',
        };
        if (c.kind === 'dapp') row.restarts = c.restarts ?? 0;
        const rebuilt = c.rebuilds ? `rebuilt from the primary ${c.rebuilds}x` : '';
        const lbState = c.kind === 'dapp' ? inLb(c.name)?.status : undefined;
        const lbNote = lbState ? `lb ${lbState}` : '';
        if (this.poweredOff(c)) return { ...row, health: 'powered-off', detail: lbNote };
        const running = processState(c);
        if (running === 'gone') {
          const waiting = c.nextStartAt && c.nextStartAt > Date.now();
          const note = waiting
            ? `back-off, restart in ${Math.ceil((c.nextStartAt! - Date.now()) / 1000)} s`
            : '';
          return { ...row, detail: [note, lbNote].filter(Boolean).join('; ') };
        }
        row.pid = c.process!.pid;
        if (running === 'stopped')
          return { ...row, health: 'stopped', detail: ['SIGSTOP', lbNote].filter(Boolean).join('; ') };
        const seen = await withTimeout(observe(state, c), OBSERVE_TIMEOUT_MS).catch((error: Error) => error);
        if (seen === TIMED_OUT || seen instanceof Error) {
          const why = seen === TIMED_OUT ? 'no answer' : failure(seen);
          return { ...row, health: 'unhealthy', detail: [why, lbNote].filter(Boolean).join('; ') };
        }
        return {
          ...row,
          role: seen.role,
          health: seen.health,
          detail: [seen.detail, rebuilt, lbNote].filter(Boolean).join('; '),
        };
      }),
    );
    const endpoints = state.network ? this.endpoints() : undefined;
    return {
      version: STATUS_VERSION,
      id: state.id,
      dir: state.dir,
      phase: state.phase,
      block: state.network?.block ?? null,
      endpoints: endpoints
        ? {
            api: endpoints.api,
            // The status is printed and kept as evidence: the password stays out of it.
            database: endpoints.database.replace(/:[^:@/]*@/, ':***@'),
            s3: endpoints.s3.endpoint,
            adminKeyFile: endpoints.adminKeyFile,
          }
        : null,
      partitions: state.partitions,
      poweredOff: state.poweredOff,
      components: rows,
      ...(options.backup ? { backup: await this.backupStatus() } : {}),
    };
  }

  /** Reads pgBackRest's info and the primary's pg_stat_archiver; null for a lab without backups. */
  async backupStatus(): Promise<BackupStatus | null> {
    const state = this.current;
    if (!existsSync(pgbackrestConfigPath(state))) return null;
    const errors: string[] = [];
    const why = (error: Error) => error.message.split('\n').slice(-1)[0] ?? error.message;
    const [info, archive] = await Promise.all([
      backupInfo(state).catch((error: Error) => {
        errors.push(`pgbackrest info: ${why(error)}`);
        return undefined;
      }),
      postgresPrimary(state)
        .then((primary) => readArchiveLag(state, primary))
        .catch((error: Error) => {
          errors.push(`archive lag: ${why(error)}`);
          return undefined;
        }),
    ]);
    return {
      lastBackup: info?.backups.at(-1) ?? null,
      backups: info?.backups.length ?? 0,
      oldestRestorable: info?.oldestRestorable ?? null,
      archive: archive ?? null,
      errors,
    };
  }

  /** The archive lag on the current primary now (pg_stat_archiver and the WAL position). */
  async archiveLag(): Promise<ArchiveLag> {
    const state = this.refresh();
    // Patroni's REST API can miss its 1.5 s bound on a busy machine: ask for a while.
    return waitFor(
      async () => readArchiveLag(state, await postgresPrimary(state)),
      30_000,
      'the archive lag',
      {
        intervalMs: 500,
      },
    );
  }

  /** The lab's object store, its software and an S3 client with the lab's key pair. */
  objectStore(): { kind: ObjectStoreKind; client: S3Client; bucket: string } {
    const { s3 } = this.endpoints();
    return {
      kind: this.objectStoreKind(),
      bucket: s3.bucket,
      client: new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        maxAttempts: 5,
      }),
    };
  }

  /** The object store's software, read from the lab's shape (no client made). */
  objectStoreKind(): ObjectStoreKind {
    return objectStoreOf(this.current.shape);
  }

  /** Runs `use` with a client of the documents bucket, destroyed afterwards. */
  private async withDocumentsBucket<T>(use: (client: S3Client, bucket: string) => Promise<T>): Promise<T> {
    const { client, bucket } = this.objectStore();
    try {
      return await use(client, bucket);
    } finally {
      client.destroy();
    }
  }

  /** Deletes every document object (the restore drills' second fault); returns how many. */
  async loseDocuments(): Promise<number> {
    return this.withDocumentsBucket(deleteEveryObject);
  }

  /** Brings the documents bucket back to how it was at `at`, from its versions (ceph-rgw only). */
  async restoreDocuments(at: Date, options: { removeNewer?: boolean } = {}): Promise<BucketRestore> {
    const kind = this.objectStoreKind();
    if (kind !== 'ceph-rgw')
      throw new LabUsageError(
        `the lab's ${kind} keeps no object versions: start it with --object-store ceph-rgw`,
      );
    return this.withDocumentsBucket((client, bucket) => restoreBucketToTime(client, bucket, at, options));
  }

  /** 'Enabled' when the documents bucket keeps versions (ceph-rgw); s3rver has no versioning at all. */
  async documentsVersioning(): Promise<string> {
    if (this.objectStoreKind() !== 'ceph-rgw') return 'not supported by s3rver';
    return this.withDocumentsBucket(bucketVersioning);
  }

  /** A lost database: every PostgreSQL node killed and its data directory removed (restore drills). */
  async destroyDatabase(): Promise<string[]> {
    return destroyDatabase(this.refresh());
  }

  /** Restores the backups to `target` (or the end of the archive) into an isolated PostgreSQL. */
  async restoreInstance(target?: Date): Promise<RestoredInstance> {
    return restoreInstance(this.refresh(), target);
  }

  /** Restores the lab's own cluster to the end of the archive after `destroyDatabase`; waits until healthy. */
  async rebuildDatabase(timeoutMs = 300_000): Promise<void> {
    await rebuildCluster(this.refresh(), async (name) => {
      await launch(this.current, name);
      await waitReady(this.current, name, 120_000);
    });
    this.refresh();
    await this.waitForHealthy(timeoutMs);
  }

  /** Takes a base backup of the current primary now (`dalp lab backup`); returns the new backup. */
  async backup(type: BackupType = 'full'): Promise<BaseBackup> {
    const state = this.refresh();
    const primary = await postgresPrimary(state);
    await takeBackup(state, primary, type);
    const latest = (await backupInfo(state)).backups.at(-1);
    if (!latest) throw new Error('pgbackrest took a backup but info lists none');
    return latest;
  }

  async roles(): Promise<LabRoles> {
    const state = this.refresh();
    const live = (kind: ComponentKind) =>
      this.ofKind(kind).filter((c) => !this.poweredOff(c) && processState(c) === 'running');
    const ask = <T>(promise: Promise<T>) =>
      withTimeout(promise, OBSERVE_TIMEOUT_MS)
        .then((v) => (v === TIMED_OUT ? undefined : v))
        .catch(() => undefined);
    const postgres = await Promise.all(
      live('postgres').map(async (c) =>
        (await ask(observe(state, c)))?.role === 'primary' ? c.name : undefined,
      ),
    );
    const redis = await Promise.all(
      live('redis').map(async (c) =>
        (await ask(redisRole(c, state.secrets.redisPassword)))?.role === 'master' ? c.name : undefined,
      ),
    );
    const named = await Promise.all(live('sentinel').map((s) => ask(sentinelPrimary(s))));
    const votes = new Map<string, number>();
    for (const address of named) if (address) votes.set(address, (votes.get(address) ?? 0) + 1);
    const top = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const etcd = await Promise.all(
      live('etcd').map(async (c) => ((await ask(observe(state, c)))?.role === 'leader' ? c.name : undefined)),
    );
    const byAddress = (address: string | undefined) =>
      Object.values(state.components).find((c) => `${c.host}:${c.port}` === address)?.name;
    const up = async (name: 'lb' | 'db-endpoint') => {
      const c = state.components[name];
      const servers = c && processState(c) === 'running' ? ((await ask(haproxyServers(c))) ?? []) : [];
      return servers.filter((s) => s.frontend === name && s.status.startsWith('UP')).map((s) => s.server);
    };
    const [databaseEndpointTo, inService] = await Promise.all([up('db-endpoint'), up('lb')]);
    return {
      postgresPrimaries: postgres.filter((n): n is string => n !== undefined),
      redisPrimaries: redis.filter((n): n is string => n !== undefined),
      sentinelsName: byAddress(top),
      etcdLeader: etcd.find((n) => n !== undefined),
      databaseEndpointTo,
      inService,
    };
  }

  /** Waits until every component that should run is healthy (powered-off nodes excepted). */
  async waitForHealthy(timeoutMs = 120_000): Promise<LabStatus> {
    return waitFor(
      async () => {
        const status = await this.status();
        const bad = status.components.filter((c) => c.health !== 'healthy' && c.health !== 'powered-off');
        if (bad.length > 0)
          throw new Error(
            `not healthy: ${bad.map((c) => `${c.name} (${c.health}${c.detail ? `: ${c.detail}` : ''})`).join(', ')}`,
          );
        return status;
      },
      timeoutMs,
      `lab ${this.id} to be healthy`,
      { intervalMs: 500 },
    );
  }

  /** Waits until `check` holds on the live roles (e.g. a new PostgreSQL primary); returns them. */
  async waitForRoles(
    check: (roles: LabRoles) => boolean,
    timeoutMs = 60_000,
    what = 'the roles',
  ): Promise<LabRoles> {
    return waitFor(
      async () => {
        const roles = await this.roles();
        return check(roles) ? roles : undefined;
      },
      timeoutMs,
      what,
      { intervalMs: 250 },
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Fault primitives

  private assertPowered(c: ComponentState): void {
    if (this.poweredOff(c)) throw new LabUsageError(`${c.name} is on node ${c.node}, which is powered off`);
  }

  /** SIGKILL. A dapp replica is restarted by the supervisor with back-off; anything else stays down. */
  async kill(name: string): Promise<void> {
    const c = this.component(name);
    this.assertPowered(c);
    await killComponent(c);
  }

  /** SIGSTOP: the process hangs (alive, answering nothing). */
  async stop(name: string): Promise<void> {
    const c = this.component(name);
    this.assertPowered(c);
    signalComponent(c, 'SIGSTOP');
  }

  /** SIGCONT: the hung process carries on. */
  async cont(name: string): Promise<void> {
    const c = this.component(name);
    this.assertPowered(c);
    signalComponent(c, 'SIGCONT');
  }

  /**
   * Stops the component cleanly and starts it again with its data. A dapp replica is terminated as a
   * pod is (out of the load balancer, preStop, SIGTERM, grace period) and back in service when ready.
   */
  async restart(name: string): Promise<void> {
    const c = this.component(name);
    this.assertPowered(c);
    if (c.kind === 'supervisor') {
      await stopComponent(c, 5_000);
      await launch(this.current, name);
      return;
    }
    if (c.kind === 'dapp') await this.hold(name, true);
    try {
      if (c.kind === 'dapp') await terminateReplica(this.current, c);
      else await stopComponent(c, 30_000);
      await launch(this.current, name);
      await waitReady(this.current, name, 120_000);
      if (c.kind === 'dapp') await setInService(this.current, name, true);
    } finally {
      if (c.kind === 'dapp') await this.hold(name, false);
    }
    this.refresh();
  }

  private async hold(name: string, held: boolean): Promise<void> {
    this.current = await updateState(this.dir, (s) => {
      s.components[name]!.held = held;
    });
  }

  /** Cuts a zone or node off the network: it keeps running, but reaches nobody and nobody reaches it. */
  async partition(target: string): Promise<void> {
    const { network } = this.nodesOf(target);
    const state = await updateState(this.dir, (s) => {
      if (!s.partitions.includes(target)) s.partitions.push(target);
    });
    this.current = state;
    await applyPartitions(network, state.id, state.partitions);
  }

  /** Restores the links of a partitioned zone or node (of every one without a target). */
  async heal(target?: string): Promise<void> {
    const network = target === undefined ? this.refresh().network : this.nodesOf(target).network;
    if (!network) return;
    const state = await updateState(this.dir, (s) => {
      s.partitions = target === undefined ? [] : s.partitions.filter((p) => p !== target);
    });
    this.current = state;
    await applyPartitions(network, state.id, state.partitions);
  }

  /** Everything in the zone or node dies at once and its links go dark, as when its power is cut. */
  async powerOff(target: string): Promise<void> {
    const { nodes } = this.nodesOf(target);
    this.current = await updateState(this.dir, (s) => {
      for (const node of nodes) if (!s.poweredOff.includes(node.name)) s.poweredOff.push(node.name);
    });
    // Links first: the dying processes' FIN and RST packets must not reach anyone.
    for (const node of nodes) await setNodeLink(node, false);
    await Promise.all(nodes.map((node) => killNamespace(node.netns)));
  }

  /**
   * Powers a zone or node on again, as a rebooted machine: links up, its data services started with
   * the data they had (waiting until each answers); its replicas are started by the supervisor, as a
   * kubelet starts a rebooted node's pods.
   */
  async powerOn(target: string): Promise<void> {
    const { network, nodes } = this.nodesOf(target);
    const names = new Set(nodes.map((n) => n.name));
    for (const node of nodes) await setNodeLink(node, true);
    await applyPartitions(network, this.id, this.current.partitions);
    this.current = await updateState(this.dir, (s) => {
      s.poweredOff = s.poweredOff.filter((n) => !names.has(n));
      for (const c of Object.values(s.components)) {
        if (c.kind === 'dapp' && names.has(c.node)) c.nextStartAt = 0;
      }
    });
    const order: ComponentKind[] = ['etcd', 'postgres', 'redis', 'sentinel'];
    for (const kind of order) {
      const here = this.ofKind(kind).filter((c) => names.has(c.node) && processState(c) === 'gone');
      await Promise.all(
        here.map(async (c) => {
          await launch(this.current, c.name);
          await waitReady(this.current, c.name, 120_000);
        }),
      );
    }
    this.refresh();
  }

  /**
   * Deletes every dapp replica and creates it again from the lab's declarative description (the state
   * file) alone, as re-applying a Deployment does: processes killed, crash-loop history and local files
   * gone, new processes started, each back in the load balancer once ready.
   */
  async recreateReplicas(): Promise<void> {
    const replicas = this.ofKind('dapp').filter((c) => !this.poweredOff(c));
    const names = replicas.map((c) => c.name);
    this.current = await updateState(this.dir, (s) => {
      for (const name of names) s.components[name]!.held = true;
    });
    try {
      await Promise.all(
        replicas.map(async (c) => {
          await setInService(this.current, c.name, false);
          await killComponent(c);
        }),
      );
      this.current = await updateState(this.dir, (s) => {
        for (const name of names) {
          const c = s.components[name]!;
          for (const key of ['restarts', 'backoffMs', 'backoffAt', 'nextStartAt'] as const) delete c[key];
          // A new pod starts with an empty filesystem; the log stays, as a cluster's log collector keeps it.
          for (const entry of readdirSync(c.dir)) {
            if (join(c.dir, entry) !== c.logPath)
              rmSync(join(c.dir, entry), { recursive: true, force: true });
          }
        }
      });
      for (const name of names) await launch(this.current, name);
      await Promise.all(
        names.map(async (name) => {
          await waitReady(this.current, name, 120_000);
          await setInService(this.current, name, true);
        }),
      );
    } finally {
      this.current = await updateState(this.dir, (s) => {
        for (const name of names) s.components[name]!.held = false;
      });
    }
  }

  /**
   * Changes a setting of the running lab (LabSettings) and restarts what it concerns: the load balancer
   * for `loadBalancerRetries`. Weakened settings exist to show that a drill sees what they cost.
   */
  async configure(settings: LabSettings): Promise<void> {
    const fixedBefore = this.current.settings?.fixedDatabasePassword ?? [];
    this.current = await updateState(this.dir, (s) => {
      s.settings = { ...s.settings, ...settings };
    });
    if (settings.loadBalancerRetries !== undefined) await this.restart('lb');
    if (settings.fixedDatabasePassword !== undefined) {
      const fixedNow = settings.fixedDatabasePassword;
      const changed = [...fixedBefore, ...fixedNow].filter(
        (name) => fixedBefore.includes(name) !== fixedNow.includes(name),
      );
      for (const name of new Set(changed)) await this.restart(name);
    }
  }

  /**
   * The `dalp` role's password after a rotation: written to the replicas' password file (in place, as the
   * kubelet updates a Secret volume) and kept in the state, so the lab's own endpoints keep working. The
   * server's side (ALTER ROLE) is the rotation's, done before or after this.
   */
  async setDatabasePassword(password: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{16,}$/.test(password))
      throw new LabUsageError('a lab database password is 16 or more characters of [A-Za-z0-9_-]');
    this.current = await updateState(this.dir, (s) => {
      s.secrets.databasePassword = password;
    });
    writeDatabasePasswordFile(this.current, password);
  }

  /**
   * Runs one statement as the superuser on the PostgreSQL primary (through the database endpoint, which
   * follows it), as an operator or a rotation function does; the superuser's password stays inside.
   */
  async adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<R[]> {
    const state = this.refresh();
    const endpoint = state.components['db-endpoint']!;
    const client = new pg.Client({
      connectionString: databaseUrl(state, endpoint.host, endpoint.port, true),
      connectionTimeoutMillis: 5_000,
      application_name: 'dalp lab',
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Where the replicas read the database password (DATABASE_PASSWORD_FILE). */
  databasePasswordFile(): string {
    return databasePasswordFile(this.current);
  }

  // -------------------------------------------------------------------------------------------------
  // Logs and teardown

  /** One component's log lines, or every component's merged by time. */
  logs(name?: string): LogLine[] {
    const components = name === undefined ? this.components() : [this.component(name)];
    return mergeLogs(components);
  }

  /** One component's log as written, or every log merged by time, each line led by its time and source. */
  formatLogs(name?: string, lines?: number): string {
    const merged = this.logs(name);
    const shown = lines === undefined ? merged : merged.slice(-lines);
    if (name !== undefined) return shown.map((line) => line.text).join('\n');
    const width = Math.max(...this.components().map((c) => c.name.length));
    return shown.map((line) => formatLogLine(line, width)).join('\n');
  }

  async down(): Promise<void> {
    await downLab(this.dir);
  }
}

/**
 * Removes the lab in `dir`: every process (by the PIDs it wrote down, and whatever else runs in its
 * namespaces), its namespaces with their bridges and links, its disks, its block claim and its
 * state. Works on a lab whose `up` crashed half-way; returns false when there was no lab.
 */
export async function downLab(dir: string = DEFAULT_DIR): Promise<boolean> {
  assertRoot();
  const path = resolve(dir);
  const state = readState(path);
  if (!state) return false;
  // The supervisor first, so it restarts nothing meanwhile; it is the one process outside the namespaces.
  const supervisor = state.components.supervisor;
  if (supervisor) await killComponent(supervisor);
  await destroyNetwork(state.id, state.network);
  // A process started outside any namespace by a crashed `up` (none today besides the supervisor).
  for (const c of Object.values(state.components)) {
    if (processState(c) !== 'gone') await killComponent(c);
  }
  rmSync(state.disks, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  releaseBlock(state.id, state.slot);
  rmSync(join(path, ADMIN_KEY_FILE), { force: true });
  rmSync(databasePasswordFile(state), { force: true });
  rmSync(statePath(path), { force: true });
  rmSync(`${statePath(path)}.lock`, { force: true });
  if (state.createdDir) rmSync(path, { recursive: true, force: true });
  return true;
}
