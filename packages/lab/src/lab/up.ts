// `up`: brings a whole lab up, writing the state file before each step so `down` can undo any part of
// it. Components start in dependency order, independent ones at the same time.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { type PatroniNodeView, patroniGet } from '../patroni.ts';
import { waitFor } from '../processes.ts';
import { createCertificates } from '../tls.ts';
import { createStanza, prepareBackups, takeBackup } from './backup.ts';
import {
  databaseUrl,
  postgresPrimary,
  type ReplicaRunner,
  SOURCE_RUNNER,
  s3TlsPaths,
  sentinelMaster,
} from './components.ts';
import { LabUsageError } from './errors.ts';
import { launch, waitReady } from './lifecycle.ts';
import { createNetwork, labNamespaces } from './network.ts';
import {
  type ComponentState,
  type LabState,
  readState,
  STATE_VERSION,
  statePath,
  updateState,
} from './state.ts';
import { claimBlock } from './subnets.ts';
import {
  DEFAULT_TIMINGS,
  type LabShape,
  type LabTimings,
  OBJECT_STORES,
  objectStoreOf,
  planTopology,
  SHAPE_LIMITS,
} from './topology.ts';

export interface StartOptions extends Partial<LabShape> {
  /** The lab's directory: state file and admin key (default `.dalp-lab` in the working directory). */
  dir?: string;
  /** Overrides of the chart-derived timings (tests shorten the restart back-off, for example). */
  timings?: Partial<LabTimings>;
  /** Called as each step completes: what, where, and the seconds since `up` began. */
  onProgress?: (event: ProgressEvent) => void;
  runner?: ReplicaRunner;
}

export interface ProgressEvent {
  step: string;
  component?: string;
  zone?: string;
  node?: string;
  /** Seconds since `up` began. */
  seconds: number;
}

export const DEFAULT_DIR = '.dalp-lab';

/** `up` failed half-way: the message's first line says where, the rest is the component's log tail. */
export class LabUpError extends Error {
  override name = 'LabUpError';
}
export const ADMIN_KEY_FILE = 'admin-api-key';

