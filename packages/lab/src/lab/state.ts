// The lab's state file: everything `up` created (written before each step, so `down` can undo a crashed
// `up`), every PID, and the live settings the supervisor follows. One JSON file, replaced atomically;
// writers take a lock file so the CLI, a test and the supervisor never lose each
// other's updates.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessRef } from '../processes.ts';
import { withLock } from './lock.ts';
import type { ComponentPlan, LabShape, LabTimings, NetworkPlan } from './topology.ts';

export const STATE_FILE = 'lab.json';
export const STATE_VERSION = 1;

export interface ComponentState extends ComponentPlan {
  /** The component's directory (data, configuration) and its log file. */
  dir: string;
  logPath: string;
  process?: ProcessRef;
  /** dapp replicas: what the supervisor (the lab's kubelet) knows. */
  restarts?: number;
  /** When the replica was last started (ms since epoch); back-off counts from here. */
  startedAt?: number;
  /** Current CrashLoopBackOff delay (0 until the first restart) and when it was last set. */
  backoffMs?: number;
  backoffAt?: number;
  /** The supervisor waits until then before starting the replica again. */
  nextStartAt?: number;
  /** A library operation (restart, power-off) owns the replica: the supervisor leaves it alone. */
  held?: boolean;
  /** PostgreSQL members: rebuilt from the primary by the supervisor after they stopped streaming. */
  rebuilds?: number;
}

/** What can be changed on a running lab, each weakening kept only to show a drill can see it. */
export interface LabSettings {
  /** The load balancer resends requests to another replica where safe (default true). */
  loadBalancerRetries?: boolean;
  /**
   * dapp replicas started with the database password fixed in their DATABASE_URL instead of read from
   * the password file (default none): a replica that cannot follow a credential rotation.
   */
  fixedDatabasePassword?: string[];
}

export interface LabSecrets {
  postgresPassword: string;
  replicationPassword: string;
  /** The application's role `dalp`. */
  databasePassword: string;
  redisPassword: string;
  adminKey: string;
}

export interface LabState {
  version: number;
  id: string;
  /** Absolute path of the lab's directory (this file's). */
  dir: string;
  /** The nodes' disks: data and logs of every component (under the OS temp dir, named after the id). */
  disks: string;
  /** `up` created `dir` and `down` removes it. */
  createdDir: boolean;
  phase: 'starting' | 'running' | 'failed';
  createdAt: string;
  /** `up` took this long (ms), once it finished. */
  upMs?: number;
  shape: LabShape;
  timings: LabTimings;
  slot?: number;
  network?: NetworkPlan;
  components: Record<string, ComponentState>;
  /** Nodes powered off by `power-off`. */
  poweredOff: string[];
  /** Zones and nodes cut off by `partition`. */
  partitions: string[];
  /** Settings changed on a running lab (absent: the defaults). */
  settings?: LabSettings;
  secrets: LabSecrets;
}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

export function readState(dir: string): LabState | undefined {
  const path = statePath(dir);
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as LabState;
  if (state.version !== STATE_VERSION) {
    throw new Error(`${path} has version ${state.version}; this dalp reads version ${STATE_VERSION}`);
  }
  return state;
}

/** Replaces the file atomically (a reader never sees half a file); mode 600: it holds the lab's secrets. */
export function writeState(state: LabState): void {
  const path = statePath(state.dir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Runs `change` on the newest state under the lock and writes the result; returns it. */
export async function updateState(
  dir: string,
  change: (state: LabState) => void | Promise<void>,
): Promise<LabState> {
  return withLock(`${statePath(dir)}.lock`, async () => {
    const state = readState(dir);
    if (!state) throw new Error(`no lab state in ${dir}`);
    await change(state);
    writeState(state);
    return state;
  });
}