export function resolveShape(options: Partial<LabShape>): LabShape {
  const shape: LabShape = {
    zones: options.zones ?? 3,
    nodesPerZone: options.nodesPerZone ?? 1,
    replicas: 0,
    objectStore: options.objectStore ?? 's3rver',
  };
  shape.replicas = options.replicas ?? shape.zones;
  if (!OBJECT_STORES.includes(shape.objectStore!)) {
    throw new LabUsageError(
      `the object store must be one of ${OBJECT_STORES.join(', ')}, got ${String(shape.objectStore)}`,
    );
  }
  for (const key of ['zones', 'nodesPerZone', 'replicas'] as const) {
    const [min, max] = SHAPE_LIMITS[key];
    const value = shape[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new LabUsageError(`${key} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  }
  return shape;
}

export function assertRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabUsageError('dalp lab needs root (it creates network namespaces); run it with sudo');
  }
}

function newLabId(): string {
  for (;;) {
    const id = randomBytes(2).toString('hex');
    if (labNamespaces(id).length === 0 && !existsSync(join(tmpdir(), `dalp-lab-${id}`))) return id;
  }
}

const secret = () => randomBytes(18).toString('base64url');

/**
 * Creates the lab's directory and its first state file, refusing when one is there already. Creating
 * the file exclusively makes two `up` in one directory at the same time safe too.
 */
function createState(dir: string, shape: LabShape, timings: LabTimings): LabState {
  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = newLabId();
  const disks = join(tmpdir(), `dalp-lab-${id}`);
  const state: LabState = {
    version: STATE_VERSION,
    id,
    dir,
    disks,
    createdDir,
    phase: 'starting',
    createdAt: new Date().toISOString(),
    shape,
    timings,
    components: {},
    poweredOff: [],
    partitions: [],
    secrets: {
      postgresPassword: secret(),
      replicationPassword: secret(),
      databasePassword: secret(),
      redisPassword: secret(),
      adminKey: `dalp_lab_${secret()}`,
    },
  };
  try {
    writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LabUsageError(`another lab is being started in ${dir}`);
    }
    throw error;
  }
  mkdirSync(disks, { mode: 0o755 });
  writeFileSync(join(dir, ADMIN_KEY_FILE), `${state.secrets.adminKey}\n`, { mode: 0o600 });
  return state;
}

/**
 * What `up` finds in the directory: nothing (go ahead), a running lab of the same shape (nothing to
 * do), or something it must not touch (exit 2).
 */
export function existingLab(dir: string, shape: LabShape): LabState | undefined {
  const existing = readState(dir);
  if (!existing) return undefined;
  if (existing.phase !== 'running') {
    throw new LabUsageError(
      `an incomplete lab (${existing.id}) is in ${dir}: its up was interrupted or failed; run "dalp lab down" first`,
    );
  }
  const s = existing.shape;
  const same =
    s.zones === shape.zones &&
    s.nodesPerZone === shape.nodesPerZone &&
    s.replicas === shape.replicas &&
    objectStoreOf(s) === objectStoreOf(shape);
  if (!same) {
    throw new LabUsageError(
      `a lab with ${s.zones} zones, ${s.nodesPerZone} node(s) per zone, ${s.replicas} replicas and ${objectStoreOf(s)} already runs in ${dir}; run "dalp lab down" first or use another --dir`,
    );
  }
  return existing;
}

/** Brings a lab up in `options.dir`; the state it returns is the running lab's. Throws on failure. */
export async function bringUp(options: StartOptions): Promise<{ state: LabState; created: boolean }> {
  assertRoot();
  const dir = resolve(options.dir ?? DEFAULT_DIR);
  const shape = resolveShape(options);
  const found = existingLab(dir, shape);
  if (found) return { state: found, created: false };
  const timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const began = Date.now();
  const progress = (step: string, c?: ComponentState) =>
    options.onProgress?.({
      step,
      component: c?.name,
      zone: c?.zone,
      node: c?.node,
      seconds: (Date.now() - began) / 1000,
    });

  let state = createState(dir, shape, timings);
  try {
    const runner = options.runner ?? SOURCE_RUNNER;
    const slot = await claimBlock(state.id, dir);
    const plan = planTopology(state.id, slot, shape);
    state = await updateState(dir, (s) => {
      s.slot = slot;
      s.network = plan.network;
      for (const c of plan.components) {
        const home = join(s.disks, c.node, c.name);
        s.components[c.name] = { ...c, dir: home, logPath: join(home, `${c.name}.log`) };
      }
    });
    for (const node of ['host', 'region', ...plan.network.zones.flatMap((z) => z.nodes.map((n) => n.name))]) {
      mkdirSync(join(state.disks, node), { recursive: true, mode: 0o755 });
    }
    await createNetwork(plan.network);
    progress(`network ${plan.network.block}: ${plan.network.namespaces.length} namespaces`);

    const of = (kind: ComponentState['kind']) =>
      Object.values(state.components).filter((c) => c.kind === kind);
    const start = async (c: ComponentState, timeoutMs = 60_000) => {
      await launch(state, c.name, runner);
      await waitReady(state, c.name, timeoutMs);
      progress('ready', c);
    };
    const [firstRedis, ...otherRedis] = of('redis');
    const [firstPostgres, ...otherPostgres] = of('postgres');

    // etcd members need each other for a quorum: all at once. Meanwhile the object store and the cache.
    // The object store's TLS certificate (for pgBackRest) and the backup configuration come first.
    const s3 = state.components.s3!;
    const tls = s3TlsPaths(s3);
    mkdirSync(tls.dir, { recursive: true, mode: 0o755 });
    await createCertificates(tls.dir, 'dalp-lab-s3', undefined, [s3.host]);
    prepareBackups(state);
    await Promise.all([
      ...of('etcd').map((c) => start(c)),
      start(s3),
      start(firstRedis!).then(() => Promise.all(otherRedis.map((c) => start(c)))),
    ]);
    // The first PostgreSQL node bootstraps alone (no race for the initialize key), the others clone it.
    await Promise.all([
      (async () => {
        await launch(state, firstPostgres!.name, runner);
        await waitFor(
          async () =>
            (await patroniGet(`http://${firstPostgres!.host}:${firstPostgres!.adminPort}/primary`)).status ===
            200,
          90_000,
          `${firstPostgres!.name} to bootstrap the cluster`,
          { intervalMs: 250 },
        );
        progress('ready (primary)', firstPostgres);
        await Promise.all(otherPostgres.map((c) => start(c, 90_000)));
        await start(state.components['db-endpoint']!);
      })(),
      ...of('sentinel').map((c) => start(c)),
    ]);
    await waitForReplication(state);
    progress('PostgreSQL replicas streaming (one synchronous)');
    await createDatabase(state);
    progress('database "dalp" created through the database endpoint');

    // The first full backup runs while the replicas start: it needs only the primary and the store.
    const firstBackup = (async () => {
      // Patroni's REST API can miss its 1.5 s bound on a loaded machine: ask until one member answers.
      const primary = await waitFor(() => postgresPrimary(state), 60_000, 'a PostgreSQL primary to back up', {
        intervalMs: 500,
      });
      await createStanza(state, primary);
      await takeBackup(state, primary, 'full');
      progress(`first full backup taken from ${primary.name}`);
    })();
    firstBackup.catch(() => undefined);
    await Promise.all(of('dapp').map((c) => start(c, 120_000)));
    await start(state.components.lb!);
    await firstBackup;
    await waitForSentinels(state);
    progress('Sentinels agree on the primary and see each other');
    await start(state.components.supervisor!);
  } catch (error) {
    // Left as it is for `dalp lab logs`; `down` removes it.
    await updateState(dir, (s) => {
      s.phase = 'failed';
    }).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new LabUpError(`lab ${state.id} failed to come up: ${message}`);
  }
  state = await updateState(dir, (s) => {
    s.phase = 'running';
    s.upMs = Date.now() - began;
  });
  return { state, created: true };
}

/** Until the leader reports every other node streaming, one of them synchronously. */
async function waitForReplication(state: LabState): Promise<void> {
  const nodes = Object.values(state.components).filter((c) => c.kind === 'postgres');
  await waitFor(
    async () => {
      for (const c of nodes) {
        const { body } = await patroniGet<PatroniNodeView>(`http://${c.host}:${c.adminPort}/patroni`).catch(
          () => ({ body: {} as PatroniNodeView }),
        );
        if (body.role !== 'primary' && body.role !== 'master') continue;
        const streaming = (body.replication ?? []).filter((r) => r.state === 'streaming');
        return (
          streaming.length === nodes.length - 1 &&
          (nodes.length === 1 || streaming.some((r) => r.sync_state === 'sync'))
        );
      }
      return false;
    },
    120_000,
    'PostgreSQL replicas to stream from the primary',
    { intervalMs: 250 },
  );
}

/** The application's own role and database, created through the endpoint as an operator would. */
async function createDatabase(state: LabState): Promise<void> {
  const endpoint = state.components['db-endpoint']!;
  const admin = databaseUrl(state, endpoint.host, endpoint.port, true);
  await waitFor(
    async () => {
      const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2_000 });
      await client.connect();
      try {
        const exists = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'dalp'`);
        if (exists.rowCount === 0) {
          // The password is random base64url: safe inside a literal (no quote can occur).
          await client.query(`CREATE ROLE dalp LOGIN PASSWORD '${state.secrets.databasePassword}'`);
        }
        const db = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'dalp'`);
        if (db.rowCount === 0) await client.query('CREATE DATABASE dalp OWNER dalp');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    60_000,
    'the database endpoint to accept the dalp database',
    { intervalMs: 250 },
  );
}

/** Until every Sentinel knows every replica and every other Sentinel (a failover needs that quorum). */
export async function waitForSentinels(state: LabState, timeoutMs = 60_000): Promise<void> {
  const sentinels = Object.values(state.components).filter((c) => c.kind === 'sentinel');
  const others = String(sentinels.length - 1);
  await waitFor(
    async () => {
      for (const s of sentinels) {
        const fields = await sentinelMaster(s);
        if (fields.get('num-slaves') !== others || fields.get('num-other-sentinels') !== others) return false;
      }
      return true;
    },
    timeoutMs,
    'the Sentinels to discover the replicas and each other',
    { intervalMs: 250 },
  );
}
